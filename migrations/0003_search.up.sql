-- Full-text search over published entries and the quotes of their citations
-- (internal/catalog: Search).
--
-- Every entry table gets a generated `search` tsvector, weighted
--   A  names and titles
--   B  aliases, slugs, codes, places, publishers, authors of public sources
--   C  descriptions, summaries, reasons
-- and `citations` gets one of its own for quotes (D), joined to the entry at
-- query time so that a quote of a confidential source counts only for the
-- viewers who may read it. Generated columns are recomputed by PostgreSQL on
-- every INSERT and UPDATE, so merges, retractions and seeding keep the index
-- right with no code of their own.
--
-- Names and codes use `simple_unaccent` (no stemming, no stop words: "IT" and
-- "A1" stay findable); prose uses `english_unaccent`. The query side ORs both
-- configurations for every term (catalog.ParseSearch), so a term finds a name
-- and a description alike. Both configurations fold accents ("Bahá'í" and
-- "Baha'i" are one word), and, being text search configurations rather than
-- a function around the text, they also let ts_headline mark accented words.
--
-- Named entries also get `search_name`, the folded name (and a vendor's
-- aliases), with a trigram index: the fallback for misspelt names when
-- full-text search finds nothing.

CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE TEXT SEARCH CONFIGURATION simple_unaccent (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION simple_unaccent
  ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

CREATE TEXT SEARCH CONFIGURATION english_unaccent (COPY = english);
ALTER TEXT SEARCH CONFIGURATION english_unaccent
  ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;

-- search_fold lower-cases s and strips its accents, for trigram matching.
-- unaccent() is only STABLE (its dictionary could be changed); naming the
-- dictionary in an SQL-standard body binds it once, at creation, which is
-- what makes declaring the wrapper IMMUTABLE (and so usable in a generated
-- column) sound.
CREATE FUNCTION search_fold(s text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN lower(unaccent('unaccent'::regdictionary, s));

-- search_join joins a text array with spaces. array_to_string is only STABLE
-- because of other element types' output functions; for text it is immutable.
CREATE FUNCTION search_join(a text[]) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN array_to_string(a, ' ');

-- tsvector_agg concatenates tsvectors (an entry's quotes) into one document.
CREATE AGGREGATE tsvector_agg(tsvector) (SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = '');

ALTER TABLE states
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', name), 'A') ||
    setweight(to_tsvector('simple_unaccent', country_code), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(summary, '')), 'C')) STORED,
  ADD COLUMN search_name text GENERATED ALWAYS AS (search_fold(name)) STORED;

ALTER TABLE agencies
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', name), 'A') ||
    setweight(to_tsvector('simple_unaccent', coalesce(kind, '')), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(description, '')), 'C')) STORED,
  ADD COLUMN search_name text GENERATED ALWAYS AS (search_fold(name)) STORED;

ALTER TABLE vendors
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', name), 'A') ||
    setweight(to_tsvector('simple_unaccent', search_join(aliases) || ' ' || slug || ' ' || coalesce(wikidata_id, '')), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(description, '')), 'C')) STORED,
  ADD COLUMN search_name text GENERATED ALWAYS AS (search_fold(name || ' ' || search_join(aliases))) STORED;

ALTER TABLE technologies
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', name), 'A') ||
    setweight(to_tsvector('simple_unaccent', slug), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(description, '')), 'C')) STORED,
  ADD COLUMN search_name text GENERATED ALWAYS AS (search_fold(name)) STORED;

ALTER TABLE products
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', name), 'A') ||
    setweight(to_tsvector('english_unaccent', coalesce(description, '')), 'C')) STORED,
  ADD COLUMN search_name text GENERATED ALWAYS AS (search_fold(name)) STORED;

ALTER TABLE communities
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', name), 'A') ||
    setweight(to_tsvector('simple_unaccent', coalesce(religion, '')), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(description, '')), 'C')) STORED,
  ADD COLUMN search_name text GENERATED ALWAYS AS (search_fold(name)) STORED;

ALTER TABLE designation_lists
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', name), 'A') ||
    setweight(to_tsvector('simple_unaccent', code || ' ' || authority || ' ' || jurisdiction), 'B')) STORED,
  ADD COLUMN search_name text GENERATED ALWAYS AS (search_fold(name)) STORED;

-- Titles are prose: english, so that "mosque" finds "mosques".
ALTER TABLE control_list_entries
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english_unaccent', title), 'A') ||
    setweight(to_tsvector('simple_unaccent', code || ' ' || regime), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(description, '')), 'C')) STORED;

ALTER TABLE abuses
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english_unaccent', title), 'A') ||
    setweight(to_tsvector('simple_unaccent', coalesce(location, '') || ' ' || replace(search_join(categories), '_', ' ')), 'B') ||
    setweight(to_tsvector('english_unaccent', summary), 'C')) STORED;

ALTER TABLE deployments
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', coalesce(location, '')), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(description, '')), 'C')) STORED;

ALTER TABLE designations
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('simple_unaccent', coalesce(legal_reference, '')), 'B') ||
    setweight(to_tsvector('english_unaccent', coalesce(reason, '')), 'C')) STORED;

-- A confidential source's authors (like its URLs, never indexed) must not be
-- findable by the public: they are left out of the vector for everyone.
ALTER TABLE sources
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english_unaccent', title), 'A') ||
    setweight(to_tsvector('simple_unaccent', coalesce(publisher, '') || ' ' ||
      CASE WHEN confidential THEN '' ELSE search_join(authors) END), 'B')) STORED;

ALTER TABLE vendor_responses
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english_unaccent', coalesce(summary, '')), 'C')) STORED;

ALTER TABLE citations
  ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english_unaccent', coalesce(quote, '')), 'D')) STORED;

CREATE INDEX states_search_idx ON states USING gin (search);
CREATE INDEX agencies_search_idx ON agencies USING gin (search);
CREATE INDEX vendors_search_idx ON vendors USING gin (search);
CREATE INDEX technologies_search_idx ON technologies USING gin (search);
CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX communities_search_idx ON communities USING gin (search);
CREATE INDEX designation_lists_search_idx ON designation_lists USING gin (search);
CREATE INDEX control_list_entries_search_idx ON control_list_entries USING gin (search);
CREATE INDEX abuses_search_idx ON abuses USING gin (search);
CREATE INDEX deployments_search_idx ON deployments USING gin (search);
CREATE INDEX designations_search_idx ON designations USING gin (search);
CREATE INDEX sources_search_idx ON sources USING gin (search);
CREATE INDEX vendor_responses_search_idx ON vendor_responses USING gin (search);
CREATE INDEX citations_search_idx ON citations USING gin (search);
-- (The join from an entry to its quotes uses citations_entry_position_key.)

CREATE INDEX states_search_name_idx ON states USING gin (search_name gin_trgm_ops);
CREATE INDEX agencies_search_name_idx ON agencies USING gin (search_name gin_trgm_ops);
CREATE INDEX vendors_search_name_idx ON vendors USING gin (search_name gin_trgm_ops);
CREATE INDEX technologies_search_name_idx ON technologies USING gin (search_name gin_trgm_ops);
CREATE INDEX products_search_name_idx ON products USING gin (search_name gin_trgm_ops);
CREATE INDEX communities_search_name_idx ON communities USING gin (search_name gin_trgm_ops);
CREATE INDEX designation_lists_search_name_idx ON designation_lists USING gin (search_name gin_trgm_ops);
