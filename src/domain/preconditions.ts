// Preconditions a log adapter checks inside the transaction that writes (replicas race each other there).
import { IdempotencyKeyHeld, PreconditionFailed } from './errors.js'
import { headEtag } from './model.js'
import type { StoredIdempotencyKey } from './ports/log.js'

/** A session If-Match held against `expected`, but the head moved to `current` before the commit landed. */
export function headMoved(expected: number, current: number): PreconditionFailed {
  return new PreconditionFailed(
    `If-Match held against the session head ${headEtag(expected)}, which moved to ${headEtag(current)} before this commit landed`,
    { currentEtag: headEtag(current) },
  )
}

/**
 * Another entry holds this Idempotency-Key (in one process duplicates run one at a time, so it is another
 * replica's attempt, in flight or committed): the pending entry is refused before anything is written.
 */
export function keyHeld(sessionId: string, key: string, holder: StoredIdempotencyKey): IdempotencyKeyHeld {
  return new IdempotencyKeyHeld(`Idempotency-Key ${JSON.stringify(key)} of session ${sessionId} is held by ${holder.state} entry ${holder.commitSeq}`, holder)
}
