// Sessions: what a writer said it would produce, and whether it did.
import type { ArtifactVersion } from './model.js'

export const SESSION_STATES = ['open', 'complete', 'incomplete'] as const
export type SessionState = (typeof SESSION_STATES)[number]

/** The service's own canary writes here; it is hidden from listings and refused to callers. */
export const CANARY_SESSION_ID = 'artifact-ledger.canary'

export interface SessionRow {
  id: string
  state: SessionState
  createdAt: string
  updatedAt: string
  completedAt: string | null
  headSeq: number
  metadata: Record<string, unknown> | null
  expectedArtifacts: string[]
}

export interface SessionRecord extends SessionRow {
  etag: string
  artifacts: ArtifactVersion[]
  missing: string[]
}

export function missingArtifacts(expected: readonly string[], present: Iterable<string>): string[] {
  const have = new Set(present)
  return expected.filter((name) => !have.has(name))
}

/**
 * The state after a change: an open session stays open until it is completed; a closed one is
 * `complete` exactly when nothing expected is missing, so a late artifact can still complete it.
 */
export function settledState(current: SessionState, missing: readonly string[]): SessionState {
  if (current === 'open') return 'open'
  return missing.length === 0 ? 'complete' : 'incomplete'
}

export function closedState(missing: readonly string[]): SessionState {
  return missing.length === 0 ? 'complete' : 'incomplete'
}
