// Preconditions a log adapter re-checks inside the transaction that commits (replicas race each other there).
import { IdempotencyKeyReused, PreconditionFailed } from './errors.js'
import { headEtag } from './model.js'

/** A session If-Match held against `expected`, but the head moved to `current` before the commit landed. */
export function headMoved(expected: number, current: number): PreconditionFailed {
  return new PreconditionFailed(
    `If-Match held against the session head ${headEtag(expected)}, which moved to ${headEtag(current)} before this commit landed`,
    { currentEtag: headEtag(current) },
  )
}

/**
 * Another commit stored this Idempotency-Key while this one ran (through another replica: one process
 * lets duplicates run one at a time). The caller replays that commit, or answers 409 when it differs.
 */
export function keyTaken(sessionId: string, key: string): IdempotencyKeyReused {
  return new IdempotencyKeyReused(`Idempotency-Key ${JSON.stringify(key)} was stored by another commit in session ${sessionId} while this one ran`, { field: 'Idempotency-Key' })
}
