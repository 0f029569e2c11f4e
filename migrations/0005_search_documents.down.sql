DROP TRIGGER IF EXISTS entry_quotes_ins ON citations;
DROP TRIGGER IF EXISTS entry_quotes_upd ON citations;
DROP TRIGGER IF EXISTS entry_quotes_del ON citations;
DROP TRIGGER IF EXISTS entry_quotes_src ON sources;
DROP FUNCTION IF EXISTS entry_quotes_citations_ins(), entry_quotes_citations_upd(), entry_quotes_citations_del(),
  entry_quotes_sources_upd(), refresh_entry_quotes(uuid[]);
DROP TABLE IF EXISTS entry_quotes;
