-- entry_quotes (migration 0005) is written by triggers on citations and
-- sources, which already move the registry's version (0012); but a direct
-- repair, SELECT refresh_entry_quotes(...) or TRUNCATE entry_quotes, would
-- change what search matches without moving it, and kept search pages
-- would miss the change. So it counts as a write too.
--
-- What the version (0012) asks of writers, for the record:
-- - It is bumped at commit by a deferred trigger, so every writing
--   transaction takes the one registry_version row's lock for the instant
--   of its commit: writers commit one after another (fine at editorial
--   rates; the bulk import writes submissions, not these tables).
-- - A REPEATABLE READ or SERIALIZABLE writer fails at commit (40001) if
--   another write committed since its snapshot: the registry's writers
--   run at READ COMMITTED; one that does not must retry.
-- - SET CONSTRAINTS ALL IMMEDIATE makes the bump run at once, holding the
--   row until commit; no writer does so.
-- - SET oversight.registry_written = 'on' for a session would stop its
--   writes from being counted; only the trigger sets it, per transaction.
CREATE TRIGGER entry_quotes_registry_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON entry_quotes
  FOR EACH STATEMENT EXECUTE FUNCTION registry_version_note();
