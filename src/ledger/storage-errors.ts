// Recognises the storage failures the ledger reacts to, without knowing which backend raised them.
import { InsufficientStorage, ObjectCorrupt, ReadBackMismatch, StorageFault } from '../domain/errors.js'

export function isNotFoundError(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT'
}

/** A fault of the disk or the database, as opposed to a caller's mistake. */
export function isStorageFault(error: unknown): boolean {
  if (error instanceof StorageFault || error instanceof InsufficientStorage || error instanceof ReadBackMismatch) return true
  if (error instanceof ObjectCorrupt) return true
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('SQLITE_')
}
