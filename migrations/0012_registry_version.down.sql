DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['entries', 'citations', 'states', 'agencies', 'vendors', 'technologies', 'products',
    'communities', 'designation_lists', 'control_list_entries', 'abuses', 'deployments', 'designations',
    'sources', 'vendor_responses'] LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_registry_version', t);
  END LOOP;
END $$;
DROP TRIGGER registry_version_bump ON registry_version_pending;
DROP FUNCTION registry_version_bump();
DROP FUNCTION registry_version_note();
DROP TABLE registry_version_pending;
DROP TABLE registry_version;
