// Reads of the log, as plain functions over a connection or a transaction: the adapter runs them on the
// pool (PgRunner.read), a unit of work inside its own transaction. Same meaning as ../sqlite/log-queries.ts.
import type { CommitState } from '../../domain/commit-state.js'
import type { ArtifactVersion, CommitArtifact, CommitRecord, CommitWithTransitions, Transition } from '../../domain/model.js'
import type { CommitFilter } from '../../domain/ports.js'
import type { Q } from './pg-runner.js'
import { toArtifact, toRecord, toVersion, VERSION_COLUMNS, VERSIONS_FROM, type ArtifactRow, type CommitRow, type VersionRow } from '../sql-rows.js'

type Param = string | number | boolean | null | number[]

/** A query whose text is built from the constants of this adapter (never from input), prepared per connection. */
export function query<T>(q: Q, text: string, params: Param[] = []): Promise<T[]> {
  return q.unsafe(text, params as never[], { prepare: true }) as unknown as Promise<T[]>
}

/** The upper bound of names under `prefix/`: '/' is 0x2F, so '0' (0x30) sorts right after all of them. */
function childRange(name: string): [string, string] {
  return [`${name}/`, `${name}0`]
}

export async function latestVersions(q: Q, sessionId: string, atSeq?: number): Promise<ArtifactVersion[]> {
  if (atSeq === undefined) {
    const rows = await query<VersionRow>(q, `SELECT ${VERSION_COLUMNS} FROM latest_artifacts la
      JOIN commit_artifacts ca ON ca.session_id = la.session_id AND ca.name = la.name AND ca.version = la.version
      JOIN commits c ON c.seq = ca.commit_seq
      LEFT JOIN commits r ON r.seq = ca.removed_seq
      WHERE la.session_id = $1 ORDER BY la.name`, [sessionId])
    return rows.map(toVersion)
  }
  // In the snapshot as of $2: committed at or before it and not removed at or before it.
  const rows = await query<VersionRow>(q, `SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = $1 AND ca.version IS NOT NULL AND ca.commit_seq <= $2 AND (ca.removed_seq IS NULL OR ca.removed_seq > $2)
      AND ca.version = (SELECT MAX(x.version) FROM commit_artifacts x
        WHERE x.session_id = ca.session_id AND x.name = ca.name AND x.version IS NOT NULL AND x.commit_seq <= $2
          AND (x.removed_seq IS NULL OR x.removed_seq > $2))
    ORDER BY ca.name`, [sessionId, atSeq])
  return rows.map(toVersion)
}

export async function latestVersion(q: Q, sessionId: string, name: string, atSeq?: number): Promise<ArtifactVersion | undefined> {
  const [row] = await query<VersionRow>(q, `SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = $1 AND ca.name = $2 AND ca.version IS NOT NULL AND ca.commit_seq <= $3 AND (ca.removed_seq IS NULL OR ca.removed_seq > $3)
    ORDER BY ca.version DESC LIMIT 1`, [sessionId, name, atSeq ?? Number.MAX_SAFE_INTEGER])
  return row === undefined ? undefined : toVersion(row)
}

export async function version(q: Q, sessionId: string, name: string, number: number): Promise<ArtifactVersion | undefined> {
  const [row] = await query<VersionRow>(q, `SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = $1 AND ca.name = $2 AND ca.version = $3`, [sessionId, name, number])
  return row === undefined ? undefined : toVersion(row)
}

export async function versionHistory(q: Q, sessionId: string, name: string): Promise<ArtifactVersion[]> {
  const rows = await query<VersionRow>(q, `SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = $1 AND ca.name = $2 AND ca.version IS NOT NULL ORDER BY ca.version`, [sessionId, name])
  return rows.map(toVersion)
}

