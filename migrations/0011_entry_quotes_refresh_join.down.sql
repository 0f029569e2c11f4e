CREATE OR REPLACE FUNCTION refresh_entry_quotes(ids uuid[]) RETURNS void
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
