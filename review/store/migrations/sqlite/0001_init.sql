-- Incidents as ingested from the incidents topic, one row per incident id.
-- text is the policy-redacted text; prompt context and conversation key are
-- sealed (AES-GCM, see review/keyring) in "sealed", under key "seal_key".
CREATE TABLE incidents (
  id              TEXT PRIMARY KEY,
  time_us         INTEGER NOT NULL,
  received_us     INTEGER NOT NULL,
  tenant          TEXT NOT NULL,
  stage           TEXT NOT NULL,
  source          TEXT NOT NULL,
  action          TEXT NOT NULL,
  severity        REAL NOT NULL,
  category        TEXT NOT NULL,
  decision_id     TEXT NOT NULL,
  policy_revision TEXT NOT NULL,
  text            TEXT NOT NULL,
  reasons         TEXT NOT NULL,
  rule_ids        TEXT NOT NULL,
  scores          TEXT NOT NULL,
  signals         TEXT NOT NULL,
  findings        TEXT NOT NULL,
  model_versions  TEXT NOT NULL,
  trace           TEXT NOT NULL,
  delivered_bytes INTEGER,
  has_prompt      INTEGER NOT NULL,
  sealed          BLOB NOT NULL,
  seal_key        TEXT NOT NULL,
  state           TEXT NOT NULL DEFAULT 'open',
  verdict_id      TEXT
);
CREATE INDEX incidents_time ON incidents (time_us, id);
CREATE INDEX incidents_state_time ON incidents (state, time_us, id);
CREATE INDEX incidents_state_severity ON incidents (state, severity, time_us, id);
CREATE INDEX incidents_tenant_time ON incidents (tenant, time_us);
CREATE INDEX incidents_category_time ON incidents (category, time_us);
CREATE INDEX incidents_seal_key ON incidents (seal_key);

-- The reviewer working an incident, until the lease expires.
CREATE TABLE assignments (
  incident_id TEXT PRIMARY KEY REFERENCES incidents (id),
  reviewer    TEXT NOT NULL,
  claimed_us  INTEGER NOT NULL,
  expires_us  INTEGER NOT NULL
);
CREATE INDEX assignments_reviewer ON assignments (reviewer, expires_us);

-- Every verdict given (history); incidents.verdict_id names the latest.
CREATE TABLE verdicts (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  reviewer    TEXT NOT NULL,
  verdict     TEXT NOT NULL,
  categories  TEXT NOT NULL,
  note        TEXT NOT NULL,
  created_us  INTEGER NOT NULL
);
CREATE INDEX verdicts_incident ON verdicts (incident_id, created_us);
CREATE INDEX verdicts_created ON verdicts (created_us);

-- Append-only, hash-chained audit log: hash = sha256 of the JSON array
-- [prev_hash, seq, time_us, actor, action, target, detail].
CREATE TABLE audit_log (
  seq       INTEGER PRIMARY KEY,
  time_us   INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
-- The chain head; appends lock this row.
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- Transactional outbox: verdict events written with the verdict, published
-- by a relay and deleted once Kafka acknowledged them.
CREATE TABLE outbox (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  topic      TEXT NOT NULL,
  msg_key    BLOB NOT NULL,
  value      BLOB NOT NULL,
  headers    TEXT NOT NULL,
  created_us INTEGER NOT NULL
);
