// The log's schema in PostgreSQL: a numbered list of migrations, applied in one transaction under an
// advisory lock (so replicas starting together migrate once), the version kept in schema_version.
// Append a migration to change it, never edit one in place. The tables are SQLite's (../sqlite/ledger-db.ts)
// as that schema stands after all its migrations. Text that is compared or paged by order is COLLATE "C":
// byte order, as SQLite and JavaScript compare, whatever locale the cluster was created with.
// Timestamps are the ISO strings the port speaks (TEXT), as in SQLite: the suites compare them as written.
import { LOCKS, type PgSql } from './pg-runner.js'
import { COUNTERS_SCHEMA } from './pg-counters.js'

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE sessions (
    id           TEXT COLLATE "C" PRIMARY KEY,
    created_at   TEXT NOT NULL,
    updated_at   TEXT COLLATE "C" NOT NULL,
    head_seq     BIGINT NOT NULL DEFAULT 0,
    metadata     TEXT,
    expected     TEXT,
    state        TEXT NOT NULL DEFAULT 'open',
    completed_at TEXT,
    deadline     TEXT COLLATE "C",
    closed_by    TEXT CHECK (closed_by IN ('writer', 'deadline')),
    error        TEXT,
    retention    TEXT,
    hold         BOOLEAN NOT NULL DEFAULT false
  );
  CREATE INDEX sessions_due ON sessions (deadline) WHERE state = 'open';
  CREATE INDEX sessions_recently_closed ON sessions (state, updated_at) WHERE state <> 'open';

  -- seq is an identity: handed out in the order entries are appended, since every appending transaction
  -- holds the log's write lock from before its first insert to its commit (pg-runner.ts), so a reader
  -- paging by seq never sees a later seq before an earlier one.
  CREATE TABLE commits (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT COLLATE "C" NOT NULL UNIQUE,
    session_id     TEXT COLLATE "C" NOT NULL,
    kind           TEXT NOT NULL DEFAULT 'artifacts' CHECK (kind IN ('artifacts', 'expect', 'close', 'session', 'delete', 'expire')),
    change         TEXT,
    state          TEXT NOT NULL CHECK (state IN ('pending', 'committed', 'failed', 'aborted')),
    message        TEXT,
    metadata       TEXT,
    created_at     TEXT COLLATE "C" NOT NULL,
    finished_at    TEXT COLLATE "C",
    error_code     TEXT,
    error_detail   TEXT,
    error_facts    TEXT,
    -- true until every file this entry touched is known to be settled (committed, rolled back or cleaned).
    needs_recovery BOOLEAN NOT NULL DEFAULT true
  );
  CREATE INDEX commits_by_session ON commits (session_id, seq);
  CREATE INDEX commits_by_state ON commits (state, seq);
  CREATE INDEX commits_by_time ON commits (created_at, seq);
  CREATE INDEX commits_by_kind ON commits (kind, seq);
  CREATE INDEX commits_needing_recovery ON commits (seq) WHERE needs_recovery;

  CREATE TABLE transitions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    commit_seq BIGINT NOT NULL REFERENCES commits (seq),
    from_state TEXT,
    to_state   TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT
  );
  CREATE INDEX transitions_by_commit ON transitions (commit_seq);

  -- What each entry wrote or tried to write; version is set only once it is committed, unique per name.
  CREATE TABLE commit_artifacts (
    commit_seq  BIGINT NOT NULL REFERENCES commits (seq),
    position    INTEGER NOT NULL,
    session_id  TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    version     INTEGER,
    sha256      TEXT COLLATE "C",
    size        BIGINT,
    media_type  TEXT,
    -- The delete or expire entry that made this version unreadable; NULL while it is live.
    removed_seq BIGINT,
    PRIMARY KEY (commit_seq, position)
  );
  CREATE UNIQUE INDEX versions_by_name ON commit_artifacts (session_id, name, version) WHERE version IS NOT NULL;
  CREATE INDEX live_versions ON commit_artifacts (session_id, name, version) WHERE version IS NOT NULL AND removed_seq IS NULL;
  CREATE INDEX artifacts_by_object ON commit_artifacts (sha256);
  CREATE INDEX versions_by_removal ON commit_artifacts (removed_seq) WHERE removed_seq IS NOT NULL;

  -- The latest committed version of every artifact: the plain view's source of truth.
  CREATE TABLE latest_artifacts (
    session_id TEXT COLLATE "C" NOT NULL,
    name       TEXT COLLATE "C" NOT NULL,
    version    INTEGER NOT NULL,
    sha256     TEXT COLLATE "C" NOT NULL,
    commit_seq BIGINT NOT NULL,
    PRIMARY KEY (session_id, name)
  );

  CREATE TABLE objects (
    sha256      TEXT COLLATE "C" PRIMARY KEY,
    size        BIGINT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'corrupt', 'missing')),
    created_at  TEXT COLLATE "C" NOT NULL,
    checked_at  TEXT,
    -- When the object's last live version was removed: the garbage collector's grace period starts here.
    released_at TEXT COLLATE "C"
  );

  -- Held from a commit's pending entry on, kept once it commits, deleted if it fails or is aborted: a concurrent
  -- duplicate (another replica) is refused its pending entry and waits for the holder instead of committing twice.
  CREATE TABLE idempotency_keys (
    session_id  TEXT COLLATE "C" NOT NULL,
    key         TEXT COLLATE "C" NOT NULL,
    fingerprint TEXT NOT NULL,
    commit_seq  BIGINT NOT NULL REFERENCES commits (seq),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (session_id, key)
  );
  CREATE INDEX idempotency_keys_by_commit ON idempotency_keys (commit_seq);

  CREATE TABLE scrub_runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    ok          BOOLEAN NOT NULL,
    summary     TEXT NOT NULL
  );

  -- Objects taken by garbage collection (or a prune) whose bytes are still to be deleted.
  CREATE TABLE object_gc (
    sha256 TEXT COLLATE "C" PRIMARY KEY
  );

  CREATE TABLE gc_runs (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record TEXT NOT NULL
  );
  CREATE TABLE gc_totals (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    runs              BIGINT NOT NULL,
    reclaimed_objects BIGINT NOT NULL,
    reclaimed_bytes   BIGINT NOT NULL
  );
  INSERT INTO gc_totals (id, runs, reclaimed_objects, reclaimed_bytes) VALUES (1, 0, 0, 0);

  -- One row the readiness probe rewrites, to prove the log takes durable writes.
  CREATE TABLE health_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
  );

  ${COUNTERS_SCHEMA}
  `,
  // Replicas (replica.ts): each announces itself here and holds the advisory lock on its lock_key while it
  // lives. Every entry records the replica that wrote it, so recovery ends only a gone replica's entries.
  // The default reads the writing connection's setting (pg-runner.ts); entries written before stay NULL.
  `
  CREATE TABLE replicas (
    id         TEXT COLLATE "C" PRIMARY KEY,
    lock_key   INTEGER GENERATED ALWAYS AS IDENTITY UNIQUE,
    started_at TEXT NOT NULL
  );
  ALTER TABLE commits ADD COLUMN owner TEXT COLLATE "C";
  ALTER TABLE commits ALTER COLUMN owner SET DEFAULT NULLIF(current_setting('ledger.replica', true), '');
  CREATE INDEX commits_unfinished_by_owner ON commits (owner, seq) WHERE state = 'pending' OR needs_recovery;
  `,
]

/** The schema version this code writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length

/** Brings the schema up to date: every missing migration in one transaction, one migrator at a time. */
export async function migrate(sql: PgSql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCKS.app}::int, ${LOCKS.migrate}::int)`
    await tx`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`
    const [row] = await tx<{ version: number }[]>`SELECT version FROM schema_version`
    const current = row?.version ?? 0
    if (current > MIGRATIONS.length) throw new Error(`the log's schema is version ${current}, newer than this release knows (${MIGRATIONS.length})`)
    for (let version = current; version < MIGRATIONS.length; version++) await tx.unsafe(MIGRATIONS[version] ?? '')
    if (row === undefined) await tx`INSERT INTO schema_version (version) VALUES (${MIGRATIONS.length})`
    else await tx`UPDATE schema_version SET version = ${MIGRATIONS.length}`
  })
}
