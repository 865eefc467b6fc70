// How a failure is written into the log and shown to operators: the domain's code and detail, or
// `internal` for anything else, whose message may hold internals and is kept for the service log only.
import { LedgerError } from '../domain/errors.js'
import type { CommitError } from '../domain/model.js'

export function describeError(error: unknown): CommitError {
  if (error instanceof LedgerError) {
    return { code: error.code, detail: error.message, ...(Object.keys(error.facts).length > 0 ? { facts: error.facts } : {}) }
  }
  return { code: 'internal', detail: 'an unexpected internal error occurred' }
}
