// Preconditions a log adapter re-checks inside the transaction that commits (replicas race each other there).
import { PreconditionFailed } from './errors.js'
import { headEtag } from './model.js'

/** A session If-Match held against `expected`, but the head moved to `current` before the commit landed. */
export function headMoved(expected: number, current: number): PreconditionFailed {
  return new PreconditionFailed(
    `If-Match held against the session head ${headEtag(expected)}, which moved to ${headEtag(current)} before this commit landed`,
    { currentEtag: headEtag(current) },
  )
}
