// What the ledger needs from storage. The ledger imports these interfaces, never SQLite or fs.
import type { CommitState } from './commit-state.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions, EntryKind, ExpectChange } from './model.js'
import type { LedgerError } from './errors.js'
import type { ClosedBy, ClosedState, CloseRequest, SessionRow, SessionState } from './session.js'

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

export interface UnsettledCommit {
  seq: number
  id: string
  sessionId: string
  state: CommitState
  artifacts: { name: string; sha256: string | null }[]
}

export interface ScrubRecord {
  startedAt: string
  finishedAt: string
  ok: boolean
  checkedObjects: number
  checkedPlainFiles: number
  bytes: number
  missing: number
  corrupt: number
  orphaned: number
  repaired: number
}

/** A failure the log could not take when it happened, owed to it until it can. */
export type OwedFailure =
  | { kind: 'pending'; seq: number; id: string; sessionId: string; error: CommitError; settled: boolean }
  | { kind: 'ended'; attempt: EndedAttempt }

/**
 * An append-only file beside the log holding the failures owed to it, so they survive a crash of the
 * process. `append` resolves once the entry is durable; a torn last entry is skipped by `readAll`.
 */
export interface FailureJournal {
  append(failure: OwedFailure): Promise<void>
  readAll(): Promise<OwedFailure[]>
  clear(): Promise<void>
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
  now(): string
  headSeq(sessionId: string): number
  sessionExists(sessionId: string): boolean
  latestVersions(sessionId: string, atSeq?: number): ArtifactVersion[]
  latestVersion(sessionId: string, name: string, atSeq?: number): ArtifactVersion | undefined
  version(sessionId: string, name: string, version: number): ArtifactVersion | undefined
  versionHistory(sessionId: string, name: string): ArtifactVersion[]
  /** An existing name that is a directory prefix of one of `names`, or has one of them as a prefix. */
  findNameConflict(sessionId: string, names: readonly string[]): { name: string; existing: string } | undefined

