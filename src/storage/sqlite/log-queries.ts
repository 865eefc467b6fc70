// Reads of the log, as plain functions over the connection: the adapter runs them once it is free
// (SqlRunner.read), a unit of work runs them inside its own transaction.
import type { CommitState } from '../../domain/commit-state.js'
import type { ArtifactVersion, CommitRecord, CommitWithTransitions, Transition } from '../../domain/model.js'
import type { CommitFilter } from '../../domain/ports.js'
import { toArtifact, toRecord as recordOf, toVersion, VERSION_COLUMNS, VERSIONS_FROM, type ArtifactRow, type CommitRow, type VersionRow } from '../sql-rows.js'
import type { SqlRunner } from './sql-runner.js'

/** The upper bound of names under `prefix/`: '/' is 0x2F, so '0' (0x30) sorts right after all of them. */
function childRange(name: string): [string, string] {
  return [`${name}/`, `${name}0`]
}

/** A version is in the snapshot as of seq S when it was committed at or before S and not removed at or before S. */
const IN_SNAPSHOT = '(ca.removed_seq IS NULL OR ca.removed_seq > ?)'

export function latestVersions(run: SqlRunner, sessionId: string, atSeq?: number): ArtifactVersion[] {
  if (atSeq === undefined) {
    const rows = run.sql(`SELECT ${VERSION_COLUMNS} FROM latest_artifacts la
      JOIN commit_artifacts ca ON ca.session_id = la.session_id AND ca.name = la.name AND ca.version = la.version
      JOIN commits c ON c.seq = ca.commit_seq
      LEFT JOIN commits r ON r.seq = ca.removed_seq
      WHERE la.session_id = ? ORDER BY la.name`).all(sessionId) as VersionRow[]
    return rows.map(toVersion)
  }
  const rows = run.sql(`SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = ? AND ca.version IS NOT NULL AND ca.commit_seq <= ? AND ${IN_SNAPSHOT}
      AND ca.version = (SELECT MAX(x.version) FROM commit_artifacts x
        WHERE x.session_id = ca.session_id AND x.name = ca.name AND x.version IS NOT NULL AND x.commit_seq <= ?
          AND (x.removed_seq IS NULL OR x.removed_seq > ?))
    ORDER BY ca.name`).all(sessionId, atSeq, atSeq, atSeq, atSeq) as VersionRow[]
  return rows.map(toVersion)
}

/** The latest live version, or the latest in the snapshot as of `atSeq` (marked when it was removed since). */
export function latestVersion(run: SqlRunner, sessionId: string, name: string, atSeq?: number): ArtifactVersion | undefined {
  const at = atSeq ?? Number.MAX_SAFE_INTEGER
  const row = run.sql(`SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = ? AND ca.name = ? AND ca.version IS NOT NULL AND ca.commit_seq <= ? AND ${IN_SNAPSHOT}
    ORDER BY ca.version DESC LIMIT 1`).get(sessionId, name, at, at) as VersionRow | undefined
  return row === undefined ? undefined : toVersion(row)
}

export function version(run: SqlRunner, sessionId: string, name: string, number: number): ArtifactVersion | undefined {
  const row = run.sql(`SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = ? AND ca.name = ? AND ca.version = ?`).get(sessionId, name, number) as VersionRow | undefined
  return row === undefined ? undefined : toVersion(row)
}

/** Every committed version of a name, removed ones included and marked. */
export function versionHistory(run: SqlRunner, sessionId: string, name: string): ArtifactVersion[] {
  const rows = run.sql(`SELECT ${VERSION_COLUMNS} FROM ${VERSIONS_FROM}
    WHERE ca.session_id = ? AND ca.name = ? AND ca.version IS NOT NULL
    ORDER BY ca.version`).all(sessionId, name) as VersionRow[]
  return rows.map(toVersion)
}

