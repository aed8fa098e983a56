-- See ../sqlite/0001_init.sql for the meaning of each table.
CREATE TABLE incidents (
  id              TEXT PRIMARY KEY,
  time_us         BIGINT NOT NULL,
  received_us     BIGINT NOT NULL,
  tenant          TEXT NOT NULL,
  stage           TEXT NOT NULL,
  source          TEXT NOT NULL,
  action          TEXT NOT NULL,
  severity        DOUBLE PRECISION NOT NULL,
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
  delivered_bytes BIGINT,
  has_prompt      INTEGER NOT NULL,
  sealed          BYTEA NOT NULL,
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

CREATE TABLE assignments (
  incident_id TEXT PRIMARY KEY REFERENCES incidents (id),
  reviewer    TEXT NOT NULL,
  claimed_us  BIGINT NOT NULL,
  expires_us  BIGINT NOT NULL
);
CREATE INDEX assignments_reviewer ON assignments (reviewer, expires_us);

CREATE TABLE verdicts (
  id          TEXT PRIMARY KEY,
  incident_id TEXT NOT NULL REFERENCES incidents (id),
  reviewer    TEXT NOT NULL,
  verdict     TEXT NOT NULL,
  categories  TEXT NOT NULL,
  note        TEXT NOT NULL,
  created_us  BIGINT NOT NULL
);
CREATE INDEX verdicts_incident ON verdicts (incident_id, created_us);
CREATE INDEX verdicts_created ON verdicts (created_us);

CREATE TABLE audit_log (
  seq       BIGINT PRIMARY KEY,
  time_us   BIGINT NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL,
  detail    TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
);
CREATE FUNCTION warden_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION warden_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION warden_audit_append_only();
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  BIGINT NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE outbox (
  seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  topic      TEXT NOT NULL,
  msg_key    BYTEA NOT NULL,
  value      BYTEA NOT NULL,
  headers    TEXT NOT NULL,
  created_us BIGINT NOT NULL
);
