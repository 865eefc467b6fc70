// The commit state machine: pending → committed | failed | aborted, and nothing leaves a terminal state.

/**
 * Every change is a log entry with its own seq: `artifacts` (a commit of bytes), `expect` (the expected
 * set changed), `close` (the session was closed), `session` (created, deadline, metadata, retention or
 * hold changed), `delete` (an artifact or the session deleted by an admin), `expire` (versions removed by
 * retention). A delete or expire entry removes versions: they stay in the log, unreadable.
 */
export const ENTRY_KINDS = ['artifacts', 'expect', 'close', 'session', 'delete', 'expire'] as const
export type EntryKind = (typeof ENTRY_KINDS)[number]

export const COMMIT_STATES = ['pending', 'committed', 'failed', 'aborted'] as const
export type CommitState = (typeof COMMIT_STATES)[number]

const allowedNext: Record<CommitState, readonly CommitState[]> = {
  pending: ['committed', 'failed', 'aborted'],
  committed: [],
  failed: [],
  aborted: [],
}

export function canTransition(from: CommitState | null, to: CommitState, kind: EntryKind = 'artifacts'): boolean {
  if (from === null) {
    // A change of the session alone (expectations, a close) writes no bytes: it is born committed.
    if (kind !== 'artifacts') return to === 'committed' || to === 'failed'
    // A commit is born pending; or failed when it is refused before any byte is written; or aborted
    // when its client stalled or vanished before the body was complete.
    return to === 'pending' || to === 'failed' || to === 'aborted'
  }
  return allowedNext[from].includes(to)
}

/** The kinds of entry that remove versions. */
export type RemovalKind = Extract<EntryKind, 'delete' | 'expire'>
