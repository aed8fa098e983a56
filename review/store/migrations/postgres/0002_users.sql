-- See ../sqlite/0002_users.sql for the meaning of each table.
CREATE TABLE users (
  username      TEXT PRIMARY KEY,
  role          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_us    BIGINT NOT NULL,
  updated_us    BIGINT NOT NULL
);

CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  csrf       TEXT NOT NULL,
  method     TEXT NOT NULL,
  created_us BIGINT NOT NULL,
  seen_us    BIGINT NOT NULL,
  expires_us BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expires ON sessions (expires_us);

CREATE TABLE login_attempts (
  key             TEXT PRIMARY KEY,
  failures        INTEGER NOT NULL,
  first_us        BIGINT NOT NULL,
  locked_until_us BIGINT NOT NULL
);

-- The queue's indexes, widened with the filter columns (see the SQLite
-- migration); the state counts use an index-only scan of them.
DROP INDEX incidents_time;
DROP INDEX incidents_state_time;
DROP INDEX incidents_state_severity;
CREATE INDEX incidents_time ON incidents (time_us, id, tenant, action, category, stage, state);
CREATE INDEX incidents_state_time ON incidents (state, time_us, id, tenant, action, category, stage);
CREATE INDEX incidents_state_severity ON incidents (state, severity, time_us, id, tenant, action, category, stage);
CREATE INDEX incidents_severity ON incidents (severity, time_us, id, tenant, action, category, stage, state);
