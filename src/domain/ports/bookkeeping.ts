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

/** Kept in the log, beside the entries; every write is durable once it resolves. */
export interface StorageBookkeeping {
  /** What the last check of an object found; objects are `ok` when a commit first refers to them. */
  setObjectState(sha256: string, state: 'ok' | 'corrupt' | 'missing'): Promise<void>
  objectState(sha256: string): Promise<'ok' | 'corrupt' | 'missing' | undefined>
  objectTotals(): Promise<{ count: number; bytes: number }>
  /** The size of the log itself. */
  databaseBytes(): Promise<number>
  recordScrub(summary: ScrubRecord): Promise<void>
  lastScrub(): Promise<ScrubRecord | undefined>
}
