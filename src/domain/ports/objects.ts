// Content-addressed objects: every version of every artifact, immutable once published. Shaped by what
// the ledger does with content (stage, publish, read a range, check, remove, list), never by paths.
import type { LedgerError } from '../errors.js'

/** Content that ObjectStore.stage has received and hashed; nothing is readable under its digest yet. */
export interface StagedContent {
  readonly sha256: string
  readonly size: number
}

export interface StageOptions {
  /** Checked on every chunk as it arrives, before it is kept: past it, `error()` is thrown. */
  limit: { bytes: number; error: () => LedgerError }
  /** The digest the caller announced: a mismatch throws `expectedMismatch(actual)`. */
  expectedSha256?: string
  expectedMismatch?: (actual: string) => LedgerError
  /** Maps a failure of the source itself (the client went away) to the error to report. */
  sourceFailure?: (error: unknown) => LedgerError
}

export type ObjectCheck = 'ok' | 'missing' | 'corrupt'

/** What ObjectStore.list finds: an object, or something that is not one (an upload staged and never published). */
export type StoredEntry =
  | { kind: 'object'; sha256: string; location: string }
  /** `stale` once no write still in progress can own it. */
  | { kind: 'leftover'; location: string; stale: boolean }

export interface ObjectStore {
  /** Where an object is, for people reading a report: a path under the data dir, a key in a bucket. */
  locationOf(sha256: string): string
  /**
   * Stores bytes whose digest is known, and reads them back: an intact copy already there is kept, a
   * damaged one replaced. Rejects with ReadBackMismatch when the bytes do not hash to `sha256`.
   * Crash: the object is absent, as it was, or whole under its digest; never partial.
   */
  put(bytes: Uint8Array, sha256: string): Promise<void>
  /**
   * True when a `put` of this content, started in the same turn as a log write, lands in the log's own
   * transaction (small content kept inside the log's database), and so is durable exactly when that
   * write is. Absent or false: the object's write is its own.
   */
  joinsLogTransaction?(sha256: string, size: number): boolean
  /**
   * True when `stage` of this content writes the plain view's copy beside the object's in the same pass
   * (a local store with the view on), so a commit holding the bytes stages them (before its pending entry;
   * staging names nothing) and publishes them with PlainView.showStaged, instead of a put and a show.
   */
  stagesPlainCopy?(sha256: string, size: number): boolean
  /**
   * Receives content from one pass over the source, hashing it and holding it to the limit and the
   * expected digest as it arrives; when it resolves the content is durable in staging. On failure
   * nothing stays. Crash: a leftover that removeLeftovers removes; never a readable object.
   */
  stage(source: Uint8Array | AsyncIterable<Uint8Array>, options: StageOptions): Promise<StagedContent>
  /**
   * Makes staged content readable under its digest, durable and read back when it resolves. A local
   * store may have staged the plain view's copy with it: PlainView.showStaged, called side by side,
   * puts that one in place and both are read back in one pass.
   * Crash: the object is absent or whole under its digest; the staged content a leftover.
   */
  publish(staged: StagedContent): Promise<void>
  /** Drops whatever of the staged content publish (and showStaged) did not take; nothing after a publish. */
  discard(staged: StagedContent): Promise<void>
  /**
   * Rewrites an object from a source that must hash to its digest (a repair from a good copy); rejects
   * with ObjectCorrupt when it does not. Crash: the old bytes or all the new ones.
   */
  restore(source: AsyncIterable<Uint8Array>, sha256: string): Promise<void>
  /**
   * The bytes of an object, or a range of them (`end` inclusive). Opened lazily: a missing object is an
   * ObjectMissing error on the stream, so a response already begun is cut short rather than faked.
   */
  read(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream
  /**
   * The first `size` bytes of an object in one buffer, for objects read whole (up to about a MiB; no
   * stream): fewer when it is shorter. Not hashed here: the caller checks the digest. ObjectMissing when
   * it is absent.
   */
  readSmall(sha256: string, size: number): Promise<Buffer>
  /** Hashes a stored object and says what is wrong with it, if anything. */
  check(sha256: string): Promise<ObjectCheck>
  /** Deletes an object; nothing when it is absent. Durable once it resolves. */
  remove(sha256: string): Promise<void>
  /** Every object stored, and every leftover that is not one. */
  list(): AsyncIterable<StoredEntry>
  /** Removes the leftovers of writes that never finished. Only while nothing writes: at start-up. */
  removeLeftovers(): Promise<number>
}
