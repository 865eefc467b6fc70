// The commit state machine: pending → committed | failed | aborted, and nothing leaves a terminal state.

export const COMMIT_STATES = ['pending', 'committed', 'failed', 'aborted'] as const
export type CommitState = (typeof COMMIT_STATES)[number]

const allowedNext: Record<CommitState, readonly CommitState[]> = {
  pending: ['committed', 'failed', 'aborted'],
  committed: [],
  failed: [],
  aborted: [],
}

export function canTransition(from: CommitState | null, to: CommitState): boolean {
  // A commit is born pending, or born failed when it is rejected before any byte is written.
  if (from === null) return to === 'pending' || to === 'failed'
  return allowedNext[from].includes(to)
}
