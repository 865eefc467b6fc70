// The status report: one read-only picture of the service for operators, status and metrics.
import type { CommitState } from '../domain/commit-state.js'
import type { ScrubRecord, SessionCounts } from '../domain/ports.js'
import type { StandingError } from './background-errors.js'

export interface CommitSummary {
  id: string
  seq: number
  sessionId: string
  at: string
}

export interface FailureSummary extends CommitSummary {
  state: CommitState
  code: string
  detail: string
}

export type ScrubSummary = ScrubRecord

export interface CanarySummary {
  at: string
  ok: boolean
  latencyMs: number
  error: string | null
}

export interface StatusReport {
  service: string
  version: string
  phase: string
  startedAt: string
  uptimeSeconds: number
  commits: Record<CommitState, number> & { total: number }
  lastCommit: CommitSummary | null
  lastFailure: FailureSummary | null
  storage: { objectCount: number; objectBytes: number; databaseBytes: number; freeBytes: number | null; totalBytes: number | null }
  sessions: SessionCounts & { incompleteIds: string[]; failedIds: string[] }
  lastScrub: ScrubRecord | null
  scrubRunning: boolean
  canary: CanarySummary | null
  recovery: { abortedCommits: number; settledCommits: number; removedTemps: number; durationMs: number } | null
  unrecoveredFault: { at: string; code: string; detail: string } | null
  /** Failed commits the log could not record yet (it was failing); recorded as soon as it takes writes. */
  owedFailures: number
  /** Background work whose last run failed, by path, until it next succeeds. */
  backgroundErrors: StandingError[]
}
