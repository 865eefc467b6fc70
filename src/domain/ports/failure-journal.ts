// Failures the log could not take when they happened, kept beside it until it can.
import type { CommitError } from '../model.js'
import type { EndedAttempt } from './log.js'

/** A failure the log could not take when it happened, owed to it until it can. */
export type OwedFailure =
  | { kind: 'pending'; seq: number; id: string; sessionId: string; error: CommitError; settled: boolean }
  | { kind: 'ended'; attempt: EndedAttempt }

/**
 * An append-only record beside the log holding the failures owed to it, so they survive a crash of the
 * process. Crash: `append` resolves once the entry is durable; a torn last entry is skipped by `readAll`.
 */
export interface FailureJournal {
  append(failure: OwedFailure): Promise<void>
  readAll(): Promise<OwedFailure[]>
  clear(): Promise<void>
}
