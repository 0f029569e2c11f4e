-- Back to migration 0003's index: a confidential source's publisher indexed.
ALTER TABLE sources DROP COLUMN search;
ALTER TABLE sources
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english_unaccent', title), 'A') ||
    setweight(to_tsvector('simple_unaccent', coalesce(publisher, '') || ' ' ||
      CASE WHEN confidential THEN '' ELSE search_join(authors) END), 'B')) STORED;
CREATE INDEX sources_search_idx ON sources USING gin (search);
