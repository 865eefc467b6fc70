// Row shapes of the log's tables in SQL (SQLite and PostgreSQL name them alike) and how they map to the domain's records.
import type { CommitState } from '../domain/commit-state.js'
import type { ClosedBy, Retention, SessionRow, SessionState, WriterError } from '../domain/session.js'
import type { ArtifactVersion, CommitArtifact, CommitRecord, EntryChange, EntryKind, RemovalKind } from '../domain/model.js'

export interface CommitRow {
  seq: number
  id: string
  session_id: string
  kind: EntryKind
  change: string | null
  state: CommitState
  message: string | null
  metadata: string | null
  created_at: string
  finished_at: string | null
  error_code: string | null
  error_detail: string | null
  error_facts: string | null
}

export interface ArtifactRow {
  commit_seq: number
  position: number
  name: string
  version: number | null
  sha256: string | null
  size: number | null
  media_type: string | null
}

export interface VersionRow {
  name: string
  version: number
  sha256: string
  size: number
  media_type: string
  commit_id: string
  seq: number
  committed_at: string
  removed_seq: number | null
  removed_kind: RemovalKind | null
  removed_at: string | null
}

export const VERSION_COLUMNS = `ca.name, ca.version, ca.sha256, ca.size, ca.media_type,
  c.id AS commit_id, c.seq AS seq, c.finished_at AS committed_at,
  ca.removed_seq AS removed_seq, r.kind AS removed_kind, r.created_at AS removed_at`

/** Versions with the entry that made them and, for a removed one, the entry that removed it. */
export const VERSIONS_FROM = `commit_artifacts ca
  JOIN commits c ON c.seq = ca.commit_seq
  LEFT JOIN commits r ON r.seq = ca.removed_seq`

export function toVersion(row: VersionRow): ArtifactVersion {
  return {
    name: row.name,
    version: row.version,
    sha256: row.sha256,
    size: row.size,
    mediaType: row.media_type,
    commitId: row.commit_id,
    seq: row.seq,
    committedAt: row.committed_at,
    ...(row.removed_seq === null || row.removed_kind === null
      ? {}
      : { removed: { seq: row.removed_seq, kind: row.removed_kind, at: row.removed_at ?? '' } }),
  }
}

/** JSON as the log stores it (text, as written, so a reader gets back exactly what was given). */
export function jsonText(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value)
}

export function parseChange(text: string | null): EntryChange {
  return text === null ? {} : (JSON.parse(text) as EntryChange)
}

export function toArtifact(row: ArtifactRow): CommitArtifact {
  return { name: row.name, version: row.version, sha256: row.sha256, size: row.size, mediaType: row.media_type }
}

/** An entry's record from its row and its artifacts, in position order. */
export function toRecord(row: CommitRow, artifacts: CommitArtifact[]): CommitRecord {
  const change = parseChange(row.change)
  return {
    id: row.id,
    seq: row.seq,
    sessionId: row.session_id,
    kind: row.kind,
    state: row.state,
    message: row.message,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    artifacts,
    error: row.error_code === null ? null : {
      code: row.error_code,
      detail: row.error_detail ?? '',
      ...(row.error_facts === null ? {} : { facts: JSON.parse(row.error_facts) as Record<string, unknown> }),
    },
    expect: change.expect ?? null,
    close: change.close ?? null,
    session: change.session ?? null,
    delete: change.delete ?? null,
    expire: change.expire ?? null,
  }
}

/** A sessions row as both SQL logs store it. */
export interface SessionDbRow {
  id: string
  state: SessionState
  created_at: string
  updated_at: string
  completed_at: string | null
  head_seq: number
  metadata: string | null
  expected: string | null
  deadline: string | null
  closed_by: ClosedBy | null
  error: string | null
  retention: string | null
  /** SQLite keeps it as 0/1, PostgreSQL as a boolean. */
  hold: boolean | number
}

/** A session's record from its row. */
export function toSession(row: SessionDbRow): SessionRow {
  return {
    id: row.id,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    headSeq: row.head_seq,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    expectedArtifacts: row.expected === null ? [] : (JSON.parse(row.expected) as string[]),
    deadline: row.deadline,
    closedBy: row.closed_by,
    error: row.error === null ? null : (JSON.parse(row.error) as WriterError),
    retention: row.retention === null ? null : (JSON.parse(row.retention) as Retention),
    hold: row.hold === true || row.hold === 1,
  }
}
