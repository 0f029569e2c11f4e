-- Nested lists (a state's deployments, a vendor's, a list's designations)
-- read each parent's first page with a LIMIT (internal/catalog: pages). With
-- only the parent's ID indexed, or only the list order, PostgreSQL either
-- sorts all of a parent's rows or walks the whole table in list order until
-- it has found the parent's: at scale 1, 50 states' first 20 deployments cost
-- 840 ms, skipping about 8,000 rows per state. Indexing the parent and the
-- order together makes each page a range scan of its own rows. They also
-- serve every lookup the single-column indexes served, which they replace.
CREATE INDEX deployments_state_list_idx ON deployments (state_id, (coalesce(start_date, '')) DESC, id DESC);
CREATE INDEX deployments_agency_list_idx ON deployments (agency_id, (coalesce(start_date, '')) DESC, id DESC);
CREATE INDEX deployments_vendor_list_idx ON deployments (vendor_id, (coalesce(start_date, '')) DESC, id DESC);
CREATE INDEX deployments_product_list_idx ON deployments (product_id, (coalesce(start_date, '')) DESC, id DESC);
CREATE INDEX abuses_state_list_idx ON abuses (state_id, (coalesce(start_date, '')) DESC, id DESC);
CREATE INDEX designations_list_list_idx ON designations (list_id, listed_on DESC, id DESC);
DROP INDEX deployments_state_id_idx;
DROP INDEX deployments_agency_id_idx;
DROP INDEX deployments_vendor_id_idx;
DROP INDEX deployments_product_id_idx;
DROP INDEX abuses_state_id_idx;
DROP INDEX designations_list_id_idx;
