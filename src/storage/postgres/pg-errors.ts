// PostgreSQL's failures, turned into the domain's at the adapter's edge: 53100 (disk_full) is a full disk,
// every other error of the server or of the connection to it a storage fault of the log. Anything else
// (a LedgerError a unit of work threw, a bug) passes as it is.
import postgres from 'postgres'
import { InsufficientStorage, LedgerError, StorageFault } from '../../domain/errors.js'

/** The driver's codes for a connection that failed or went away, and Node's for a socket that could not open. */
const CONNECTION_CODES = /^(CONNECTION_|CONNECT_TIMEOUT|E[A-Z]+$)/

function codeOf(error: unknown): string | undefined {
  if (error instanceof LedgerError || !(error instanceof Error)) return undefined
  if (error instanceof postgres.PostgresError) return error.code
  const code = 'code' in error ? error.code : undefined
  return typeof code === 'string' && CONNECTION_CODES.test(code) ? code : undefined
}

/** The domain's failure for a failed step of the log (the message names the step and code, never the url). */
export function toStorageFailure(step: string, error: unknown): unknown {
  const code = codeOf(error)
  if (code === undefined) return error
  const facts = { step, path: 'postgresql', errno: code }
  if (code === '53100') return new InsufficientStorage(`no space left on the database server (${code} during ${step})`, facts, { cause: error })
  return new StorageFault(`${step} failed with ${code}`, facts, { cause: error })
}
