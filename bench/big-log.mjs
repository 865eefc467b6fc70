// A ledger.db with a long history, written straight into the service's own schema with better-sqlite3.
// The rows are made by SQL itself, a chunk of commits per statement, so ten million commits take
// minutes rather than the better part of an hour.
import Database from 'better-sqlite3'
import { COUNTERS_RECOUNT, COUNTER_FAMILIES } from '../dist/storage/sqlite/counters.js'

const COMMITS_PER_SESSION = 100
/** Sessions that write at the same time; their commits interleave in the log. */
const CONCURRENT_SESSIONS = 50
const WAVE = CONCURRENT_SESSIONS * COMMITS_PER_SESSION
const ARTIFACT_NAMES = [
  ['quality_metrics.json', 'application/json'],
  ['session_summary.json', 'application/json'],
  ['logs/train.log', 'text/plain; charset=utf-8'],
  ['manuscript/draft.md', 'text/markdown; charset=utf-8'],
  ['checkpoints/model.bin', 'application/octet-stream'],
]
/**
 * Which artifacts the k-th commit of a session writes (by k % 6), with the version each gets: the
 * metrics every time, often the summary or the log with it, now and then the draft or a checkpoint.
 */
const LAYOUT = [
  // [k % 6, position, artifact, version as SQL over k]
  ...[0, 1, 2, 3, 4, 5].map((r) => [r, 0, 0, 'k + 1']),
  [1, 1, 1, 'k / 3 + 1'], [4, 1, 1, 'k / 3 + 1'],
  [2, 1, 2, 'k / 3 + 1'], [5, 1, 2, 'k / 3 + 1'],
  [2, 2, 3, 'k / 6 + 1'], [5, 2, 4, 'k / 6 + 1'],
]
const TABLES = ['sessions', 'commits', 'transitions', 'commit_artifacts', 'latest_artifacts', 'objects']
const CHUNK = 100_000

/** Session of the n-th commit (0-based): waves of CONCURRENT_SESSIONS sessions, each with COMMITS_PER_SESSION commits. */
export function sessionOf(n) {
  const wave = Math.floor(n / WAVE)
  return wave * CONCURRENT_SESSIONS + (n % CONCURRENT_SESSIONS)
}

export function sessionId(index) {
  return `run-${String(index).padStart(7, '0')}`
}

const iso = (msExpression) => `strftime('%Y-%m-%dT%H:%M:%fZ', (${msExpression}) / 1000.0, 'unixepoch')`

/**
 * Appends `count` committed commits to the empty ledger at `path` (its schema made by the service),
 * spread over the last 30 days. Secondary indexes and the counters' triggers are dropped during the
 * load and made again from the schema's own SQL, and the counters counted again as the counters migration counts
 * them, so the file ends up as the service would have left it, only faster. Every commit is
 * `committed` with needs_recovery 0; the referenced objects are not on disk.
 */
