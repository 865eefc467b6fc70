// Sessions: what a writer said it would produce, whether it did, and how the session was closed.

export const SESSION_STATES = ['open', 'complete', 'incomplete', 'failed'] as const
export type SessionState = (typeof SESSION_STATES)[number]
export type ClosedState = Exclude<SessionState, 'open'>

/** Who closed a session: its writer (`POST …/complete`), or the service when the deadline passed. */
export const CLOSED_BY = ['writer', 'deadline'] as const
export type ClosedBy = (typeof CLOSED_BY)[number]

/** The service's own canary writes here; it is hidden from listings, refused to callers, and has no deadline. */
export const CANARY_SESSION_ID = 'artifact-ledger.canary'

/** A failure the writer reported when it closed the session. */
export interface WriterError {
  type: string
  message: string
}

export interface SessionRow {
  id: string
  state: SessionState
  createdAt: string
  updatedAt: string
  /** When the session was closed (by its writer or its deadline); null while open. */
  completedAt: string | null
  headSeq: number
  metadata: Record<string, unknown> | null
  expectedArtifacts: string[]
  /** When the service closes the session if its writer has not; null only for the canary's. */
  deadline: string | null
  closedBy: ClosedBy | null
  error: WriterError | null
}

/** What a session close asks for: by the writer (with the failure it reports, if any) or by the deadline. */
export interface CloseRequest {
  by: ClosedBy
  error?: WriterError
}

export function missingArtifacts(expected: readonly string[], present: Iterable<string>): string[] {
  const have = new Set(present)
  return expected.filter((name) => !have.has(name))
}

/**
 * The state after a change of artifacts or expectations: an open session stays open until it is
 * closed, a failed one stays failed (its writer said so), and a closed one is `complete` exactly
 * when nothing expected is missing, so a late artifact can still complete it.
 */
export function settledState(current: SessionState, missing: readonly string[]): SessionState {
  if (current === 'open' || current === 'failed') return current
  return missing.length === 0 ? 'complete' : 'incomplete'
}

/**
 * The state a close leaves the session in, or undefined when the close changes nothing: a failed
 * session stays failed, a closed one closes only again to report a failure, and the deadline closes
 * only open sessions.
 */
export function closedState(current: SessionState, request: CloseRequest, missing: readonly string[]): ClosedState | undefined {
  if (current === 'failed') return undefined
  if (request.error !== undefined) return 'failed'
  if (current !== 'open') return undefined
  return missing.length === 0 ? 'complete' : 'incomplete'
}