export function findNameConflict(run: SqlRunner, sessionId: string, names: readonly string[]): { name: string; existing: string } | undefined {
  const exact = run.sql('SELECT name FROM latest_artifacts WHERE session_id = ? AND name = ?')
  const child = run.sql('SELECT name FROM latest_artifacts WHERE session_id = ? AND name >= ? AND name < ? LIMIT 1')
  for (const name of names) {
    const segments = name.split('/')
    for (let i = 1; i < segments.length; i++) {
      const prefix = segments.slice(0, i).join('/')
      if (exact.get(sessionId, prefix) !== undefined) return { name, existing: prefix }
    }
    const [low, high] = childRange(name)
    const row = child.get(sessionId, low, high) as { name: string } | undefined
    if (row !== undefined) return { name, existing: row.name }
  }
  return undefined
}

/** An entry's record, its artifacts read in position order. */
export function toRecord(run: SqlRunner, row: CommitRow): CommitRecord {
  const artifacts = run.sql(`SELECT position, name, version, sha256, size, media_type FROM commit_artifacts
    WHERE commit_seq = ? ORDER BY position`).all(row.seq) as ArtifactRow[]
  return recordOf(row, artifacts.map(toArtifact))
}

export function commitBySeq(run: SqlRunner, seq: number): CommitRecord | undefined {
  const row = run.sql('SELECT * FROM commits WHERE seq = ?').get(seq) as CommitRow | undefined
  return row === undefined ? undefined : toRecord(run, row)
}

export function commitById(run: SqlRunner, id: string): CommitWithTransitions | undefined {
  const row = run.sql('SELECT * FROM commits WHERE id = ?').get(id) as CommitRow | undefined
  if (row === undefined) return undefined
  const transitions = (run.sql('SELECT from_state, to_state, at, reason FROM transitions WHERE commit_seq = ? ORDER BY rowid')
    .all(row.seq) as { from_state: CommitState | null; to_state: CommitState; at: string; reason: string | null }[])
    .map((t): Transition => ({ from: t.from_state, to: t.to_state, at: t.at, reason: t.reason }))
  return { ...toRecord(run, row), transitions }
}

export function listCommits(run: SqlRunner, filter: CommitFilter): CommitRecord[] {
  const where: string[] = ['seq > ?']
  const params: (string | number)[] = [filter.afterSeq ?? 0]
  if (filter.sessionId !== undefined) {
    where.push('session_id = ?')
    params.push(filter.sessionId)
  } else if (filter.excludeSessionId !== undefined) {
    where.push('session_id != ?')
    params.push(filter.excludeSessionId)
  }
  if (filter.state !== undefined) {
    where.push('state = ?')
    params.push(filter.state)
  }
  if (filter.kind !== undefined) {
    where.push('kind = ?')
    params.push(filter.kind)
  }
  if (filter.since !== undefined) {
    // Seek to the first commit at or after `since` with one lookup in the (created_at, seq) index, then
    // page by seq from there: filtering created_at row by row from seq 0 would read half a million rows.
    const first = run.sql('SELECT seq FROM commits WHERE created_at >= ? ORDER BY created_at, seq LIMIT 1').get(filter.since) as { seq: number } | undefined
    params[0] = Math.max(Number(params[0]), (first?.seq ?? Number.MAX_SAFE_INTEGER) - 1)
    where.push('created_at >= ?')
    params.push(filter.since)
  }
  const rows = run.sql(`SELECT * FROM commits WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`)
    .all(...params, filter.limit) as CommitRow[]
  return rows.map((row) => toRecord(run, row))
}

/** Every counter of a family (counters.ts), by key: a primary-key range, as many rows as the family has keys. */
export function readCounters(run: SqlRunner, family: string): Map<string, number> {
  const rows = run.sql('SELECT key, n FROM counters WHERE family = ?').all(family) as { key: string; n: number }[]
  return new Map(rows.map((row) => [row.key, row.n]))
}