  /** Resolves once the pending row is durable; concurrent writes may share one transaction. */
  insertPending(commit: PendingCommit): Promise<number>
  /**
   * One transaction: versions assigned, latest updated, key stored, `expect` names added to the
   * session's expected set, commit `committed`.
   */
  markCommitted(seq: number, options?: { idempotency?: { key: string; fingerprint: string }; expect?: string[] }): Promise<void>
  /** Ends a pending commit as failed; does nothing when it is no longer pending (so it may be repeated). */
  markFailed(seq: number, error: CommitError, settled: boolean): void
  markSettled(seq: number): void
  /** Records an attempt that ended before its pending row; does nothing when its id is already logged. */
  recordEnded(attempt: EndedAttempt): void
  abortPending(reason: string): number
  unsettledCommits(): UnsettledCommit[]
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

export type { LedgerError }

export interface StagedContent {
  tempPath: string
  sha256: string
  size: number
}

/** A staged copy renamed to its real name, its folder fsynced, not yet read back. */
export interface PlacedFile {
  path: string
  sha256: string
  size: number
}

export interface StageOptions {
  limit: { bytes: number; error: () => LedgerError }
  expectedSha256?: string
  expectedMismatch?: (actual: string) => LedgerError
  sourceFailure?: (error: unknown) => LedgerError
}

export type ObjectCheck = 'ok' | 'missing' | 'corrupt'

/** Content-addressed blobs: every version of every artifact, immutable once published. */
export interface ObjectFiles {
  putBytes(bytes: Uint8Array, sha256: string): Promise<unknown>
  /**
   * Identical temp files in objects/incoming from one pass over the source, one per label, all
   * fsynced: the object's and the plain file's, put in place later by `place` and `PlainFiles.place`.
   */
  stageCopies(source: Uint8Array | AsyncIterable<Uint8Array>, labels: string[], options: StageOptions): Promise<StagedContent[]>
  /** Renames a staged copy to its object path and fsyncs the folder; `readBack` must follow. */
  place(staged: StagedContent): Promise<PlacedFile>
  /** Reads placed copies of one content back in one pass: the first is hashed, the rest compared with it. */
  readBack(files: PlacedFile[]): Promise<void>
  discard(staged: StagedContent): Promise<void>
  check(sha256: string): Promise<ObjectCheck>
  remove(sha256: string): Promise<void>
  readStream(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream
  relativePathOf(sha256: string): string
  /** Every file under objects/; files that are not objects carry their modification time. */
  walk(): AsyncGenerator<{ relativePath: string; sha256: string | undefined; modifiedMs?: number }>
  /** Rewrites an object from a stream that must hash to its digest (a repair from a good copy). */
  restore(source: AsyncIterable<Uint8Array>, sha256: string): Promise<void>
  /** Removes temp files left by writes that never finished, under objects/; only safe while nothing writes. */
  removeAbandonedTemps(): Promise<number>
}

/** The plain per-session view: sessions/{sid}/{name} equals the latest committed version. */
export interface PlainFiles {
  /** Atomically replaces the plain file with the object's bytes (given, or read from the object). */
  replace(sessionId: string, name: string, sha256: string, bytes?: Uint8Array): Promise<void>
  /** Moves a staged copy (see `ObjectFiles.stageCopies`) into place: rename, fsync the folder; read back by `ObjectFiles.readBack`. */
  place(sessionId: string, name: string, staged: StagedContent): Promise<PlacedFile>
  remove(sessionId: string, name: string): Promise<void>
  /** Removes any file in the session folder (a temp file, a name the log does not know). */
  removeStray(sessionId: string, relativePath: string): Promise<void>
  digestOf(sessionId: string, name: string): Promise<string | undefined>
  readStream(sessionId: string, name: string): AsyncIterable<Uint8Array>
  listFiles(sessionId: string): Promise<string[]>
  listSessionDirs(): Promise<string[]>
  /**
   * Removes temp files in the folders of these names (safe while the session's lock is held), or,
   * without arguments, in every folder of the view (safe only while nothing writes: at start-up).
   */
  removeAbandonedTemps(sessionId?: string, names?: Iterable<string>): Promise<number>
}

export interface SessionUpdate {
  /** Replaces the expected set. */
  expectedArtifacts?: string[]
  metadata?: Record<string, unknown>
  /** RFC 3339, normalised to UTC. */
  deadline?: string
}

export interface SessionWriteOptions {
  /** The deadline a session created by this write gets. */
  newSessionDeadline: string | null
  /** Runs inside the write's transaction with the session as it is (or undefined); throws to refuse the write. */
  precondition?: (current: SessionRow | undefined) => void
}

export type SessionCounts = Record<SessionState, number> & { total: number; closedByDeadline: number }

/**
 * Sessions: declared expectations, deadlines, closes and the state derived from them. Every method that
 * changes a session writes its log entry (`expect`, `session`, `close`) in the same transaction, and
 * writes nothing when nothing changes, so a retried request leaves one entry.
 */
export interface SessionStore {
  session(sessionId: string): SessionRow | undefined
  /** Creates the session if needed and applies the update; a closed session's state is re-derived. */
  updateSession(sessionId: string, update: SessionUpdate, options: SessionWriteOptions): { row: SessionRow; created: boolean }
  /** Removes then adds names in one transaction: concurrent changes never lose one another's names. */
  changeExpected(sessionId: string, change: ExpectChange, options: SessionWriteOptions): SessionRow
  /** Closes (or, to report a failure, re-closes) a session; `closed` is false when nothing changed. */
  closeSession(sessionId: string, request: CloseRequest, options: SessionWriteOptions): { row: SessionRow; closed: boolean }
  /** Closes, by deadline, up to `limit` open sessions whose deadline is at or before `now`; returns them. */
  closeDueSessions(now: string, limit: number): SessionRow[]
  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): SessionRow[]
  sessionCounts(exclude: string): SessionCounts
  /** The most recently changed sessions in a state, newest first. */
  recentSessionIds(state: SessionState, exclude: string, limit: number): string[]
}

/** What the log keeps about the storage itself: object health, deletions owed, scrubs, pruning. */
export interface StorageBookkeeping {
  setObjectState(sha256: string, state: 'ok' | 'corrupt' | 'missing'): void
  objectState(sha256: string): 'ok' | 'corrupt' | 'missing' | undefined
  objectTotals(): { count: number; bytes: number }
  databaseBytes(): number
  recordScrub(summary: ScrubRecord): void
  lastScrub(): ScrubRecord | undefined
  /**
   * Deletes all but the newest `keep` commits of a session. Digests it leaves unreferenced are queued
   * for collection in the same transaction (see objectsToCollect) and returned.
   */
  pruneSessionHistory(sessionId: string, keep: number): string[]
  objectsToCollect(): string[]
  objectCollected(sha256: string): void
}

/** Cheap checks of the storage underneath, for readiness. */
export interface StorageProbes {
  /** Removes temp files a probe write left behind (a crash in the middle of one); only safe while no probe runs. */
  removeAbandonedTemps(): Promise<number>
  /** A small write through the whole verified path, to prove the disk takes writes (again). */
  probeWrite(): Promise<void>
  /** Throws unless the database accepts a write transaction. */
  checkDatabase(): void
  /** Throws unless the data directory is writable. */
  checkDataDir(): Promise<void>
  diskSpace(): Promise<{ freeBytes: number; totalBytes: number }>
}

/** `aborted`: the client stalled or vanished, or the service restarted, before the commit finished. */
export type CommitOutcomeKind = 'committed' | 'failed' | 'aborted'

/** Where background work runs: each reports the errors it cannot handle under its own name. */
export const BACKGROUND_PATHS = [
  'scrub', 'canary', 'prune', 'deadlines', 'recovery', 'record-failure', 'cleanup', 'undo', 'fault-probe', 'reads',
] as const
export type BackgroundPath = (typeof BACKGROUND_PATHS)[number]

/** Told about every commit outcome, session close and integrity finding, e.g. to keep Prometheus metrics. */
export interface LedgerObserver {
  commitFinished(outcome: CommitOutcomeKind, info: { durationSeconds: number; bytes: number; code?: string }): void
  /** Pending commits aborted by start-up recovery (the service stopped before they finished). */
  commitsAborted(count: number): void
  sessionClosed(state: ClosedState, by: ClosedBy): void
  /** A read-back mismatch, a corrupt or missing object, or a plain file that differs from the log. */
  integrityProblem(kind: 'read_back_mismatch' | 'object_corrupt' | 'object_missing' | 'plain_mismatch' | 'plain_missing'): void
  /** An error background work could not handle; `code` is `internal` for one nobody expected (a bug). */
  backgroundError(path: BackgroundPath, code: string): void
}
