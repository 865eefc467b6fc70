// Deletion and expiry in PostgreSQL: one entry, and the versions it removes marked with its seq, inside the
// caller's transaction. Rows are never deleted: removal is history. Objects are only stamped released.
// Same meaning as ../sqlite/removals.ts.
import type { DeleteChange, EntryChange, ExpireChange, RemovalKind } from '../../domain/model.js'
import type { ExpiryCandidate, ExpiryQuery } from '../../domain/ports.js'
import { effectiveRetention, type Retention } from '../../domain/session.js'
import { appendSessionEntry } from './log-entries.js'
import type { Q } from './pg-runner.js'

interface LiveRow {
  commit_seq: number
  position: number
  name: string
  sha256: string
}

/** Appends the entry, then marks `rows` removed by it and brings the latest set and the objects in line. */
async function remove(q: Q, sessionId: string, kind: RemovalKind, change: EntryChange, rows: readonly LiveRow[], now: string): Promise<number> {
  const seq = await appendSessionEntry(q, sessionId, kind, change, now, { needsRecovery: true })
  for (const row of rows) await q`UPDATE commit_artifacts SET removed_seq = ${seq} WHERE commit_seq = ${row.commit_seq} AND position = ${row.position}`
  // A name whose latest version went has no latest any more; its plain file goes after the transaction.
  const names = [...new Set(rows.map((r) => r.name))]
  await q`DELETE FROM latest_artifacts la WHERE la.session_id = ${sessionId} AND la.name = ANY(${names}::text[]) AND NOT EXISTS (
    SELECT 1 FROM commit_artifacts ca WHERE ca.session_id = la.session_id AND ca.name = la.name AND ca.version = la.version AND ca.removed_seq IS NULL)`
  // The garbage collector's grace period starts when nothing live refers to the object any more.
  const digests = [...new Set(rows.map((r) => r.sha256))]
  await q`UPDATE objects o SET released_at = ${now} WHERE o.sha256 = ANY(${digests}::text[]) AND o.released_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM commit_artifacts ca WHERE ca.sha256 = o.sha256 AND ca.version IS NOT NULL AND ca.removed_seq IS NULL)`
  return seq
}

export async function deleteArtifact(q: Q, sessionId: string, name: string, change: Omit<DeleteChange, 'removedVersions'>, now: string): Promise<number> {
  const rows = await q<LiveRow[]>`SELECT commit_seq, position, name, sha256 FROM commit_artifacts
    WHERE session_id = ${sessionId} AND name = ${name} AND version IS NOT NULL AND removed_seq IS NULL ORDER BY commit_seq, position`
  return remove(q, sessionId, 'delete', { delete: { ...change, removedVersions: rows.length } }, rows, now)
}

export async function deleteSession(q: Q, sessionId: string, change: Omit<DeleteChange, 'removedVersions'>, now: string): Promise<number> {
  const rows = await q<LiveRow[]>`SELECT commit_seq, position, name, sha256 FROM commit_artifacts
    WHERE session_id = ${sessionId} AND version IS NOT NULL AND removed_seq IS NULL ORDER BY commit_seq, position`
  const seq = await remove(q, sessionId, 'delete', { delete: { ...change, removedVersions: rows.length } }, rows, now)
  await q`UPDATE sessions SET state = 'deleted', updated_at = ${now} WHERE id = ${sessionId}`
  return seq
}

export async function expireVersions(q: Q, sessionId: string, change: ExpireChange, now: string): Promise<number | undefined> {
  const rows: LiveRow[] = []
  const versions: ExpireChange['versions'] = []
  for (const ref of change.versions) {
    const [row] = await q<LiveRow[]>`SELECT commit_seq, position, name, sha256 FROM commit_artifacts
      WHERE session_id = ${sessionId} AND name = ${ref.name} AND version = ${ref.version} AND removed_seq IS NULL`
    if (row === undefined) continue
    rows.push(row)
    versions.push(ref)
  }
  if (rows.length === 0) return undefined
  return remove(q, sessionId, 'expire', { expire: { retention: change.retention, versions } }, rows, now)
}

/**
 * Live versions retention removes now. Each session's rules come from its JSON (or the defaults given as
 * parameters); a version beyond the newest N is one whose number is at most the name's highest minus N.
 */
export async function expirable(q: Q, query: ExpiryQuery): Promise<ExpiryCandidate[]> {
  const { keepVersions, deleteAfterDays } = query.defaults
  // Without server defaults only sessions with their own retention can have anything due.
  const anyDefault = keepVersions !== undefined || deleteAfterDays !== undefined
  const rows = await q<{ session_id: string; retention: string | null; name: string; version: number }[]>`
    SELECT s.id AS session_id, s.retention AS retention, ca.name AS name, ca.version AS version
    FROM sessions s
    JOIN commit_artifacts ca ON ca.session_id = s.id AND ca.version IS NOT NULL AND ca.removed_seq IS NULL
    JOIN commits c ON c.seq = ca.commit_seq
    WHERE NOT s.hold AND s.state <> 'deleted' AND (s.retention IS NOT NULL OR ${anyDefault}::boolean) AND (
      ca.version <= (SELECT MAX(x.version) FROM commit_artifacts x WHERE x.session_id = ca.session_id AND x.name = ca.name AND x.version IS NOT NULL)
        - COALESCE((s.retention::jsonb ->> 'keepVersions')::integer, ${keepVersions ?? null}::integer)
      OR c.finished_at::timestamptz < ${query.now}::timestamptz
        - COALESCE((s.retention::jsonb ->> 'deleteAfterDays')::float8, ${deleteAfterDays ?? null}::float8) * interval '1 day'
    )
    ORDER BY ca.commit_seq, ca.position LIMIT ${query.limit}`
  return rows.map((row) => ({
    sessionId: row.session_id,
    name: row.name,
    version: row.version,
    retention: effectiveRetention(row.retention === null ? null : (JSON.parse(row.retention) as Retention), query.defaults),
  }))
}
