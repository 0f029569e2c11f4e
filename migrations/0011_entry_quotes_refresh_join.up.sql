-- refresh_entry_quotes (migration 0005) matched its entries with
-- "= ANY (ids)". In a SQL function the array is a parameter, which
-- PostgreSQL does not hash: each row was compared with the whole array.
-- Harmless for an editor's merge (a few entries), quadratic for a bulk
-- write: the synthetic seed at scale 10 (10,000,000 citations of 1.9
-- million entries in one statement) had not finished after 20 minutes, and
-- copied 200,000 entries a statement, each statement's DELETE compared
-- every stored row with 200,000 IDs. Joined with unnest(ids), both are
-- hash or index joins. Duplicate IDs are dropped first, so that no
-- citation is aggregated twice.
CREATE OR REPLACE FUNCTION refresh_entry_quotes(ids uuid[]) RETURNS void
LANGUAGE sql AS $$
  DELETE FROM entry_quotes q USING unnest(ids) AS i (id)
  WHERE q.entry_id = i.id
    AND NOT EXISTS (SELECT 1 FROM citations c WHERE c.entry_id = q.entry_id);
  INSERT INTO entry_quotes (entry_id, public, every)
  SELECT c.entry_id,
    coalesce(tsvector_agg(c.search ORDER BY c.position) FILTER (WHERE NOT s.confidential), ''),
    tsvector_agg(c.search ORDER BY c.position)
  FROM (SELECT DISTINCT id FROM unnest(ids) AS u (id)) i
  JOIN citations c ON c.entry_id = i.id
  JOIN sources s ON s.id = c.source_id
  GROUP BY c.entry_id
  ON CONFLICT (entry_id) DO UPDATE SET public = excluded.public, every = excluded.every;
$$;
