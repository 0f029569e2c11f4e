-- Servers learn that the stored evidence rows went stale from a
-- notification (sent when the writer commits) instead of asking every
-- second: no polling statement per instance, and a refresh that starts as
-- soon as the write is visible.
CREATE OR REPLACE FUNCTION evidence_summary_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- WHERE NOT stale: once marked, later statements need not lock the row.
  UPDATE evidence_summary_state SET stale = true WHERE NOT stale;
  IF FOUND THEN
    PERFORM pg_notify('evidence_summary_stale', '');
  END IF;
  RETURN NULL;
END $$;
