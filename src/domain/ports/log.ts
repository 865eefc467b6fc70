// The log: every entry (commits of bytes and session changes), its transitions, artifact versions
// and idempotency keys. Crash guarantees are written beside each write; see ../ports.ts for the rules.
import type { CommitState } from '../commit-state.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions, EntryKind } from '../model.js'

export interface PlannedArtifact {
  name: string
  sha256: string | null
  size: number | null
  mediaType: string
}

export interface PendingCommit {
  id: string
  sessionId: string
  message: string | null
  metadata: Record<string, unknown> | null
  artifacts: PlannedArtifact[]
  /** The deadline the session gets if this commit creates it (null: none, the canary's). */
  newSessionDeadline: string | null
}

/** A commit attempt that ended before it had a pending row: refused (`failed`) or its client gone (`aborted`). */
export interface EndedAttempt {
  id: string
  sessionId: string
  state: 'failed' | 'aborted'
  error: CommitError
  artifacts: PlannedArtifact[]
  newSessionDeadline: string | null
}

/** A pending entry, as start-up recovery finds it. */
export interface PendingEntry {
  seq: number
  id: string
  sessionId: string
}

/** An entry whose files are not known to be settled (committed, rolled back or cleaned up). */
export interface UnsettledCommit {
  seq: number
  id: string
  sessionId: string
  state: CommitState
  artifacts: { name: string; sha256: string | null }[]
}

export interface CommitFilter {
  sessionId?: string
  kind?: EntryKind
  /** Leave out this session's commits (the canary's) unless sessionId asks for it. */
  excludeSessionId?: string
  state?: CommitState
  /** Only commits created at or after this instant. */
  since?: string
  /** Only commits with a seq greater than this. */
  afterSeq?: number
  limit: number
}

export interface StoredIdempotencyKey {
  fingerprint: string
  commitSeq: number
}

export interface CommitLog {
  headSeq(sessionId: string): number
  sessionExists(sessionId: string): boolean
  latestVersions(sessionId: string, atSeq?: number): ArtifactVersion[]
  latestVersion(sessionId: string, name: string, atSeq?: number): ArtifactVersion | undefined
  version(sessionId: string, name: string, version: number): ArtifactVersion | undefined
  versionHistory(sessionId: string, name: string): ArtifactVersion[]
  /** An existing name that is a directory prefix of one of `names`, or has one of them as a prefix. */
  findNameConflict(sessionId: string, names: readonly string[]): { name: string; existing: string } | undefined

  /**
   * Appends a pending entry and returns its seq; concurrent calls may share one transaction.
   * Crash: once it resolves the row is durable; before, it is absent or pending (recovery ends it).
   */
  insertPending(commit: PendingCommit): Promise<number>
  /**
   * One transaction: versions assigned, latest updated, key stored, `expect` names added to the
   * session's expected set, the session state re-derived and its head moved, the entry `committed`.
   * Crash: once it resolves all of it is durable; before, none of it is (the entry is still pending).
   */
  markCommitted(seq: number, options?: { idempotency?: { key: string; fingerprint: string }; expect?: string[] }): Promise<void>
  /** Ends a pending entry as failed; does nothing when it is no longer pending (so it may be repeated). Durable once it returns. */
  markFailed(seq: number, error: CommitError, settled: boolean): void
  /** Ends a pending entry as aborted, its files unsettled; does nothing when it is no longer pending. Durable once it returns. */
  markAborted(seq: number, error: CommitError): void
  /** The entry's files are settled: recovery has nothing left to do for it. Durable once it returns. */
  markSettled(seq: number): void
  /** Records an attempt that ended before its pending row; does nothing when its id is already logged. Durable once it returns. */
  recordEnded(attempt: EndedAttempt): void
  pendingCommits(): PendingEntry[]
  unsettledCommits(): UnsettledCommit[]
  /** True when a committed version refers to the object. */
  isObjectReferenced(sha256: string): boolean

  idempotencyKey(sessionId: string, key: string): StoredIdempotencyKey | undefined
  commitById(id: string): CommitWithTransitions | undefined
  commitBySeq(seq: number): CommitRecord | undefined
  listCommits(filter: CommitFilter): CommitRecord[]

  referencedObjects(sessionId?: string): Iterable<{ sha256: string; size: number }>
  latestForVerify(sessionId?: string): Iterable<{ sessionId: string; name: string; sha256: string }>
  /** Commits of bytes (kind `artifacts`) by state. */
  commitCounts(exclude: string): Record<CommitState, number>
  lastCommit(exclude: string): CommitRecord | undefined
  lastFailure(exclude: string): CommitRecord | undefined
  close(): void
}
