// The status report: one read-only picture of the service for operators, status and metrics.
import type { CommitState } from '../domain/commit-state.js'

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

export interface ScrubSummary {
  startedAt: string
  finishedAt: string
  ok: boolean
  checkedObjects: number
  checkedPlainFiles: number
  bytes: number
  missing: number
  corrupt: number
  orphaned: number
  repaired: number
}

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
  sessions: { total: number; open: number; complete: number; incomplete: number; incompleteIds: string[] }
  lastScrub: ScrubSummary | null
  scrubRunning: boolean
  canary: CanarySummary | null
  recovery: { abortedCommits: number; settledCommits: number; removedTemps: number; durationMs: number } | null
  unrecoveredFault: { at: string; code: string; detail: string } | null
}