export async function findNameConflict(q: Q, sessionId: string, names: readonly string[]): Promise<{ name: string; existing: string } | undefined> {
  for (const name of names) {
    const segments = name.split('/')
    const prefixes = segments.slice(1).map((_, i) => segments.slice(0, i + 1).join('/'))
    if (prefixes.length > 0) {
      const found = await q<{ name: string }[]>`SELECT name FROM latest_artifacts WHERE session_id = ${sessionId} AND name = ANY(${prefixes}::text[])`
      const existing = prefixes.find((prefix) => found.some((row) => row.name === prefix))
      if (existing !== undefined) return { name, existing }
    }
    const [low, high] = childRange(name)
    const [child] = await q<{ name: string }[]>`SELECT name FROM latest_artifacts WHERE session_id = ${sessionId} AND name >= ${low} AND name < ${high}
      ORDER BY name LIMIT 1`
    if (child !== undefined) return { name, existing: child.name }
  }
  return undefined
}

/** Records of the given rows, their artifacts read in one query. */
export async function toRecords(q: Q, rows: readonly CommitRow[]): Promise<CommitRecord[]> {
  if (rows.length === 0) return []
  const artifacts = await q<ArtifactRow[]>`SELECT commit_seq, position, name, version, sha256, size, media_type FROM commit_artifacts
    WHERE commit_seq = ANY(${rows.map((r) => r.seq)}::bigint[]) ORDER BY commit_seq, position`
  const bySeq = new Map<number, CommitArtifact[]>()
  for (const a of artifacts) {
    const list = bySeq.get(a.commit_seq) ?? []
    list.push(toArtifact(a))
    bySeq.set(a.commit_seq, list)
  }
  return rows.map((row) => toRecord(row, bySeq.get(row.seq) ?? []))
}

export async function commitBySeq(q: Q, seq: number): Promise<CommitRecord | undefined> {
  const rows = await q<CommitRow[]>`SELECT * FROM commits WHERE seq = ${seq}`
  return (await toRecords(q, rows))[0]
}

export async function commitById(q: Q, id: string): Promise<CommitWithTransitions | undefined> {
  const rows = await q<CommitRow[]>`SELECT * FROM commits WHERE id = ${id}`
  const [record] = await toRecords(q, rows)
  if (record === undefined) return undefined
  const transitions = (await q<{ from_state: CommitState | null; to_state: CommitState; at: string; reason: string | null }[]>`
    SELECT from_state, to_state, at, reason FROM transitions WHERE commit_seq = ${record.seq} ORDER BY id`)
    .map((t): Transition => ({ from: t.from_state, to: t.to_state, at: t.at, reason: t.reason }))
  return { ...record, transitions }
}

export async function listCommits(q: Q, filter: CommitFilter): Promise<CommitRecord[]> {
  const where: string[] = []
  const params: Param[] = []
  const add = (condition: (p: string) => string, value: Param): void => {
    params.push(value)
    where.push(condition(`$${params.length}`))
  }
  let afterSeq = filter.afterSeq ?? 0
  if (filter.since !== undefined) {
    // Seek to the first entry at or after `since` with one lookup in the (created_at, seq) index, then page by seq.
    const [first] = await q<{ seq: number }[]>`SELECT seq FROM commits WHERE created_at >= ${filter.since} ORDER BY created_at, seq LIMIT 1`
    afterSeq = Math.max(afterSeq, (first?.seq ?? Number.MAX_SAFE_INTEGER) - 1)
    add((p) => `created_at >= ${p}`, filter.since)
  }
  add((p) => `seq > ${p}`, afterSeq)
  if (filter.sessionId !== undefined) add((p) => `session_id = ${p}`, filter.sessionId)
  else if (filter.excludeSessionId !== undefined) add((p) => `session_id <> ${p}`, filter.excludeSessionId)
  if (filter.state !== undefined) add((p) => `state = ${p}`, filter.state)
  if (filter.kind !== undefined) add((p) => `kind = ${p}`, filter.kind)
  params.push(filter.limit)
  const rows = await query<CommitRow>(q, `SELECT * FROM commits WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.length}`, params)
  return toRecords(q, rows)
}

/** Every counter of a family (pg-counters.ts), by key. */
export async function readCounters(q: Q, family: string): Promise<Map<string, number>> {
  const rows = await q<{ key: string; n: number }[]>`SELECT key, n FROM counters WHERE family = ${family}`
  return new Map(rows.map((row) => [row.key, row.n]))
}
