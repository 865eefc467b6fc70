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
   * Crash: the queue is durable with the deletion, so a crash before the objects go leaves them queued.
   */
  pruneSessionHistory(sessionId: string, keep: number): string[]
  objectsToCollect(): string[]
  objectCollected(sha256: string): void
}
