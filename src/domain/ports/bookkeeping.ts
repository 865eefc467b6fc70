// What the log keeps about the storage itself: object health, deletions owed, scrubs, pruning.

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
   * Deletes all but the newest `keep` entries of a session, except those still unsettled. Digests it
   * leaves unreferenced are queued for collection in the same transaction and returned.
   * Crash: the queue is durable with the deletion, so a crash before the objects go leaves them queued.
   */
  pruneSessionHistory(sessionId: string, keep: number): Promise<string[]>
  /** Digests queued by pruneSessionHistory and not yet collected. */
  objectsToCollect(): Promise<string[]>
  /** Takes a digest off the queue, once its object is gone or referenced again. */
  objectCollected(sha256: string): Promise<void>
}
