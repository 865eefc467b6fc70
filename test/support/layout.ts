// Where the default layout keeps things under a data dir (SPEC "On disk"), for tests that look at or damage the files.
import { join } from 'node:path'

/** objects/sha256/ab/cdef…: the content-addressed object of a digest. */
export function objectFile(dataDir: string, sha256: string): string {
  return join(dataDir, 'objects', 'sha256', sha256.slice(0, 2), sha256.slice(2))
}

/** Where an inline object's bytes are: a row of ledger.db's inline_objects (INLINE_OBJECT_MAX_BYTES). */
export const INLINE_OBJECTS_TABLE = 'inline_objects'
