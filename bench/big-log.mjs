// A ledger.db with a long history, written straight into the service's own schema with better-sqlite3.
import { createHash } from 'node:crypto'
import Database from 'better-sqlite3'
import { v7 as uuidv7 } from 'uuid'

const COMMITS_PER_SESSION = 100
/** Sessions that write at the same time; their commits interleave in the log. */
const CONCURRENT_SESSIONS = 50
const ARTIFACT_NAMES = [
  ['quality_metrics.json', 'application/json'],
  ['session_summary.json', 'application/json'],
  ['logs/train.log', 'text/plain; charset=utf-8'],
  ['manuscript/draft.md', 'text/markdown; charset=utf-8'],
  ['checkpoints/model.bin', 'application/octet-stream'],
]
const TABLES = ['sessions', 'commits', 'transitions', 'commit_artifacts', 'latest_artifacts', 'objects']
const CHUNK = 50_000

/** Session of the n-th commit (0-based): waves of CONCURRENT_SESSIONS sessions, each with COMMITS_PER_SESSION commits. */
export function sessionOf(n) {
  const wave = Math.floor(n / (CONCURRENT_SESSIONS * COMMITS_PER_SESSION))
  return wave * CONCURRENT_SESSIONS + (n % CONCURRENT_SESSIONS)
}

export function sessionId(index) {
  return `run-${String(index).padStart(7, '0')}`
}

/** Deterministic but well-spread stand-ins for digests and sizes. */
function digest(seq, position) {
  return createHash('sha256').update(`${seq}/${position}`).digest('hex')
}

/**
 * Appends `count` committed commits to the empty ledger at `path` (its schema made by the service),
 * spread over the last 30 days. Secondary indexes are dropped during the load and rebuilt from the
 * schema's own SQL, so the file ends up exactly as the service would have left it, only faster.
 * Every commit is `committed` with needs_recovery 0; the referenced objects are not on disk.
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
    const indexes = db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
      AND tbl_name IN (${TABLES.map(() => '?').join(', ')})`).all(...TABLES)
    for (const { name } of indexes) db.exec(`DROP INDEX "${name}"`)

    const insertCommit = db.prepare(`INSERT INTO commits (seq, id, session_id, state, message, metadata, created_at, finished_at, needs_recovery)
      VALUES (?, ?, ?, 'committed', ?, ?, ?, ?, 0)`)
    const insertTransition = db.prepare('INSERT INTO transitions (commit_seq, from_state, to_state, at, reason) VALUES (?, ?, ?, ?, NULL)')
    const insertArtifact = db.prepare(`INSERT INTO commit_artifacts (commit_seq, position, session_id, name, version, sha256, size, media_type)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    const insertObject = db.prepare("INSERT INTO objects (sha256, size, state, created_at) VALUES (?, ?, 'ok', ?)")
    const insertSession = db.prepare(`INSERT INTO sessions (id, created_at, updated_at, head_seq, metadata, expected, state, completed_at, deadline, closed_by)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const insertLatest = db.prepare('INSERT INTO latest_artifacts (session_id, name, version, sha256, commit_seq) VALUES (?, ?, ?, ?, ?)')

    const end = Date.now() - 60_000
    const start = end - 30 * 24 * 3600 * 1000
    const step = (end - start) / Math.max(1, count)
    const sessions = new Map()
    const latest = new Map()
    for (let first = 0; first < count; first += CHUNK) {
      db.transaction(() => {
        for (let n = first; n < Math.min(count, first + CHUNK); n++) {
          const seq = n + 1
          const createdMs = Math.round(start + n * step)
          const created = new Date(createdMs).toISOString()
          const finished = new Date(createdMs + 3 + (n % 7)).toISOString()
          const index = sessionOf(n)
          const sid = sessionId(index)
          let session = sessions.get(index)
          if (session === undefined) {
            session = { created, updated: created, headSeq: 0, commits: 0 }
            sessions.set(index, session)
          }
          session.updated = finished
          session.headSeq = seq
          session.commits++
          insertCommit.run(seq, uuidv7({ msecs: createdMs }), sid, n % 10 === 0 ? null : `step ${session.commits}`,
            n % 4 === 0 ? JSON.stringify({ step: session.commits, host: `worker-${n % 16}` }) : null, created, finished)
          insertTransition.run(seq, null, 'pending', created)
          insertTransition.run(seq, 'pending', 'committed', finished)
          // One to three artifacts per commit: mostly the metrics, often the summary or log with it.
          const names = n % 3 === 0 ? [0] : n % 3 === 1 ? [0, 1] : [0, 2, n % 2 === 0 ? 3 : 4]
          names.forEach((nameIndex, position) => {
            const [name, mediaType] = ARTIFACT_NAMES[nameIndex]
            const key = `${sid}\0${name}`
            const version = (latest.get(key)?.version ?? 0) + 1
            const sha256 = digest(seq, position)
            const size = nameIndex === 4 ? 8_388_608 + (n % 1024) : 200 + ((n * 7919 + position * 104_729) % 60_000)
            insertArtifact.run(seq, position, sid, name, version, sha256, size, mediaType)
            insertObject.run(sha256, size, finished)
            latest.set(key, { sid, name, version, sha256, seq })
          })
        }
      })()
      onProgress(Math.min(count, first + CHUNK), count)
    }
    db.transaction(() => {
      const lastIndex = sessionOf(Math.max(0, count - 1))
      for (const [index, s] of sessions) {
        // Finished waves are complete; the last wave is still writing.
        const open = Math.floor(index / CONCURRENT_SESSIONS) === Math.floor(lastIndex / CONCURRENT_SESSIONS)
        // Every session has a deadline: the ones still writing a day from now, the finished ones a day after they began.
        const deadline = new Date(open ? Date.now() + 86_400_000 : Date.parse(s.created) + 86_400_000).toISOString()
        insertSession.run(sessionId(index), s.created, s.updated, s.headSeq, JSON.stringify({ pipeline: 'nightly', run: index }),
          JSON.stringify(['quality_metrics.json', 'session_summary.json']), open ? 'open' : 'complete', open ? null : s.updated,
          deadline, open ? null : 'writer')
      }
      for (const l of latest.values()) insertLatest.run(l.sid, l.name, l.version, l.sha256, l.seq)
    })()
    for (const { sql } of indexes) db.exec(sql)
    // The service opens it in WAL mode; leave no journal behind and the header in WAL mode already.
    db.pragma('journal_mode = WAL')
    db.pragma('wal_checkpoint(TRUNCATE)')
    return {
      commits: count,
      sessions: sessions.size,
      artifacts: db.prepare('SELECT COUNT(*) AS n FROM commit_artifacts').get().n,
      middleSessionId: sessionId(sessionOf(Math.floor(count / 2))),
      middleCreatedAt: new Date(Math.round(start + Math.floor(count / 2) * step)).toISOString(),
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
