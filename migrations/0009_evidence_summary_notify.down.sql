CREATE OR REPLACE FUNCTION evidence_summary_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE evidence_summary_state SET stale = true WHERE NOT stale;
  RETURN NULL;
END $$;
