// Sessions: what a writer said it would produce, whether it did, and how the session was closed.

/** `deleted`: an admin deleted the session; its record stays, its artifacts answer 410 and writes are refused. */
export const SESSION_STATES = ['open', 'complete', 'incomplete', 'failed', 'deleted'] as const
export type SessionState = (typeof SESSION_STATES)[number]
/** The states a close leaves a session in. */
export const CLOSED_STATES = ['complete', 'incomplete', 'failed'] as const
export type ClosedState = (typeof CLOSED_STATES)[number]

/**
 * How long a session's versions are kept: only the newest `keepVersions` of each artifact, and none
 * committed more than `deleteAfterDays` ago (the latest included). Absent members take the server's
 * defaults; absent defaults keep everything.
 */
export interface Retention {
  keepVersions?: number
  deleteAfterDays?: number
}

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
  /** The session's own retention; null takes the server's defaults. */
  retention: Retention | null
  /** While true, nothing of the session is deleted or expired. */
  hold: boolean
}

/** What a session close asks for: by the writer (with the failure it reports, if any) or by the deadline. */
export interface CloseRequest {
  by: ClosedBy
  error?: WriterError
}

/** The retention that applies to a session: its own members, the server's defaults for those it does not set. */
export function effectiveRetention(own: Retention | null, defaults: Retention): Retention {
  const keepVersions = own?.keepVersions ?? defaults.keepVersions
  const deleteAfterDays = own?.deleteAfterDays ?? defaults.deleteAfterDays
  return { ...(keepVersions === undefined ? {} : { keepVersions }), ...(deleteAfterDays === undefined ? {} : { deleteAfterDays }) }
}

export function missingArtifacts(expected: readonly string[], present: Iterable<string>): string[] {
  const have = new Set(present)
  return expected.filter((name) => !have.has(name))
}

/** Whether a change of artifacts or expectations can move a session in this state (only closed, unfailed ones). */
export function settlesByArtifacts(state: SessionState): boolean {
  return state === 'complete' || state === 'incomplete'
}

/**
 * The state after a change of artifacts or expectations: an open session stays open until it is
 * closed, a failed one stays failed (its writer said so), and a closed one is `complete` exactly
 * when nothing expected is missing, so a late artifact can still complete it.
 */
export function settledState(current: SessionState, missing: readonly string[]): SessionState {
  if (!settlesByArtifacts(current)) return current
  return missing.length === 0 ? 'complete' : 'incomplete'
}

/**
 * The state a close leaves the session in, or undefined when the close changes nothing: a failed
 * session stays failed, a closed one closes only again to report a failure, and the deadline closes
 * only open sessions.
 */
export function closedState(current: SessionState, request: CloseRequest, missing: readonly string[]): ClosedState | undefined {
  if (current === 'failed' || current === 'deleted') return undefined
  if (request.error !== undefined) return 'failed'
  if (current !== 'open') return undefined
  return missing.length === 0 ? 'complete' : 'incomplete'
}
