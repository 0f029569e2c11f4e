-- Bounds on the text fields that had none in the database, so that no
-- client, import or bug can store an unbounded value (the API checks the
-- same limits first, with clearer messages).

CREATE FUNCTION text_array_fits(a text[], max_items integer, max_length integer) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT cardinality(a) <= max_items
     AND coalesce((SELECT max(length(x)) FROM unnest(a) AS x), 0) <= max_length
$$;

ALTER TABLE vendors ADD CONSTRAINT vendors_aliases_check CHECK (text_array_fits(aliases, 100, 300));
ALTER TABLE sources ADD CONSTRAINT sources_authors_check CHECK (text_array_fits(authors, 200, 300));
ALTER TABLE entries ADD CONSTRAINT entries_retraction_reason_length_check CHECK (length(retraction_reason) <= 5000);
ALTER TABLE entry_versions ADD CONSTRAINT entry_versions_summary_check CHECK (length(summary) <= 1000);
ALTER TABLE change_events ADD CONSTRAINT change_events_summary_check CHECK (length(summary) <= 1000);
-- A change's proposal is one entry's fields and citations: generous, but bounded.
ALTER TABLE changes ADD CONSTRAINT changes_proposed_size_check CHECK (pg_column_size(proposed) <= 1048576);
ALTER TABLE audit_log ADD CONSTRAINT audit_log_details_size_check CHECK (pg_column_size(details) <= 2097152);
