-- Export-control evidence rows (internal/catalog/evidence.go), kept as a
-- table so that a page of them is an index scan rather than an aggregation
-- of every deployment in the registry (about a second at scale 1).
--
-- The table is a cache of what the evidence query computes, never a source
-- of truth. Any write to a table the rows are computed from marks it stale
-- (statement triggers below), in the writer's own transaction; while it is
-- stale, readers compute the rows from the tables as before, so an answer is
-- never older than the data. The server recomputes it in the background
-- (catalog.RefreshEvidence) and clears the mark in the same transaction.
CREATE TABLE evidence_summary (
  row_id               uuid PRIMARY KEY,
  vendor_id            uuid NOT NULL,
  state_id             uuid NOT NULL,
  technology_id        uuid NOT NULL,
  product_id           uuid,
  deployment_ids       uuid[] NOT NULL,
  citation_count       integer NOT NULL,
  confidence_rank      integer NOT NULL,
  strongest_confidence text NOT NULL,
  abuse_count          integer NOT NULL,
  vendor_country_code  text,
  state_country_code   text NOT NULL,
  controlled           boolean NOT NULL,
  sort_key             text COLLATE "C" NOT NULL
);
CREATE INDEX evidence_summary_order_idx ON evidence_summary (sort_key, row_id);
CREATE INDEX evidence_summary_technology_idx ON evidence_summary (technology_id, sort_key, row_id);
CREATE INDEX evidence_summary_vendor_idx ON evidence_summary (vendor_id);

-- One row: whether evidence_summary may be out of date. It starts stale (the
-- registry may already hold deployments).
CREATE TABLE evidence_summary_state (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  stale boolean NOT NULL
);
INSERT INTO evidence_summary_state (stale) VALUES (true);

CREATE FUNCTION evidence_summary_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- WHERE NOT stale: once marked, later statements need not lock the row.
  UPDATE evidence_summary_state SET stale = true WHERE NOT stale;
  RETURN NULL;
END $$;

-- Every table an evidence row is computed from: the deployments and their
-- citations, the abuses linked to them, the names and codes a row is sorted
-- and filtered by, the control-list links and the technology tree, and
-- entries (publication status, retraction) for all of them.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['entries', 'deployments', 'citations', 'abuse_deployments', 'vendors', 'states',
    'technologies', 'products', 'product_control_list_entries', 'control_list_entry_technologies'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
      FOR EACH STATEMENT EXECUTE FUNCTION evidence_summary_touch()', t || '_evidence_summary_touch', t);
  END LOOP;
END $$;
