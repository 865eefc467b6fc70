// The plain per-session view: sessions/{sid}/{name} equals the latest committed version.
import type { PlacedFile, StagedContent } from './objects.js'

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
