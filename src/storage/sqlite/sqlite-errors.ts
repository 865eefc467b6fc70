// SQLite's failures, turned into the domain's at the adapter's edge: SQLITE_FULL is a full disk, every
// other SQLITE_* code a storage fault of the log. Anything else is not SQLite's, and passes as it is.
import { InsufficientStorage, StorageFault } from '../../domain/errors.js'

function sqliteCodeOf(error: unknown): string | undefined {
  const code = error instanceof Error && 'code' in error ? error.code : undefined
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined
}

/** The domain's failure for a failed step of the log (the message names the step and code, never a path). */
export function toStorageFailure(step: string, error: unknown): unknown {
  const errno = sqliteCodeOf(error)
  if (errno === undefined) return error
  const facts = { step, path: 'ledger.db', errno }
  if (errno === 'SQLITE_FULL') return new InsufficientStorage(`no space left on the device (${errno} during ${step})`, facts, { cause: error })
  return new StorageFault(`${step} failed with ${errno}`, facts, { cause: error })
}
