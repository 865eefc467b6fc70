// What a client call can fail with. Every failure is thrown, never logged and dropped: the lost
// artifacts this service exists for were lost to a save call that failed quietly.
import type { Static } from '@sinclair/typebox'
import type { ProblemDetails } from '../http/schemas/common.js'

export type Problem = Static<typeof ProblemDetails>

export class LedgerClientError extends Error {
  override name = 'LedgerClientError'
}

/** The service answered with an error: the RFC 9457 problem detail it sent, whole. */
export class LedgerProblem extends LedgerClientError {
  override name = 'LedgerProblem'
  readonly status: number
  /** The stable machine-readable code, or null when the answer was not problem+json (a proxy, say). */
  readonly code: string | null
  readonly problem: Partial<Problem> & Record<string, unknown>

  /** Attempts made before this answer was final; more than 1 when retries ran out. */
  readonly attempts: number
  /** The Retry-After header, in seconds, when the service sent one. */
  readonly retryAfterSeconds: number | undefined

  constructor(status: number, problem: Partial<Problem> & Record<string, unknown>, options: { attempts?: number; retryAfterSeconds?: number } = {}) {
    const code = typeof problem.code === 'string' ? problem.code : null
    const detail = typeof problem.detail === 'string' ? problem.detail : (problem.title ?? 'no detail')
    super(`${status} ${code ?? 'error'}: ${detail}${typeof problem.commitId === 'string' ? ` (failed commit ${problem.commitId})` : ''}`)
    this.status = status
    this.code = code
    this.problem = problem
    this.attempts = options.attempts ?? 1
    this.retryAfterSeconds = options.retryAfterSeconds
  }
}

/**
 * Codes of answers about removed things: 410 `artifact_deleted` (every version of the artifact was
 * deleted), `version_expired` (removed by retention) and `history_pruned` (removed long enough ago that
 * its history is pruned); 409 `session_deleted` (the session takes no change) and `held` (a hold stops deletion).
 */
export const REMOVAL_CODES = ['artifact_deleted', 'version_expired', 'history_pruned', 'session_deleted', 'held'] as const
export type RemovalCode = (typeof REMOVAL_CODES)[number]

/** True for an answer saying what was asked for is gone: a deleted artifact or an expired version (410). */
export function isGone(error: unknown): error is LedgerProblem {
  return error instanceof LedgerProblem && error.status === 410
}

/** The service could not be reached, or kept failing, for every attempt the retry policy allows. */
export class LedgerUnavailable extends LedgerClientError {
  override name = 'LedgerUnavailable'
  constructor(message: string, readonly attempts: number, options?: { cause: unknown }) {
    super(message, options)
  }
}

/** Bytes, or a digest the service reported, differ from what this client computed or was promised. */
export class DigestMismatch extends LedgerClientError {
  override name = 'DigestMismatch'
  constructor(message: string, readonly expected: string, readonly actual: string) {
    super(message)
  }
}

/** The service answered 2xx with a body that does not match the schema this client was built with. */
export class ContractMismatch extends LedgerClientError {
  override name = 'ContractMismatch'
  constructor(message: string, readonly body: unknown) {
    super(message)
  }
}
