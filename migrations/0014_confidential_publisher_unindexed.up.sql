-- A confidential source's publisher is one of the details withheld from
-- readers who may not see confidential sources (internal/registry's
-- confidentialSourceFields; SECURITY.md, "Confidential sources"). Migration
-- 0003 left authors out of the search index for such sources but kept the
-- publisher, so a search for a publisher's words still found the source and
-- confirmed its publisher. Neither is indexed now. Editors find confidential
-- sources by their title, or list them with sources(filter:).
ALTER TABLE sources DROP COLUMN search;
ALTER TABLE sources
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english_unaccent', title), 'A') ||
    setweight(to_tsvector('simple_unaccent',
      CASE WHEN confidential THEN '' ELSE coalesce(publisher, '') || ' ' || search_join(authors) END), 'B')) STORED;
CREATE INDEX sources_search_idx ON sources USING gin (search);
