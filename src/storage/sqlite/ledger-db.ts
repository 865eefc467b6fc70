// Opens ledger.db with explicit durability pragmas and brings its schema up to date.
import Database from 'better-sqlite3'
import { COUNTERS_RECOUNT, COUNTERS_SCHEMA, HISTORY_PRUNING_SCHEMA } from './counters.js'

export type Db = Database.Database

/** A migration is SQL, or a step that needs more than SQL (the writable_schema procedure). */
type Migration = string | ((db: Db) => void)

const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    head_seq    INTEGER NOT NULL DEFAULT 0,
    metadata    TEXT,
    expected    TEXT,
    state       TEXT NOT NULL DEFAULT 'open',
    completed_at TEXT
  ) WITHOUT ROWID;

  CREATE TABLE commits (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    id             TEXT NOT NULL UNIQUE,
    session_id     TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'failed', 'aborted')),
    message        TEXT,
    metadata       TEXT,
    created_at     TEXT NOT NULL,
    finished_at    TEXT,
    error_code     TEXT,
    error_detail   TEXT,
    error_facts    TEXT,
    -- 1 until every file this commit touched is known to be settled (committed, rolled back or cleaned).
    needs_recovery INTEGER NOT NULL DEFAULT 1
  );
  CREATE INDEX commits_by_session ON commits (session_id, seq);
  CREATE INDEX commits_by_state ON commits (state, seq);
  CREATE INDEX commits_by_time ON commits (created_at, seq);
  CREATE INDEX commits_needing_recovery ON commits (seq) WHERE needs_recovery = 1;

  CREATE TABLE transitions (
    commit_seq INTEGER NOT NULL REFERENCES commits (seq),
    from_state TEXT,
    to_state   TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT
  );
  CREATE INDEX transitions_by_commit ON transitions (commit_seq);

  -- What each commit wrote or tried to write; version is set only when the commit is committed.
  CREATE TABLE commit_artifacts (
    commit_seq INTEGER NOT NULL REFERENCES commits (seq),
    position   INTEGER NOT NULL,
    session_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    INTEGER,
    sha256     TEXT,
    size       INTEGER,
    media_type TEXT,
    PRIMARY KEY (commit_seq, position)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX versions_by_name ON commit_artifacts (session_id, name, version) WHERE version IS NOT NULL;
  CREATE INDEX artifacts_by_object ON commit_artifacts (sha256);

  -- The latest committed version of every artifact: the plain view's source of truth.
  CREATE TABLE latest_artifacts (
    session_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    commit_seq INTEGER NOT NULL,
    PRIMARY KEY (session_id, name)
  ) WITHOUT ROWID;

  CREATE TABLE objects (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    state      TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'corrupt', 'missing')),
    created_at TEXT NOT NULL,
    checked_at TEXT
  ) WITHOUT ROWID;

  CREATE TABLE idempotency_keys (
    session_id  TEXT NOT NULL,
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    commit_seq  INTEGER NOT NULL REFERENCES commits (seq),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (session_id, key)
  ) WITHOUT ROWID;
  `,
  `
  -- One row per finished scrub, so status and metrics survive a restart.
  CREATE TABLE scrub_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    summary     TEXT NOT NULL
  );
  `,
  `
  -- Objects whose last reference was pruned: deleted from disk after the transaction, and again at
  -- start-up if a crash came in between, so a prune never leaves an orphan behind.
  CREATE TABLE object_gc (
    sha256 TEXT PRIMARY KEY
  ) WITHOUT ROWID;
  `,
  `
  -- One row the readiness probe rewrites after a fault, to prove the log takes durable writes again.
  CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
  );
  `,
  `
  -- The log records every change, not only commits of bytes: an entry's kind says which, and
  -- change holds what a session-level entry (or a commit's expect) changed, as JSON.
  ALTER TABLE commits ADD COLUMN kind TEXT NOT NULL DEFAULT 'artifacts'
    CHECK (kind IN ('artifacts', 'expect', 'close', 'session'));
  ALTER TABLE commits ADD COLUMN change TEXT;
  CREATE INDEX commits_by_kind ON commits (kind, seq);

  -- Every session has a deadline, by which the service closes it if its writer has not; closed_by
  -- says who closed it, error what failure the writer reported. Sessions from before deadlines get
  -- the default one, 24 h after they were created (the canary's session never closes).
  ALTER TABLE sessions ADD COLUMN deadline TEXT;
  ALTER TABLE sessions ADD COLUMN closed_by TEXT CHECK (closed_by IN ('writer', 'deadline'));
  ALTER TABLE sessions ADD COLUMN error TEXT;
  UPDATE sessions SET deadline = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+86400 seconds')
    WHERE id != 'artifact-ledger.canary';
  UPDATE sessions SET closed_by = 'writer' WHERE state != 'open';
  -- The deadline sweep reads only open sessions, soonest first.
  CREATE INDEX sessions_due ON sessions (deadline) WHERE state = 'open';
  `,
  removalsMigration,
  `
  -- One row per garbage-collection run (the last 100), and what every run together has reclaimed.
  CREATE TABLE gc_runs (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    record TEXT NOT NULL
  );
  CREATE TABLE gc_totals (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    runs              INTEGER NOT NULL,
    reclaimed_objects INTEGER NOT NULL,
    reclaimed_bytes   INTEGER NOT NULL
  );
  INSERT INTO gc_totals (id, runs, reclaimed_objects, reclaimed_bytes) VALUES (1, 0, 0, 0);
  `,
  `
  -- The expiry sweep reads live versions only, session by session: removed ones (most of a long
  -- history, the canary's included) stay out of its way.
  CREATE INDEX live_versions ON commit_artifacts (session_id, name, version) WHERE version IS NOT NULL AND removed_seq IS NULL;
  `,
  // Monitoring at any size: counters kept by triggers in the same transactions as the data, filled from
  // the rows already there, and the indexes status reads the last commit, failure and sessions through.
  `${COUNTERS_SCHEMA}
  ${COUNTERS_RECOUNT}`,
  HISTORY_PRUNING_SCHEMA,
  // Migrations are only ever appended: ledgers made by an earlier release have the ones above.
  `
  -- Small objects kept in the log instead of objects/ (INLINE_OBJECT_MAX_BYTES): written in the group
  -- commit's transactions, so a small commit's bytes cost no fsync of their own. A rowid table, so the
  -- blobs stay out of the primary-key index. The objects table (and its counters) records every object
  -- wherever its bytes are.
  CREATE TABLE inline_objects (
    sha256 TEXT PRIMARY KEY,
    bytes  BLOB NOT NULL
  );
  `,
]

/** The schema version this code writes: ledger.db's user_version once it is open. */
export const LEDGER_SCHEMA_VERSION = MIGRATIONS.length

/** The schema version just before the counters existed: what tests of the counters migration start from. */
export const BEFORE_COUNTERS_SCHEMA_VERSION = MIGRATIONS.findIndex((m) => typeof m === 'string' && m.includes('CREATE TABLE counters'))

const OLD_KINDS = "IN ('artifacts', 'expect', 'close', 'session')"
const NEW_KINDS = "IN ('artifacts', 'expect', 'close', 'session', 'delete', 'expire')"

/**
 * Deletion and expiry as history. The kind CHECK is widened in place, by SQLite's documented
 * writable_schema procedure (https://sqlite.org/lang_altertable.html#otheralter): rebuilding a
 * commits table of ten million rows would hold the log for minutes. Widening a CHECK is one of the
 * changes that procedure allows, since every stored row still satisfies the new constraint.
 */
function removalsMigration(db: Db): void {
  const version = db.pragma('schema_version', { simple: true }) as number
  db.unsafeMode(true)
  try {
    db.pragma('writable_schema = ON')
    db.prepare("UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'commits'").run(OLD_KINDS, NEW_KINDS)
    const sql = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'commits'").pluck().get() as string | undefined
    // Rolled back with the whole migration: a schema that does not read as expected is not touched.
    if (sql?.includes(NEW_KINDS) !== true) throw new Error('migration: the commits kind CHECK is not the one expected')
    db.pragma(`schema_version = ${version + 1}`)
    db.pragma('writable_schema = OFF')
  } finally {
    db.unsafeMode(false)
  }
  db.exec(`
  -- The delete or expire entry that made a version unreadable; NULL while it is live. The row stays.
  ALTER TABLE commit_artifacts ADD COLUMN removed_seq INTEGER;
  CREATE INDEX versions_by_removal ON commit_artifacts (removed_seq) WHERE removed_seq IS NOT NULL;
  -- When an object's last live version was removed: the garbage collector's grace period starts here.
  ALTER TABLE objects ADD COLUMN released_at TEXT;
  -- A session's own retention (JSON {keepVersions?, deleteAfterDays?}; NULL: the server's defaults)
  -- and its hold, which stops deletion and expiry.
  ALTER TABLE sessions ADD COLUMN retention TEXT;
  ALTER TABLE sessions ADD COLUMN hold INTEGER NOT NULL DEFAULT 0 CHECK (hold IN (0, 1));
  `)
}

/**
 * Opens ledger.db and migrates it. `schemaVersion` stops the migrations early: only for tests that
 * build a ledger as an older release left it, to check what the next migrations make of it.
 */
export function openLedgerDb(path: string, schemaVersion = LEDGER_SCHEMA_VERSION): Db {
  const db = new Database(path)
  // Only possible before the first table exists: free pages can then go back to the filesystem in
  // small steps (garbage collection), never by a VACUUM that holds the whole log.
  if (db.pragma('page_count', { simple: true }) === 0) db.pragma('auto_vacuum = INCREMENTAL')
  // WAL lets readers run beside the writer; FULL makes each commit durable when its transaction ends.
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db, schemaVersion)
  // After the migrations, whose index builds may sort more than memory should hold: a statement that
  // fires the counters' triggers inside a transaction keeps a statement journal, and on disk that is a
  // temp file opened and unlinked per transaction (and one more file handle, which EMFILE can refuse).
  // In memory it is only as large as the pages one statement changes.
  db.pragma('temp_store = MEMORY')
  return db
}

/** Brings the schema up to `target` (all migrations by default; tests stop earlier to build an old log). */
export function migrate(db: Db, target = MIGRATIONS.length): void {
  const current = db.pragma('user_version', { simple: true }) as number
  for (let version = current; version < target; version++) {
    db.transaction(() => {
      const migration = MIGRATIONS[version] ?? ''
      if (typeof migration === 'string') db.exec(migration)
      else migration(db)
      db.pragma(`user_version = ${version + 1}`)
    })()
  }
}
