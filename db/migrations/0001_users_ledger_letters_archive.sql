-- Users, sessions, API tokens, login locks and the evidence download log (auth/users-pg.ts),
-- the sent ledger (storage/sent-ledger.ts), the letter index (notices/letters.ts) and the
-- archive of closed obligations (storage/archive.ts).

CREATE TABLE users (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  role text NOT NULL CHECK (role IN ('office', 'assignee', 'supervisor')),
  org text,
  password_hash text NOT NULL,
  token_id text NOT NULL UNIQUE,
  token_hash text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  created_at text NOT NULL,
  CHECK ((role = 'assignee') = (org IS NOT NULL))
);

CREATE TABLE sessions (
  id_sha256 text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id),
  expires_at bigint NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE login_locks (
  user_id bigint PRIMARY KEY REFERENCES users (id),
  failures integer NOT NULL,
  since bigint NOT NULL,
  locked_until bigint NOT NULL
);

CREATE TABLE evidence_downloads (
  id bigserial PRIMARY KEY,
  workflow_id text NOT NULL,
  evidence_id text NOT NULL,
  user_name text NOT NULL,
  role text NOT NULL,
  org text,
  at text NOT NULL
);
CREATE INDEX evidence_downloads_by_workflow ON evidence_downloads (workflow_id, id);

-- One row per notice key that went out: the primary key is what stops a second worker recording
-- (and, checking first, sending) the same notice again.
CREATE TABLE sent_ledger (
  key text PRIMARY KEY,
  delivery jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE letters (
  key text PRIMARY KEY,
  letter jsonb NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE archive (
  workflow_id text PRIMARY KEY,
  record jsonb NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now()
);
