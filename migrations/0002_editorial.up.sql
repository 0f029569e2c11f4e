-- The editorial side: accounts, API tokens, submissions of proposed changes,
-- reviews, and the audit log.
--
-- A submission is a pull request for data. Its changes hold the complete
-- proposed state of each entry (the snapshot the merge will publish) and stay
-- here whatever happens to the submission: nothing a user submitted is lost.

CREATE TABLE users (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  email       text NOT NULL,
  role        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  CONSTRAINT users_name_check CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  CONSTRAINT users_email_check CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320),
  CONSTRAINT users_role_check CHECK (role IN ('CONTRIBUTOR', 'EDITOR', 'ADMIN'))
);
-- Emails are compared without case: one person, one account.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- API tokens. Only a SHA-256 hash of the secret is kept; the prefix (which
-- the token starts with) finds the row, and is safe to show in lists and logs.
CREATE TABLE tokens (
  id           uuid PRIMARY KEY,
  user_id      uuid NOT NULL REFERENCES users (id),
  prefix       text NOT NULL,
  secret_hash  bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  CONSTRAINT tokens_prefix_key UNIQUE (prefix),
  CONSTRAINT tokens_secret_hash_check CHECK (length(secret_hash) = 32),
  CONSTRAINT tokens_expires_at_check CHECK (expires_at > created_at)
);
CREATE INDEX tokens_user_id_idx ON tokens (user_id);

CREATE TABLE submissions (
  id           uuid PRIMARY KEY,
  title        text NOT NULL,
  description  text,
  correction   boolean NOT NULL DEFAULT false,
  status       text NOT NULL DEFAULT 'DRAFT',
  author_id    uuid NOT NULL REFERENCES users (id),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  merged_at    timestamptz,
  CONSTRAINT submissions_title_check CHECK (length(btrim(title)) BETWEEN 1 AND 300),
  CONSTRAINT submissions_description_check CHECK (length(description) <= 20000),
  CONSTRAINT submissions_status_check CHECK (status IN ('DRAFT', 'SUBMITTED', 'CHANGES_REQUESTED', 'MERGED', 'REJECTED', 'WITHDRAWN')),
  CONSTRAINT submissions_merged_check CHECK ((status = 'MERGED') = (merged_at IS NOT NULL))
);
CREATE INDEX submissions_author_idx ON submissions (author_id, created_at DESC);
CREATE INDEX submissions_status_idx ON submissions (status, created_at DESC);

-- A change proposes one entry's next state. entry_id is allocated when a
-- CREATE is proposed, so later changes of the same submission can refer to
-- it; it becomes an entries row only when the submission is merged.
CREATE TABLE changes (
  id            uuid PRIMARY KEY,
  submission_id uuid NOT NULL REFERENCES submissions (id),
  position      integer NOT NULL,
  operation     text NOT NULL,
  entry_type    text NOT NULL,
  entry_id      uuid NOT NULL,
  base_version  integer,
  proposed      jsonb NOT NULL,
  reason        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- A withdrawn change stays, marked, rather than being deleted.
  withdrawn_at  timestamptz,
  CONSTRAINT changes_submission_position_key UNIQUE (submission_id, position),
  CONSTRAINT changes_operation_check CHECK (operation IN ('CREATE', 'UPDATE', 'RETRACT')),
  CONSTRAINT changes_entry_type_check CHECK (entry_type IN (
    'STATE', 'AGENCY', 'VENDOR', 'PRODUCT', 'TECHNOLOGY', 'DEPLOYMENT', 'ABUSE', 'COMMUNITY',
    'DESIGNATION_LIST', 'DESIGNATION', 'CONTROL_LIST_ENTRY', 'SOURCE', 'VENDOR_RESPONSE')),
  CONSTRAINT changes_base_version_check CHECK ((operation = 'CREATE') = (base_version IS NULL)),
  CONSTRAINT changes_reason_check CHECK ((operation = 'RETRACT') = (reason IS NOT NULL AND length(btrim(reason)) > 0)
    AND length(reason) <= 5000),
  CONSTRAINT changes_proposed_check CHECK (jsonb_typeof(proposed) = 'object')
);
CREATE INDEX changes_entry_id_idx ON changes (entry_id);
-- One live CREATE per allocated ID.
CREATE UNIQUE INDEX changes_create_entry_key ON changes (entry_id) WHERE operation = 'CREATE' AND withdrawn_at IS NULL;

CREATE TABLE reviews (
  id            uuid PRIMARY KEY,
  submission_id uuid NOT NULL REFERENCES submissions (id),
  reviewer_id   uuid NOT NULL REFERENCES users (id),
  decision      text NOT NULL,
  comment       text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT reviews_decision_check CHECK (decision IN ('APPROVE', 'REQUEST_CHANGES', 'REJECT')),
  CONSTRAINT reviews_comment_check CHECK (length(comment) <= 20000)
);
CREATE INDEX reviews_submission_idx ON reviews (submission_id, created_at);

-- The version a merge published records the submission it came from.
ALTER TABLE entry_versions ADD COLUMN submission_id uuid REFERENCES submissions (id);

-- Every mutation and account action, appended and never changed.
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  actor_id    uuid REFERENCES users (id),
  action      text NOT NULL,
  target_type text,
  target_id   uuid,
  details     jsonb NOT NULL DEFAULT '{}',
  CONSTRAINT audit_log_action_check CHECK (action ~ '^[a-z]+(\.[a-z_]+)+$'),
  CONSTRAINT audit_log_details_check CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_log_target_idx ON audit_log (target_id, at);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_history_rewrite();
-- TRUNCATE would bypass the row trigger.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER entry_versions_no_truncate BEFORE TRUNCATE ON entry_versions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER change_events_no_truncate BEFORE TRUNCATE ON change_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
