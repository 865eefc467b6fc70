// Deletion and expiry in SQLite: one entry, and the versions it removes marked with its seq, inside the
// caller's transaction. Rows are never deleted: removal is history. Objects are only stamped released.
import type { DeleteChange, EntryChange, ExpireChange, RemovalKind } from '../../domain/model.js'
import type { ExpiryCandidate, ExpiryQuery } from '../../domain/ports.js'
import { effectiveRetention, type Retention } from '../../domain/session.js'
import { appendSessionEntry } from './log-entries.js'
import type { SqlRunner } from './sql-runner.js'

interface LiveRow {
  commit_seq: number
  position: number
  name: string
  sha256: string
}

/** Appends the entry, then marks `rows` removed by it and brings the latest set and the objects in line. */
function remove(run: SqlRunner, sessionId: string, kind: RemovalKind, change: EntryChange, rows: readonly LiveRow[], now: string): number {
  const seq = appendSessionEntry(run, sessionId, kind, change, now, { needsRecovery: true })
  const mark = run.sql('UPDATE commit_artifacts SET removed_seq = ? WHERE commit_seq = ? AND position = ?')
  for (const row of rows) mark.run(seq, row.commit_seq, row.position)
  // A name whose latest version went has no latest any more; its plain file goes after the transaction.
  const dropLatest = run.sql(`DELETE FROM latest_artifacts WHERE session_id = ? AND name = ? AND NOT EXISTS (
    SELECT 1 FROM commit_artifacts ca WHERE ca.session_id = latest_artifacts.session_id AND ca.name = latest_artifacts.name
      AND ca.version = latest_artifacts.version AND ca.removed_seq IS NULL)`)
  for (const name of new Set(rows.map((r) => r.name))) dropLatest.run(sessionId, name)
  // The garbage collector's grace period starts when nothing live refers to the object any more.
  const live = run.sql('SELECT 1 FROM commit_artifacts WHERE sha256 = ? AND version IS NOT NULL AND removed_seq IS NULL LIMIT 1')
  const release = run.sql('UPDATE objects SET released_at = ? WHERE sha256 = ? AND released_at IS NULL')
  for (const sha256 of new Set(rows.map((r) => r.sha256))) {
    if (live.get(sha256) === undefined) release.run(now, sha256)
  }
  return seq
}

const LIVE = 'version IS NOT NULL AND removed_seq IS NULL'

export function deleteArtifact(run: SqlRunner, sessionId: string, name: string, change: Omit<DeleteChange, 'removedVersions'>, now: string): number {
  const rows = run.sql(`SELECT commit_seq, position, name, sha256 FROM commit_artifacts WHERE session_id = ? AND name = ? AND ${LIVE}`)
    .all(sessionId, name) as LiveRow[]
  return remove(run, sessionId, 'delete', { delete: { ...change, removedVersions: rows.length } }, rows, now)
}

export function deleteSession(run: SqlRunner, sessionId: string, change: Omit<DeleteChange, 'removedVersions'>, now: string): number {
  const rows = run.sql(`SELECT commit_seq, position, name, sha256 FROM commit_artifacts WHERE session_id = ? AND ${LIVE}`).all(sessionId) as LiveRow[]
  const seq = remove(run, sessionId, 'delete', { delete: { ...change, removedVersions: rows.length } }, rows, now)
  run.sql("UPDATE sessions SET state = 'deleted', updated_at = ? WHERE id = ?").run(now, sessionId)
  return seq
}

export function expireVersions(run: SqlRunner, sessionId: string, change: ExpireChange, now: string): number | undefined {
  const find = run.sql(`SELECT commit_seq, position, name, sha256 FROM commit_artifacts WHERE session_id = ? AND name = ? AND version = ? AND ${LIVE}`)
  const rows: LiveRow[] = []
  const versions: ExpireChange['versions'] = []
  for (const ref of change.versions) {
    const row = find.get(sessionId, ref.name, ref.version) as LiveRow | undefined
    if (row === undefined) continue
    rows.push(row)
    versions.push(ref)
  }
  if (rows.length === 0) return undefined
  return remove(run, sessionId, 'expire', { expire: { retention: change.retention, versions } }, rows, now)
}

/**
 * Live versions retention removes now. Each session's rules come from its JSON (or the defaults given
 * as parameters); a version beyond the newest N is one whose number is at most the name's highest minus N.
 */
export function expirable(run: SqlRunner, query: ExpiryQuery): ExpiryCandidate[] {
  const rows = run.sql(`SELECT s.id AS session_id, s.retention AS retention, ca.name AS name, ca.version AS version
    FROM sessions s
    -- CROSS JOIN fixes the order: sessions first (few, filtered), then each one's live versions by index.
    CROSS JOIN commit_artifacts ca ON ca.session_id = s.id AND ca.version IS NOT NULL AND ca.removed_seq IS NULL
    JOIN commits c ON c.seq = ca.commit_seq
    WHERE s.hold = 0 AND s.state != 'deleted' AND (s.retention IS NOT NULL OR ?) AND (
      ca.version <= (SELECT MAX(x.version) FROM commit_artifacts x WHERE x.session_id = ca.session_id AND x.name = ca.name AND x.version IS NOT NULL)
        - COALESCE(json_extract(s.retention, '$.keepVersions'), ?)
      OR c.finished_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?, '-' || (COALESCE(json_extract(s.retention, '$.deleteAfterDays'), ?) * 86400) || ' seconds')
    )
    ORDER BY ca.commit_seq, ca.position LIMIT ?`).all(
    // Without server defaults only sessions with their own retention can have anything due.
    query.defaults.keepVersions !== undefined || query.defaults.deleteAfterDays !== undefined ? 1 : 0,
    query.defaults.keepVersions ?? null, query.now, query.defaults.deleteAfterDays ?? null, query.limit,
  ) as { session_id: string; retention: string | null; name: string; version: number }[]
  return rows.map((row) => ({
    sessionId: row.session_id,
    name: row.name,
    version: row.version,
    retention: effectiveRetention(row.retention === null ? null : (JSON.parse(row.retention) as Retention), query.defaults),
  }))
}
