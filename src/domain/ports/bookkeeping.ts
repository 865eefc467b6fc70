// What the log keeps about the storage itself: object health, totals, scrubs.

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

/** What one garbage-collection run examined and reclaimed. */
export interface GcRecord {
  startedAt: string
  finishedAt: string
  ok: boolean
  /** Objects whose references were checked (the candidates: objects released by a removal, and queued ones). */
  examinedObjects: number
  reclaimedObjects: number
  reclaimedBytes: number
  /** Bytes of ledger.db handed back to the filesystem (an incremental vacuum). */
  reclaimedDatabaseBytes: number
  /** Why the run stopped short, when it did (`code: detail`). */
  error: string | null
}

/** Everything garbage collection has reclaimed since the ledger was created. */
export interface GcTotals {
  runs: number
  reclaimedObjects: number
  reclaimedBytes: number
}

/** An object garbage collection may take: nothing live refers to it, and it has been so for the grace period. */
export interface CollectableObject {
  sha256: string
  size: number
}

/** Kept in the log, beside the entries; every write is durable once it resolves. */
export interface StorageBookkeeping {
  /** What the last check of an object found; objects are `ok` when a commit first refers to them. */
  setObjectState(sha256: string, state: 'ok' | 'corrupt' | 'missing'): Promise<void>
  objectState(sha256: string): Promise<'ok' | 'corrupt' | 'missing' | undefined>
  /** Every object recorded (the canary's included) and their bytes. Kept with the data: costs the same at any size. */
  objectTotals(): Promise<{ count: number; bytes: number }>
  /** The size of the log itself, without reading it. */
  databaseBytes(): Promise<number>
  recordScrub(summary: ScrubRecord): Promise<void>
  lastScrub(): Promise<ScrubRecord | undefined>
  /**
   * Mark: objects, after `afterSha256` in digest order, that no live version (committed, not removed)
   * and no unsettled entry refers to, uploaded and released (their last live version removed) before
   * `olderThan`. `examined` counts the candidates looked at; `next` is where the next page starts
   * (null at the end). Only reads.
   */
  collectableObjects(olderThan: string, afterSha256: string | null, limit: number): Promise<{ objects: CollectableObject[]; examined: number; next: string | null }>
  /**
   * Sweep, the log's half: in one transaction, every given object that is still collectable (checked
   * again, against `olderThan`) leaves the objects table and joins the queue of objects to delete, and
   * the reclaimed totals grow by them; returns those taken. The files go afterwards (objectsToCollect).
   * Crash: all of it or none; an object taken is queued durably, so a crash before its file goes leaves
   * it queued for start-up, never referenced.
   */
  takeCollectable(objects: readonly CollectableObject[], olderThan: string): Promise<CollectableObject[]>
  /**
   * True when a live version (committed, not removed) or an unsettled entry refers to the object: what
   * garbage collection checks, under the object's claim, right before a file it took goes.
   */
  isObjectLive(sha256: string): Promise<boolean>
  /** Versions (of one session, or all) made unreadable, by the kind of entry that removed them. */
  removedVersions(sessionId?: string): Promise<{ deleted: number; expired: number }>
  /** Hands free pages of the log back to the filesystem, at most about `maxBytes` per call; returns the bytes. */
  reclaimSpace(maxBytes: number): Promise<number>
  recordGc(record: GcRecord): Promise<void>
  lastGc(): Promise<GcRecord | undefined>
  gcTotals(): Promise<GcTotals>
  /** Digests queued by takeCollectable (or a history prune) and not yet collected. */
  objectsToCollect(): Promise<string[]>
  /** Takes a digest off the queue, once its object is gone or referenced again. */
  objectCollected(sha256: string): Promise<void>
  /**
   * The plain view's durable checkpoint: every plain file written for an entry at or below this seq
   * has been flushed to disk, so start-up recovery re-checks only those of later entries. Undefined
   * when none was ever recorded (a log an older release kept, which flushed each file before its 2xx).
   */
  plainViewCheckpoint(): Promise<number | undefined>
  /** Records the checkpoint; durable once resolved. It may move back (recovery sets what it checked). */
  setPlainViewCheckpoint(seq: number): Promise<void>
}
