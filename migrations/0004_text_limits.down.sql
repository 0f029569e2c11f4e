ALTER TABLE audit_log DROP CONSTRAINT IF EXISTS audit_log_details_size_check;
ALTER TABLE changes DROP CONSTRAINT IF EXISTS changes_proposed_size_check;
ALTER TABLE change_events DROP CONSTRAINT IF EXISTS change_events_summary_check;
ALTER TABLE entry_versions DROP CONSTRAINT IF EXISTS entry_versions_summary_check;
ALTER TABLE entries DROP CONSTRAINT IF EXISTS entries_retraction_reason_length_check;
ALTER TABLE sources DROP CONSTRAINT IF EXISTS sources_authors_check;
ALTER TABLE vendors DROP CONSTRAINT IF EXISTS vendors_aliases_check;
DROP FUNCTION IF EXISTS text_array_fits(text[], integer, integer);
