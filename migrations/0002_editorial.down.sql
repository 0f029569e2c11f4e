DROP TRIGGER IF EXISTS change_events_no_truncate ON change_events;
DROP TRIGGER IF EXISTS entry_versions_no_truncate ON entry_versions;
DROP TABLE IF EXISTS audit_log;
ALTER TABLE entry_versions DROP COLUMN IF EXISTS submission_id;
DROP TABLE IF EXISTS reviews, changes, submissions, tokens, users;
