// The records the ledger keeps and returns: log entries (commits and session changes), their
// transitions, artifact versions.
import type { CommitState, EntryKind, RemovalKind } from './commit-state.js'
import type { ClosedBy, ClosedState, Retention, SessionRow, WriterError } from './session.js'

export { ENTRY_KINDS, type EntryKind, type RemovalKind } from './commit-state.js'

/** Names added to and removed from a session's expected artifacts. */
export interface ExpectChange {
  add: string[]
  remove: string[]
}

export interface CloseChange {
  state: ClosedState
  closedBy: ClosedBy
  /** Expected artifacts without a committed version when the session closed. */
  missing: string[]
  error: WriterError | null
}

/** What a `session` entry changed; null (or absent) members stayed as they were. */
export interface SessionChange {
  created: boolean
  deadline: string | null
  metadata: Record<string, unknown> | null
  retention?: Retention
  hold?: boolean
}

/** A version of a name, as removal entries list them. */
export interface VersionRef {
  name: string
  version: number
}

/** What a `delete` entry removed, and who asked: the token's name, or `anonymous` when auth is off. */
export interface DeleteChange {
  by: string
  /** `artifact`: every version of `name`; `session`: every version of every artifact, and the session is `deleted`. */
  target: 'artifact' | 'session'
  name: string | null
  /** How many versions it made unreadable. */
  removedVersions: number
}

/** What an `expire` entry removed, by which rule of the session's retention. */
export interface ExpireChange {
  retention: Retention
  versions: VersionRef[]
}

/** The session-level part of an entry, stored with it. */
export interface EntryChange {
  expect?: ExpectChange
  close?: CloseChange
  session?: SessionChange
  delete?: DeleteChange
  expire?: ExpireChange
}

/** How a version stopped being readable: the delete or expire entry that removed it. */
export interface VersionRemoval {
  seq: number
  kind: RemovalKind
  at: string
}

export interface ArtifactVersion {
  name: string
  version: number
  sha256: string
  size: number
  mediaType: string
  commitId: string
  seq: number
  committedAt: string
  /** Only on a removed version (in a history or a snapshot): listings of live artifacts never hold one. */
  removed?: VersionRemoval
}

export interface CommitArtifact {
  name: string
  /** Assigned when the commit is committed; null for pending, failed and aborted commits. */
  version: number | null
  sha256: string | null
  size: number | null
  mediaType: string | null
}

export interface CommitError {
  code: string
  detail: string
  facts?: Record<string, unknown>
}

export interface CommitRecord {
  id: string
  seq: number
  sessionId: string
  kind: EntryKind
  state: CommitState
  message: string | null
  metadata: Record<string, unknown> | null
  createdAt: string
  finishedAt: string | null
  artifacts: CommitArtifact[]
  error: CommitError | null
  /** The change to the expected artifacts this entry made (an `expect` entry, or a commit with `expect`). */
  expect: ExpectChange | null
  close: CloseChange | null
  session: SessionChange | null
  delete: DeleteChange | null
  expire: ExpireChange | null
}

export interface Transition {
  from: CommitState | null
  to: CommitState
  at: string
  reason: string | null
}

export interface CommitWithTransitions extends CommitRecord {
  transitions: Transition[]
}

/** A session as read: its row, its head ETag, its latest artifacts and the expected ones still missing. */
export interface SessionRecord extends SessionRow {
  etag: string
  artifacts: ArtifactVersion[]
  missing: string[]
}

/** The session's head ETag: it changes with every entry of the session, so If-Match detects lost updates. */
export function headEtag(headSeq: number): string {
  return `"${headSeq}"`
}
