-- A counter of committed writes to what search reads, so that a server can
-- keep the answer to an expensive search (a common word ranks most of the
-- registry: about 4 s at scale 1) and know, with one cheap read, whether it
-- still holds (internal/catalog/searchcache.go).
--
-- The counter must never show a write before its data is visible, nor miss
-- one: a reader that sees version n must see every write counted up to n.
-- So it is bumped at commit, by a deferred trigger, rather than when the
-- write happens: a transaction that bumped it early would hold the row lock
-- while it went on writing (and could deadlock with another waiting for it),
-- and a sequence would show its value before the transaction committed. The
-- statement triggers below record that the transaction wrote, once per
-- transaction (the setting oversight.registry_written is local to it); the
-- row they insert fires the deferred bump, which also removes the row.
CREATE TABLE registry_version (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
INSERT INTO registry_version (version) VALUES (1);

CREATE TABLE registry_version_pending (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY
);

CREATE FUNCTION registry_version_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('oversight.registry_written', true) IS DISTINCT FROM 'on' THEN
    PERFORM set_config('oversight.registry_written', 'on', true);
    INSERT INTO registry_version_pending DEFAULT VALUES;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION registry_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE registry_version SET version = version + 1;
  DELETE FROM registry_version_pending WHERE id = NEW.id;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER registry_version_bump AFTER INSERT ON registry_version_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION registry_version_bump();

-- Every table a search reads: the entry tables (their search vectors and
-- snippet fields), entries (publication, retraction), citations (quotes,
-- and through them entry_quotes) and sources (confidentiality).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['entries', 'citations', 'states', 'agencies', 'vendors', 'technologies', 'products',
    'communities', 'designation_lists', 'control_list_entries', 'abuses', 'deployments', 'designations',
    'sources', 'vendor_responses'] LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
      FOR EACH STATEMENT EXECUTE FUNCTION registry_version_note()', t || '_registry_version', t);
  END LOOP;
END $$;
