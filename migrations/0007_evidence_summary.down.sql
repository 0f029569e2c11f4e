DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['entries', 'deployments', 'citations', 'abuse_deployments', 'vendors', 'states',
    'technologies', 'products', 'product_control_list_entries', 'control_list_entry_technologies'] LOOP
    EXECUTE format('DROP TRIGGER %I ON %I', t || '_evidence_summary_touch', t);
  END LOOP;
END $$;
DROP FUNCTION evidence_summary_touch();
DROP TABLE evidence_summary_state;
DROP TABLE evidence_summary;
