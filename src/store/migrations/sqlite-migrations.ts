/**
 * Versioned SQLite migrations, applied in order inside one transaction each.
 * Never edit a released entry: append a new one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    channel_id TEXT UNIQUE,
    last_activity_at TEXT NOT NULL,
    needs_publish INTEGER NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX cases_publish ON cases(needs_publish) WHERE needs_publish = 1;
  CREATE TABLE case_keys (
    key TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    PRIMARY KEY (key, case_id)
  );
  CREATE TABLE findings (
    id TEXT PRIMARY KEY,
    case_id TEXT REFERENCES cases(id),
    disposition TEXT NOT NULL,
    needs_publish INTEGER NOT NULL,
    digest_pending INTEGER NOT NULL,
    first_seen_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX findings_case ON findings(case_id);
  CREATE INDEX findings_publish ON findings(needs_publish) WHERE needs_publish = 1;
  CREATE INDEX findings_digest ON findings(digest_pending) WHERE digest_pending = 1;
  CREATE TABLE timeline (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES cases(id),
    at TEXT NOT NULL,
    posted_ts TEXT,
    doc TEXT NOT NULL
  );
  CREATE INDEX timeline_case ON timeline(case_id, id);
  CREATE INDEX timeline_unposted ON timeline(id) WHERE posted_ts IS NULL;
  CREATE TABLE rejected_inputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    finding_id TEXT,
    raw TEXT NOT NULL
  );
  CREATE TABLE checkpoints (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    case_id TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX actions_case ON actions(case_id, created_at);
  CREATE INDEX actions_status ON actions(status);
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    case_id TEXT,
    action_id TEXT,
    doc TEXT NOT NULL
  );
  CREATE INDEX audit_case ON audit(case_id, id);
  `,
  `
  CREATE TABLE suppression_rules (
    id TEXT PRIMARY KEY,
    active INTEGER NOT NULL,
    version INTEGER NOT NULL,
    doc TEXT NOT NULL
  );
  `,
  `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    enqueued_at TEXT NOT NULL,
    doc TEXT NOT NULL
  );
  CREATE INDEX jobs_order ON jobs(enqueued_at, id);
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until TEXT NOT NULL
  );
  `,
  // The audit trail is append-only: records are hash-chained per stream, and the database
  // refuses to change or remove one (issue 17 point 8). Rows from before carry no stream.
  `
  ALTER TABLE audit ADD COLUMN stream TEXT;
  CREATE INDEX audit_stream ON audit(stream, id);
  CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  `,
  // Whether a finding is an attack sequence, as a column with a partial index: ingestion asks
  // every batch which of a case's findings are sequences (issue 18), and reading that out of
  // each finding's JSON cost the SQLite path ~8 µs a finding (issue 19 point 3).
  `
  ALTER TABLE findings ADD COLUMN attack_sequence INTEGER NOT NULL DEFAULT 0;
  UPDATE findings SET attack_sequence = 1 WHERE json_extract(doc, '$.finding.isAttackSequence') = 1;
  CREATE INDEX findings_sequences ON findings(case_id) WHERE attack_sequence = 1;
  `,
  // When a cased finding's pending principal check was last asked for (NULL for every other
  // finding), with a partial index: the clock's sweep asks again for checks whose request was
  // lost. '' for one never asked for (stored before requests were recorded): due at once.
  // Keyed on the time alone: the index carries the rowid, which breaks ties in the sweep's
  // ORDER BY without a sort, and a 32-character id in every entry is paid by every insert.
  `
  ALTER TABLE findings ADD COLUMN check_asked_at TEXT;
  UPDATE findings SET check_asked_at = COALESCE(json_extract(doc, '$.principalCheck.reaskedAt'), json_extract(doc, '$.principalCheck.requestedAt'), '')
    WHERE disposition = 'cased' AND json_extract(doc, '$.principalCheck.status') = 'pending';
  CREATE INDEX findings_check_pending ON findings(check_asked_at) WHERE check_asked_at IS NOT NULL;
  `,
  // case_keys as a WITHOUT ROWID table: its rows are small and keyed by (key, case_id), so the
  // primary key is the table rather than a second b-tree beside it. Every cased finding adds
  // a row (its own finding: key), so this halves the b-tree inserts of the busiest table
  // (https://www.sqlite.org/withoutrowid.html, "when to use WITHOUT ROWID").
  `
  CREATE TABLE case_keys_v8 (
    key TEXT NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases(id),
    PRIMARY KEY (key, case_id)
  ) WITHOUT ROWID;
  INSERT INTO case_keys_v8 (key, case_id) SELECT key, case_id FROM case_keys;
  DROP TABLE case_keys;
  ALTER TABLE case_keys_v8 RENAME TO case_keys;
  `,
];
