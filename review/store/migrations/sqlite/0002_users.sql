-- Reviewer accounts, their server-side sessions and login throttling
-- state (in the store, so that every review replica sees the same), plus
-- indexes for the reviewer queue and dashboard.

-- password_hash is a PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
CREATE TABLE users (
  username      TEXT PRIMARY KEY,
  role          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_us    INTEGER NOT NULL,
  updated_us    INTEGER NOT NULL
);

-- id_hash is the SHA-256 of the session token (the cookie value is never
-- stored). expires_us is the absolute timeout; seen_us drives the idle
-- timeout.
CREATE TABLE sessions (
  id_hash    TEXT PRIMARY KEY,
  username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  csrf       TEXT NOT NULL,
  method     TEXT NOT NULL,
  created_us INTEGER NOT NULL,
  seen_us    INTEGER NOT NULL,
  expires_us INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);
CREATE INDEX sessions_expires ON sessions (expires_us);

-- Failed logins per throttling key (a hashed username or client address).
CREATE TABLE login_attempts (
  key             TEXT PRIMARY KEY,
  failures        INTEGER NOT NULL,
  first_us        INTEGER NOT NULL,
  locked_until_us INTEGER NOT NULL
);

-- The queue's indexes, widened with the filter columns: SQLite tests a
-- filter on the index entry before it reads the table row, so a page of a
-- filtered queue never reads rows that do not match, whatever the planner
-- knows about the data.
DROP INDEX incidents_time;
DROP INDEX incidents_state_time;
DROP INDEX incidents_state_severity;
CREATE INDEX incidents_time ON incidents (time_us, id, tenant, action, category, stage, state);
CREATE INDEX incidents_state_time ON incidents (state, time_us, id, tenant, action, category, stage);
CREATE INDEX incidents_state_severity ON incidents (state, severity, time_us, id, tenant, action, category, stage);
CREATE INDEX incidents_severity ON incidents (severity, time_us, id, tenant, action, category, stage, state);

-- Incident counts by state and the queue's filter columns, kept by
-- triggers, so that the queue's counts cost a few hundred rows, not a scan
-- of every incident. (PostgreSQL counts with an index-only scan instead:
-- counter rows shared by concurrent ingest transactions could deadlock.)
CREATE TABLE incident_counts (
  state    TEXT NOT NULL,
  tenant   TEXT NOT NULL,
  action   TEXT NOT NULL,
  category TEXT NOT NULL,
  stage    TEXT NOT NULL,
  n        INTEGER NOT NULL,
  PRIMARY KEY (state, tenant, action, category, stage)
);
INSERT INTO incident_counts (state, tenant, action, category, stage, n)
  SELECT state, tenant, action, category, stage, COUNT(*) FROM incidents GROUP BY state, tenant, action, category, stage;
CREATE TRIGGER incidents_count_insert AFTER INSERT ON incidents BEGIN
  INSERT INTO incident_counts (state, tenant, action, category, stage, n) VALUES (NEW.state, NEW.tenant, NEW.action, NEW.category, NEW.stage, 1)
    ON CONFLICT (state, tenant, action, category, stage) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER incidents_count_update AFTER UPDATE OF state, tenant, action, category, stage ON incidents BEGIN
  UPDATE incident_counts SET n = n - 1
    WHERE state = OLD.state AND tenant = OLD.tenant AND action = OLD.action AND category = OLD.category AND stage = OLD.stage;
  INSERT INTO incident_counts (state, tenant, action, category, stage, n) VALUES (NEW.state, NEW.tenant, NEW.action, NEW.category, NEW.stage, 1)
    ON CONFLICT (state, tenant, action, category, stage) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER incidents_count_delete AFTER DELETE ON incidents BEGIN
  UPDATE incident_counts SET n = n - 1
    WHERE state = OLD.state AND tenant = OLD.tenant AND action = OLD.action AND category = OLD.category AND stage = OLD.stage;
END;
