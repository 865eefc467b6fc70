// What the ledger needs from storage. The ledger imports these interfaces, never SQLite or fs.
import type { CommitState } from './commit-state.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions } from './model.js'
import type { LedgerError } from './errors.js'
import type { SessionRow, SessionState } from './session.js'

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

export interface CommitFilter {
  sessionId?: string
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
  /** One transaction: versions assigned, latest updated, key stored, commit `committed`. */
  markCommitted(seq: number, idempotency?: { key: string; fingerprint: string }): Promise<void>
  markFailed(seq: number, error: CommitError, settled: boolean): void
  markSettled(seq: number): void
  recordRejected(sessionId: string, error: CommitError, artifacts: PlannedArtifact[]): string
  abortPending(reason: string): number
  unsettledCommits(): UnsettledCommit[]
  isObjectReferenced(sha256: string): boolean

  idempotencyKey(sessionId: string, key: string): StoredIdempotencyKey | undefined
  commitById(id: string): CommitWithTransitions | undefined
  commitBySeq(seq: number): CommitRecord | undefined
  listCommits(filter: CommitFilter): CommitRecord[]

  referencedObjects(sessionId?: string): Iterable<{ sha256: string; size: number }>
  latestForVerify(sessionId?: string): Iterable<{ sessionId: string; name: string; sha256: string }>
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
  /** Removes temp files left by writes that never finished; only safe while nothing writes. */
  removeAbandonedTemps(sha256s?: Iterable<string>): Promise<number>
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
  /** Removes temp files in the folders of these names; safe while the session's lock is held. */
  removeAbandonedTemps(sessionId: string, names: Iterable<string>): Promise<number>
}

/** Sessions: declared expectations and the state derived from them. */
export interface SessionStore {
  session(sessionId: string): SessionRow | undefined
  /** Creates the session if needed and sets the given fields; a closed session's state is re-derived. */
  upsertSession(sessionId: string, changes: { expectedArtifacts?: string[]; metadata?: Record<string, unknown> }): SessionRow
  /** Closes a session: complete or incomplete by what is missing now. */
  completeSession(sessionId: string): SessionRow
  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): SessionRow[]
  sessionCounts(exclude: string): { total: number; open: number; complete: number; incomplete: number }
  incompleteSessionIds(exclude: string, limit: number): string[]
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
  /** A small write through the whole verified path, to prove the disk takes writes (again). */
  probeWrite(): Promise<void>
  /** Throws unless the database accepts a write transaction. */
  checkDatabase(): void
  /** Throws unless the data directory is writable. */
  checkDataDir(): Promise<void>
  diskSpace(): Promise<{ freeBytes: number; totalBytes: number }>
}

export type CommitOutcomeKind = 'committed' | 'failed'

/** Told about every commit outcome and integrity finding, e.g. to keep Prometheus metrics. */
export interface LedgerObserver {
  commitFinished(outcome: CommitOutcomeKind, info: { durationSeconds: number; bytes: number; code?: string }): void
  commitsAborted(count: number): void
  /** A read-back mismatch, a corrupt or missing object, or a plain file that differs from the log. */
  integrityProblem(kind: 'read_back_mismatch' | 'object_corrupt' | 'object_missing' | 'plain_mismatch' | 'plain_missing'): void
}
