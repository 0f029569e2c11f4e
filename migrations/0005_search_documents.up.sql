-- Stored quote documents for search (internal/catalog: Search).
--
-- Search ranks an entry by its own fields and the quotes of its citations.
-- Aggregating those quotes at query time, for every candidate of a common
-- word, cost most of a search. entry_quotes keeps, per cited entry, the
-- concatenation of its quotes' vectors in citation order, twice:
--   public  the quotes of citations to non-confidential sources, the only
--           ones an anonymous reader's search may match;
--   every   all its quotes, for viewers who may see confidential sources.
-- Search concatenates the entry's own `search` vector with one of them.
--
-- Triggers keep it right for every writer (the editors' merges, bulk
-- import and restore, the synthetic COPY loader): statement-level triggers
-- on citations recompute the entries a statement touched, once each, and a
-- change of a source's confidentiality recomputes the entries citing it.

CREATE TABLE entry_quotes (
  entry_id uuid PRIMARY KEY REFERENCES entries (id) ON DELETE CASCADE,
  public tsvector NOT NULL,
  every tsvector NOT NULL
);

-- refresh_entry_quotes recomputes the quote documents of the given entries.
CREATE FUNCTION refresh_entry_quotes(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM entry_quotes q WHERE q.entry_id = ANY (ids)
    AND NOT EXISTS (SELECT 1 FROM citations c WHERE c.entry_id = q.entry_id);
  INSERT INTO entry_quotes (entry_id, public, every)
  SELECT c.entry_id,
    coalesce(tsvector_agg(c.search ORDER BY c.position) FILTER (WHERE NOT s.confidential), ''),
    tsvector_agg(c.search ORDER BY c.position)
  FROM citations c JOIN sources s ON s.id = c.source_id
  WHERE c.entry_id = ANY (ids)
  GROUP BY c.entry_id
  ON CONFLICT (entry_id) DO UPDATE SET public = excluded.public, every = excluded.every;
$$;

CREATE FUNCTION entry_quotes_citations_ins() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_entry_quotes(ARRAY(SELECT DISTINCT entry_id FROM new_rows));
  RETURN NULL;
END $$;

CREATE FUNCTION entry_quotes_citations_upd() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_entry_quotes(ARRAY(SELECT entry_id FROM new_rows UNION SELECT entry_id FROM old_rows));
  RETURN NULL;
END $$;

CREATE FUNCTION entry_quotes_citations_del() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_entry_quotes(ARRAY(SELECT DISTINCT entry_id FROM old_rows));
  RETURN NULL;
END $$;

CREATE FUNCTION entry_quotes_sources_upd() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM refresh_entry_quotes(ARRAY(
    SELECT DISTINCT c.entry_id FROM citations c
    JOIN new_rows n ON n.id = c.source_id JOIN old_rows o ON o.id = n.id
    WHERE n.confidential IS DISTINCT FROM o.confidential));
  RETURN NULL;
END $$;

CREATE TRIGGER entry_quotes_ins AFTER INSERT ON citations
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION entry_quotes_citations_ins();
CREATE TRIGGER entry_quotes_upd AFTER UPDATE ON citations
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION entry_quotes_citations_upd();
CREATE TRIGGER entry_quotes_del AFTER DELETE ON citations
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION entry_quotes_citations_del();
CREATE TRIGGER entry_quotes_src AFTER UPDATE ON sources
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION entry_quotes_sources_upd();

SELECT refresh_entry_quotes(ARRAY(SELECT DISTINCT entry_id FROM citations));
