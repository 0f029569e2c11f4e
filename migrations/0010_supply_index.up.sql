-- An evidence row's abuses are found through its deployments: those of one
-- vendor in one state for one technology (internal/catalog: EvidenceAbuses).
-- With the vendor and the state indexed apart, PostgreSQL intersected two
-- bitmaps per row, about 3,400 and 8,700 entries for the busiest rows at
-- scale 1: 58 ms for a page of 20 rows. Indexed together, each row's
-- deployments are one range: 4 ms.
CREATE INDEX deployments_supply_idx ON deployments (vendor_id, state_id, technology_id);
