// What the ledger tells the outside about itself: commit outcomes, closes, integrity, background errors.
import type { ClosedBy, ClosedState } from '../session.js'

/** `aborted`: the client stalled or vanished, or the service restarted, before the commit finished. */
export type CommitOutcomeKind = 'committed' | 'failed' | 'aborted'

/** Where background work runs: each reports the errors it cannot handle under its own name. */
export const BACKGROUND_PATHS = [
  'scrub', 'gc', 'canary', 'expiry', 'deadlines', 'recovery', 'record-failure', 'cleanup', 'undo', 'fault-probe', 'reads', 'plain-view-flush',
] as const
export type BackgroundPath = (typeof BACKGROUND_PATHS)[number]

/** Told about every commit outcome, session close and integrity finding, e.g. to keep Prometheus metrics. */
export interface LedgerObserver {
  commitFinished(outcome: CommitOutcomeKind, info: { durationSeconds: number; bytes: number; code?: string }): void
  /** Pending commits aborted by start-up recovery (the service stopped before they finished). */
  commitsAborted(count: number): void
  sessionClosed(state: ClosedState, by: ClosedBy): void
  /** A read-back mismatch, a corrupt or missing object, or a plain file that differs from the log. */
  integrityProblem(kind: 'read_back_mismatch' | 'object_corrupt' | 'object_missing' | 'plain_mismatch' | 'plain_missing'): void
  /** An error background work could not handle; `code` is `internal` for one nobody expected (a bug). */
  backgroundError(path: BackgroundPath, code: string): void
}
