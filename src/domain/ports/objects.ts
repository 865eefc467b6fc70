// Content-addressed objects: every version of every artifact, immutable once published.
import type { LedgerError } from '../errors.js'

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
