// The plain view: a projection of the log, sessions/{sid}/{name} holding the latest committed version
// of each artifact for tools that read files. It can be off; recovery rebuilds it from the log.
import type { StagedContent } from './objects.js'

/** A file shown in a batch whose flush failed: it must be written again before it is known durable. */
export interface UnflushedFile {
  sessionId: string
  name: string
}

/** A file whose flush failed, and why. */
export interface FlushFailure extends UnflushedFile {
  error: unknown
}

/**
 * `batched`: published atomically and read back before the call resolves, but not fsynced (nor its
 * folder); it is durable once a later `flush()` resolves without naming it. Without it, durable on resolve.
 */
export interface ShowOptions {
  batched?: boolean
}

/** A plain file's new bytes, written beside it by `PlainView.prepare` and not yet in place. */
export interface PreparedFile {
  readonly sessionId: string
  readonly name: string
  readonly sha256: string
}

/** A file found in a session's part of the view. */
export interface ViewFile {
  /** The artifact name it would be, relative to the session. */
  name: string
  /** Where it is, for people reading a report. */
  location: string
  /** A leftover of a write that never finished, rather than a name. */
  isLeftover: boolean
}

export interface PlainView {
  /** False when the view is off: it shows nothing, and verify does not look for it. */
  readonly isOn: boolean
  /** Where a session's file is (or would be), for people reading a report. */
  locationOf(sessionId: string, name: string): string
  /**
   * Makes the file hold this content, atomically: the bytes given, or else the object's, read from the
   * object store; read back before it resolves (an object that does not hash right is ObjectCorrupt).
   * Crash: the old bytes or all the new ones, never a mix. Power loss before a batched file is flushed:
   * the old bytes, the new ones, or an empty or missing file (recovery restores it from the log).
   */
  show(sessionId: string, name: string, content: { sha256: string; bytes?: Uint8Array }, options?: ShowOptions): Promise<void>
  /**
   * The costly half of `show` without the change: the bytes written into a temp beside the file (and
   * fsynced unless `batched`), so it may run before the log allows the change. `showPrepared` puts it
   * in place; `discardPrepared` drops one that will not be. Crash: a leftover that removeLeftovers
   * takes; the file is as it was.
   */
  prepare(sessionId: string, name: string, content: { sha256: string; bytes: Uint8Array }, options?: ShowOptions): Promise<PreparedFile>
  /** `show` from where `prepare` left off: in place atomically and read back; batched as it was prepared. */
  showPrepared(prepared: PreparedFile): Promise<void>
  /** Removes a prepared file that was not shown; nothing once `showPrepared` has begun with it. */
  discardPrepared(prepared: PreparedFile): Promise<void>
  /**
   * Shows content staged by the object store, called side by side with ObjectStore.publish of the same
   * content: a local store staged this copy in the same pass, and the two are read back together.
   * Crash: the old bytes or all the new ones (as `show`, also when batched).
   */
  showStaged(sessionId: string, name: string, staged: StagedContent, options?: ShowOptions): Promise<void>
  /**
   * Makes every file shown `batched` before this call durable (each file, then each folder, fsynced),
   * and the files named in `also` (found by recovery, possibly never flushed by the process that wrote
   * them). Resolves with the files whose flush failed: they are not durable, and must be written
   * again (a failed fsync is never retried on the same file). Nothing else shown before is lost.
   */
  flush(also?: Iterable<UnflushedFile>): Promise<FlushFailure[]>
  /** Removes the file of a name that has no committed version; nothing when there is none. */
  remove(sessionId: string, name: string): Promise<void>
  /** Removes a file found in the session's part of the view (a leftover, a name the log does not know). */
  removeStray(sessionId: string, name: string): Promise<void>
  /** The digest of what the file holds, or undefined when there is none. */
  digestOf(sessionId: string, name: string): Promise<string | undefined>
  read(sessionId: string, name: string): AsyncIterable<Uint8Array>
  /** Every file in a session's part of the view, leftovers included. */
  listFiles(sessionId: string): Promise<ViewFile[]>
  /** Every session that has a part of the view. */
  listSessions(): Promise<string[]>
  /**
   * Removes leftovers beside these names (safe while the session's lock is held), or, without
   * arguments, everywhere in the view (safe only while nothing writes: at start-up).
   */
  removeLeftovers(sessionId?: string, names?: Iterable<string>): Promise<number>
}
