// The log: every entry (commits of bytes and session changes), its transitions, artifact versions
// and idempotency keys. Crash guarantees are written beside each write; see ../ports.ts for the rules.
import type { CommitState } from '../commit-state.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions, EntryKind } from '../model.js'
import type { Retention } from '../session.js'

export interface PlannedArtifact {
  name: string
  sha256: string | null
  size: number | null
  mediaType: string
}

/** An Idempotency-Key as an attempt takes it: the key, and what identifies the request that sent it. */
export interface IdempotencyClaim {
  key: string
  fingerprint: string
}

export interface PendingCommit {
  id: string
  sessionId: string
  message: string | null
  metadata: Record<string, unknown> | null
  artifacts: PlannedArtifact[]
  /** The deadline the session gets if this commit creates it (null: none, the canary's). */
  newSessionDeadline: string | null
  /** The key this attempt holds from its pending entry on: kept if it commits, let go if it fails or is aborted. */
  idempotency?: IdempotencyClaim
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

/** A live version that its session's retention (or the server's) says must go, and the rules that say so. */
export interface ExpiryCandidate {
  sessionId: string
  name: string
  version: number
  retention: Retention
}

export interface ExpiryQuery {
  /** The server's retention, for the members a session does not set. */
  defaults: Retention
  now: string
  limit: number
}

/** One batch of history pruning: entries after `afterSeq` created before `before`, up to `limit` examined. */
export interface HistoryPruneQuery {
  before: string
  afterSeq: number
  limit: number
}

export interface HistoryPruneResult {
  /** Entries and version rows deleted. */
  entries: number
  versions: number
  /** Where the next batch starts (after this seq): the last entry examined, or 0 once the pass reached the horizon. */
  lastSeq: number
  /** True when the batch reached the horizon: the next pass starts from the beginning again. */
  reachedHorizon: boolean
}

/** What pruning has taken from the log, kept with the data. */
export interface HistoryHorizon {
  /** Entries pruned, ever. */
  prunedEntries: number
  /** A snapshot (`?at=`) before this seq may lack versions whose rows were pruned: it is refused (0: none). */
  completeSnapshotsFrom: number
}

export interface StoredIdempotencyKey {
  fingerprint: string
  /** The entry holding the key. */
  commitSeq: number
  /** `committed`: the key's result, replayed to duplicates; `pending`: the attempt holding it is in flight. */
  state: 'pending' | 'committed'
}

/**
 * The log of entries. Every method is asynchronous: the SQLite adapter runs in this thread, another may
 * run on a worker thread or a server. Reads see every write that has resolved (rule 1 in ../ports.ts).
 */
export interface MarkCommittedOptions {
  expect?: string[]
  sessionHead?: number
}

export interface CommitLog {
  headSeq(sessionId: string): Promise<number>
  sessionExists(sessionId: string): Promise<boolean>
  /**
   * The latest live version of each artifact; as of `atSeq`, those in the snapshot then: committed at or
   * before it and not removed at or before it (one removed since carries its `removed` mark).
   */
  latestVersions(sessionId: string, atSeq?: number): Promise<ArtifactVersion[]>
  /** The latest live version of a name, or the latest in the snapshot as of `atSeq` (as latestVersions). */
  latestVersion(sessionId: string, name: string, atSeq?: number): Promise<ArtifactVersion | undefined>
  /** One version, live or removed (then with its `removed` mark). */
  version(sessionId: string, name: string, version: number): Promise<ArtifactVersion | undefined>
  /** Every committed version of a name, oldest first, removed ones marked. */
  versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]>
  /** An existing name that is a directory prefix of one of `names`, or has one of them as a prefix. */
  findNameConflict(sessionId: string, names: readonly string[]): Promise<{ name: string; existing: string } | undefined>

