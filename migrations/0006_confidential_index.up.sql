-- Every read of history for anonymous readers asks which sources are
-- confidential (to blank their details in old versions); a partial index
-- answers that without scanning every source.
CREATE INDEX sources_confidential_idx ON sources (id) WHERE confidential;
