DROP INDEX IF EXISTS sources_confidential_idx;