  /**
   * Appends a pending entry (creating its session, with `newSessionDeadline`, if needed) and returns its
   * seq; with `idempotency`, the entry takes the key in the same transaction. Rejects with
   * IdempotencyKeyHeld, having written nothing, when another entry (pending or committed) holds the key:
   * checked and taken under the log's write lock, so of two replicas racing, exactly one holds it.
   * Concurrent calls may share one transaction, and one flush: an adapter must let them.
   * Crash: once it resolves the entry (and its key) is durable; before, it is absent or pending (recovery
   * ends it, and lets its key go).
   */
  insertPending(commit: PendingCommit): Promise<number>
  /**
   * One transaction: versions assigned, latest updated, `expect` names added to the session's expected
   * set, the session state re-derived and its head moved, the entry `committed` (its key, if it holds
   * one, stays: now the key's result). Batched with concurrent writes like insertPending. Rejects when
   * the entry is not pending, and with PreconditionFailed when `sessionHead` (the head a session If-Match
   * held against) is no longer the session's head: checked in the same transaction, since another
   * replica may have committed between.
   * Crash: once it resolves all of it is durable; before, none of it is (the entry is still pending).
   */
  markCommitted(seq: number, options?: MarkCommittedOptions): Promise<void>
  /**
   * Ends a pending entry as failed; `settled` says its files are back in line. Lets go of its
   * Idempotency-Key in the same transaction, so the key can be tried again. Does nothing when the entry
   * is no longer pending, so it may be repeated (an owed failure replayed). Durable once resolved.
   */
  markFailed(seq: number, error: CommitError, settled: boolean): Promise<void>
  /**
   * Ends a pending entry as aborted, its files unsettled, and lets go of its Idempotency-Key in the same
   * transaction; does nothing when it is no longer pending. Durable once resolved.
   */
  markAborted(seq: number, error: CommitError): Promise<void>
  /** The entry's files are settled: recovery has nothing left to do for it. Durable once resolved. */
  markSettled(seq: number): Promise<void>
  /**
   * Appends an attempt that ended before it had a pending row, already failed or aborted; does nothing
   * when its id is already logged, so it may be repeated. Durable once resolved.
   */
  recordEnded(attempt: EndedAttempt): Promise<void>
  /** Every pending entry, in seq order. */
  pendingCommits(): Promise<PendingEntry[]>
  /**
   * Every entry whose files are not known to be settled, in seq order. A delete or expire entry lists
   * the names whose versions it removed (digest null): their plain files are settled, not their objects.
   */
  unsettledCommits(): Promise<UnsettledCommit[]>
  /**
   * True when a committed version refers to the object, live or removed: a removed version's object is
   * the garbage collector's to reclaim (after its grace period), never recovery's or verify's.
   */
  isObjectReferenced(sha256: string): Promise<boolean>
  /**
   * Up to `limit` live versions that retention removes now, oldest entries first: of sessions neither held
   * nor deleted, those beyond the newest `keepVersions` of their name, and those committed more than
   * `deleteAfterDays` days before `now`. The canary's session is included.
   */
  expirable(query: ExpiryQuery): Promise<ExpiryCandidate[]>

  /**
   * Deletes history that no longer has an effect, for entries created before `before`: a commit of bytes
   * every version of which was removed (by an entry also before it) and whose objects are reclaimed or
   * live elsewhere, never the highest version of a name (numbering continues from it); a failed or aborted
   * commit; an expire entry none of whose versions are left. Delete, close, expect and session entries
   * stay. Settled entries only. Counts of commits do not go down: the pruned are counted apart.
   * Crash: a batch is one transaction.
   */
  pruneHistory(query: HistoryPruneQuery): Promise<HistoryPruneResult>
  historyHorizon(): Promise<HistoryHorizon>

  /** The entry holding a session's key, pending or committed; undefined while none does. */
  idempotencyKey(sessionId: string, key: string): Promise<StoredIdempotencyKey | undefined>
  commitById(id: string): Promise<CommitWithTransitions | undefined>
  commitBySeq(seq: number): Promise<CommitRecord | undefined>
  /** Entries in seq order, after `afterSeq`, up to `limit`. */
  listCommits(filter: CommitFilter): Promise<CommitRecord[]>
  /** The highest seq in the log (0 when it is empty): where a tail that wants only new entries starts. */
  lastSeq(): Promise<number>

  /** Every object a live version refers to (of one session, or all), by digest. */
  referencedObjects(sessionId?: string): Promise<{ sha256: string; size: number }[]>
  /** The latest version of every artifact (of one session, or all). */
  latestForVerify(sessionId?: string): Promise<{ sessionId: string; name: string; sha256: string }[]>
  /**
   * Commits of bytes (kind `artifacts`) by state, every state present (0 when none), the canary's
   * (CANARY_SESSION_ID) left out. Kept with the data: costs the same at any size of the log.
   */
  commitCounts(): Promise<Record<CommitState, number>>
  /** The newest committed commit of bytes, the canary's left out; at most a lookup in an index. */
  lastCommit(): Promise<CommitRecord | undefined>
  /** The newest failed or aborted entry, the canary's left out; at most a lookup in an index. */
  lastFailure(): Promise<CommitRecord | undefined>
  /** Once every write has resolved; nothing is called after it. */
  close(): Promise<void>
}
