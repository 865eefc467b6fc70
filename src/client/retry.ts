// When and how long to wait before trying a request again. Safe only because every retried write
// carries one Idempotency-Key: a retry after a lost answer gets the first attempt's result.
import { setTimeout as sleep } from 'node:timers/promises'
import { LedgerProblem, LedgerUnavailable } from './errors.js'

export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number
  baseDelayMs: number
  maxDelayMs: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 5_000 }

// 5xx is a fault worth another try (a failed attempt does not consume the key), except 507: a full
// disk does not clear in seconds. 429 and 503 say "later" outright.
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504])
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'UND_ERR_SOCKET', 'ERR_STREAM_PREMATURE_CLOSE', 'REQUEST_TIMEOUT',
])

export function networkErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code) ? code : undefined
}

function isRetryable(error: unknown): boolean {
  if (error instanceof LedgerProblem) return RETRYABLE_STATUSES.has(error.status)
  return networkErrorCode(error) !== undefined
}

/** Full jitter (AWS architecture blog): spreads retrying writers out instead of synchronising them. */
export function backoffDelayMs(policy: RetryPolicy, failedAttempts: number, random = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempts - 1))
  return Math.round(random() * ceiling)
}

function retryAfterMs(error: unknown, policy: RetryPolicy): number | undefined {
  if (!(error instanceof LedgerProblem)) return undefined
  const seconds = error.retryAfterSeconds
  return seconds === undefined ? undefined : Math.min(seconds * 1000, policy.maxDelayMs * 4)
}

export interface RetryEvent {
  attempt: number
  delayMs: number
  error: unknown
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the policy runs out. A problem the service
 * sent is rethrown as it came; network failures end as LedgerUnavailable with the last one as cause.
 */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  onRetry?: (event: RetryEvent) => void,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber)
    } catch (error) {
      if (!isRetryable(error)) throw error
      if (attemptNumber >= policy.maxAttempts) {
        if (error instanceof LedgerProblem) throw new LedgerProblem(error.status, error.problem, { attempts: attemptNumber })
        const reason = networkErrorCode(error) ?? 'network error'
        throw new LedgerUnavailable(`service unreachable after ${attemptNumber} attempts (last: ${reason}: ${(error as Error).message})`, attemptNumber, { cause: error })
      }
      const delayMs = retryAfterMs(error, policy) ?? backoffDelayMs(policy, attemptNumber)
      onRetry?.({ attempt: attemptNumber, delayMs, error })
      await sleep(delayMs)
    }
  }
}