export function generateLog(path, count, { onProgress = () => {} } = {}) {
  const db = new Database(path)
  try {
    const existing = db.prepare('SELECT COUNT(*) AS n FROM commits').get().n
    if (existing !== 0) throw new Error(`${path} already has ${existing} commits`)
    db.pragma('journal_mode = OFF')
    db.pragma('synchronous = OFF')
    db.pragma('cache_size = -1048576')
    db.pragma('foreign_keys = OFF')
    const derived = db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL
      AND tbl_name IN (${TABLES.map(() => '?').join(', ')})`).all(...TABLES)
    for (const { type, name } of derived) db.exec(`DROP ${type.toUpperCase()} "${name}"`)

    const end = Date.now() - 60_000
    const start = end - 30 * 24 * 3600 * 1000
    const step = (end - start) / Math.max(1, count)
    db.exec('CREATE TEMP TABLE layout (r INTEGER, position INTEGER, artifact INTEGER, version_sql TEXT)')
    const names = db.prepare('CREATE TEMP TABLE names AS SELECT 0 AS artifact, \'\' AS name, \'\' AS media_type WHERE 0')
    names.run()
    ARTIFACT_NAMES.forEach(([name, mediaType], artifact) => db.prepare('INSERT INTO temp.names VALUES (?, ?, ?)').run(artifact, name, mediaType))
    // n: 0-based commit number; k: its number within its session; ms: when it was created.
    const numbered = `WITH RECURSIVE c(n) AS (SELECT CAST(? AS INTEGER) UNION ALL SELECT n + 1 FROM c WHERE n + 1 < CAST(? AS INTEGER)),
      m AS (SELECT n, n + 1 AS seq, (n % ${WAVE}) / ${CONCURRENT_SESSIONS} AS k,
        (n / ${WAVE}) * ${CONCURRENT_SESSIONS} + n % ${CONCURRENT_SESSIONS} AS session,
        CAST(${start} + n * ${step} AS INTEGER) AS ms FROM c)`
    const insertCommits = db.prepare(`${numbered}
      INSERT INTO commits (seq, id, session_id, state, message, metadata, created_at, finished_at, needs_recovery)
      SELECT seq, printf('%08x-%04x-7%03x-8%03x-%012x', ms / 65536, ms % 65536, n % 4096, k, seq), printf('run-%07d', session), 'committed',
        CASE WHEN n % 10 = 0 THEN NULL ELSE 'step ' || (k + 1) END,
        CASE WHEN n % 4 = 0 THEN json_object('step', k + 1, 'host', 'worker-' || (n % 16)) END,
        ${iso('ms')}, ${iso('ms + 3 + n % 7')}, 0 FROM m`)
    const insertTransitions = db.prepare(`INSERT INTO transitions (commit_seq, from_state, to_state, at, reason)
      SELECT seq, NULL, 'pending', created_at, NULL FROM commits WHERE seq > ? AND seq <= ?
      UNION ALL SELECT seq, 'pending', 'committed', finished_at, NULL FROM commits WHERE seq > ? AND seq <= ?`)
    const versionCases = LAYOUT.map(([r, position, , version]) => `WHEN ${r * 10 + position} THEN ${version}`).join(' ')
    const insertArtifacts = db.prepare(`${numbered}
      INSERT INTO commit_artifacts (commit_seq, position, session_id, name, version, sha256, size, media_type)
      SELECT m.seq, l.position, printf('run-%07d', m.session), x.name, CASE (k % 6) * 10 + l.position ${versionCases} END,
        printf('%08x%08x%016x%016x%016x', (m.seq * 2654435761 + l.position * 40503) % 4294967296, (m.seq * 40503) % 4294967296, m.seq, l.position, m.n),
        CASE WHEN l.artifact = 4 THEN 8388608 + m.n % 1024 ELSE 200 + (m.n * 7919 + l.position * 104729) % 60000 END, x.media_type
      FROM m JOIN temp.layout l ON l.r = m.k % 6 JOIN temp.names x ON x.artifact = l.artifact`)
    const insertObjects = db.prepare(`INSERT INTO objects (sha256, size, state, created_at)
      SELECT a.sha256, a.size, 'ok', c.finished_at FROM commit_artifacts a JOIN commits c ON c.seq = a.commit_seq
      WHERE a.commit_seq > ? AND a.commit_seq <= ?`)
    for (const [r, position, artifact, version] of LAYOUT) db.prepare('INSERT INTO temp.layout VALUES (?, ?, ?, ?)').run(r, position, artifact, version)

    for (let first = 0; first < count; first += CHUNK) {
      const last = Math.min(count, first + CHUNK)
      db.transaction(() => {
        insertCommits.run(first, last)
        insertTransitions.run(first, last, first, last)
        insertArtifacts.run(first, last)
        insertObjects.run(first, last)
      })()
      onProgress(last, count)
    }
    const lastWave = Math.floor(sessionOf(Math.max(0, count - 1)) / CONCURRENT_SESSIONS)
    const now = Date.now()
    db.transaction(() => {
      // Finished waves are complete; the last wave is still writing. Every session has a deadline: the
      // ones still writing a day from now, the finished ones a day after they began.
      db.prepare(`INSERT INTO sessions (id, created_at, updated_at, head_seq, metadata, expected, state, completed_at, deadline, closed_by)
        SELECT session_id, MIN(created_at), MAX(finished_at), MAX(seq),
          json_object('pipeline', 'nightly', 'run', CAST(substr(session_id, 5) AS INTEGER)),
          '["quality_metrics.json","session_summary.json"]',
          CASE WHEN open THEN 'open' ELSE 'complete' END, CASE WHEN open THEN NULL ELSE MAX(finished_at) END,
          CASE WHEN open THEN ${iso(`${now} + 86400000`)} ELSE strftime('%Y-%m-%dT%H:%M:%fZ', MIN(created_at), '+86400 seconds') END,
          CASE WHEN open THEN NULL ELSE 'writer' END
        FROM (SELECT *, CAST(substr(session_id, 5) AS INTEGER) / ${CONCURRENT_SESSIONS} = ${lastWave} AS open FROM commits)
        GROUP BY session_id`).run()
      // SQLite takes the other columns from the row that holds the MAX.
      db.exec(`INSERT INTO latest_artifacts (session_id, name, version, sha256, commit_seq)
        SELECT session_id, name, MAX(version), sha256, commit_seq FROM commit_artifacts GROUP BY session_id, name`)
    })()
    for (const { sql } of derived) db.exec(sql)
    db.exec(COUNTERS_RECOUNT)
    // Like a ledger stopped cleanly: its plain view flushed up to the last entry, so start-up re-checks
    // none. (The empty start that made the schema recorded a checkpoint at 0; the generated log writes
    // no plain files, and its objects are digests without bytes, so a re-check could only fail.)
    db.prepare(`INSERT INTO counters (family, key, n) VALUES (?, 'flushed_seq', (SELECT COALESCE(MAX(seq), 0) FROM commits))
      ON CONFLICT (family, key) DO UPDATE SET n = excluded.n`).run(COUNTER_FAMILIES.plainView)
    // The service opens it in WAL mode; leave no journal behind and the header in WAL mode already.
    db.pragma('journal_mode = WAL')
    db.pragma('wal_checkpoint(TRUNCATE)')
    const middle = Math.floor(count / 2)
    return {
      commits: count,
      sessions: db.prepare('SELECT COUNT(*) AS n FROM sessions').get().n,
      artifacts: db.prepare('SELECT COUNT(*) AS n FROM commit_artifacts').get().n,
      middleSessionId: sessionId(sessionOf(middle)),
      middleCreatedAt: db.prepare('SELECT created_at FROM commits WHERE seq = ?').get(middle + 1).created_at,
    }
  } finally {
    db.close()
  }
}

/**
 * The same page the service serves, read in-process with better-sqlite3: the page's commit rows
 * plus each commit's artifacts. The reference for GET /v1/commits without HTTP, JSON or validation.
 */
export function openPageReader(path) {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  const artifacts = db.prepare(`SELECT position, name, version, sha256, size, media_type FROM commit_artifacts
    WHERE commit_seq = ? ORDER BY position`)
  const statements = new Map()
  return {
    page({ afterSeq = 0, session, state, since, limit = 100 }) {
      const where = ['seq > ?']
      const params = [afterSeq]
      if (session !== undefined) {
        where.push('session_id = ?')
        params.push(session)
      } else {
        where.push('session_id != ?')
        params.push('artifact-ledger.canary')
      }
      if (state !== undefined) {
        where.push('state = ?')
        params.push(state)
      }
      if (since !== undefined) {
        where.push('created_at >= ?')
        params.push(since)
      }
      const sql = `SELECT * FROM commits WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`
      let statement = statements.get(sql)
      if (statement === undefined) {
        statement = db.prepare(sql)
        statements.set(sql, statement)
      }
      const rows = statement.all(...params, limit + 1)
      return rows.map((row) => ({ ...row, artifacts: artifacts.all(row.seq) }))
    },
    close: () => db.close(),
  }
}
