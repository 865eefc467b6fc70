// The status report: one read-only picture of the service for operators, status and metrics.
import type { CommitState } from '../domain/commit-state.js'
import type { GcRecord, GcTotals, HistoryHorizon, LedgerPorts, ScrubRecord, SessionCounts } from '../domain/ports.js'
import type { StandingError } from './background-errors.js'
import { storeReachability, type StoreReachability } from './health.js'
import type { CanarySummary, ServiceState } from './service-state.js'

export type { CanarySummary }

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
  /** Whether this replica reaches its stores now: the database, and the object store where it is elsewhere (null: files). */
  checks: StoreReachability
  sessions: SessionCounts & { incompleteIds: string[]; failedIds: string[] }
  lastScrub: ScrubRecord | null
  scrubRunning: boolean
  lastGc: GcRecord | null
  /** What garbage collection has reclaimed since the ledger was created, and whether a run is under way. */
  gc: GcTotals & { running: boolean }
  /** History retention: how long removed versions' history stays (0: all of it), and what pruning took. */
  history: HistoryHorizon & { retentionSeconds: number }
  canary: CanarySummary | null
  recovery: { abortedCommits: number; settledCommits: number; removedTemps: number; durationMs: number } | null
  unrecoveredFault: { at: string; code: string; detail: string } | null
  /** Failed commits the log could not record yet (it was failing); recorded as soon as it takes writes. */
  owedFailures: number
  /** Background work whose last run failed, by path, until it next succeeds. */
  backgroundErrors: StandingError[]
}

/** What the report is made of besides the storage: the ledger's own state and its background work. */
export interface StatusSources {
  storage: Pick<LedgerPorts, 'log' | 'sessions' | 'bookkeeping' | 'probes'>
  version: string
  state: ServiceState
  scrubRunning: boolean
  gcRunning: boolean
  historyRetentionSeconds: number
  owedFailures: number
  backgroundErrors: StandingError[]
  /** Free space that cannot be read is shown as unknown; the error goes here. */
  reportDiskError: (error: unknown) => void
}

/** Counters kept with the data: the report costs the same at any size of the log. The canary's own entries are left out. */
export async function statusReport(sources: StatusSources): Promise<StatusReport> {
  const { storage: { log, sessions, bookkeeping, probes }, state } = sources
  const counts = await log.commitCounts()
  const last = await log.lastCommit()
  const failure = await log.lastFailure()
  const objects = await bookkeeping.objectTotals()
  const disk = await probes.diskSpace().catch((error: unknown) => {
    // Shown as unknown (null) here; readiness fails on the same error and says why.
    sources.reportDiskError(error)
    return undefined
  })
  return {
    service: 'artifact-ledger',
    version: sources.version,
    phase: state.phase,
    startedAt: state.startedAt.toISOString(),
    uptimeSeconds: Math.round((Date.now() - state.startedAt.getTime()) / 1000),
    commits: { ...counts, total: Object.values<number>(counts).reduce((a, b) => a + b, 0) },
    lastCommit: last === undefined ? null : { id: last.id, seq: last.seq, sessionId: last.sessionId, at: last.finishedAt ?? last.createdAt },
    lastFailure: failure === undefined ? null : {
      id: failure.id, seq: failure.seq, sessionId: failure.sessionId, at: failure.finishedAt ?? failure.createdAt,
      state: failure.state, code: failure.error?.code ?? 'unknown', detail: failure.error?.detail ?? '',
    },
    storage: {
      objectCount: objects.count,
      objectBytes: objects.bytes,
      databaseBytes: await bookkeeping.databaseBytes(),
      freeBytes: disk?.freeBytes ?? null,
      totalBytes: disk?.totalBytes ?? null,
    },
    checks: await storeReachability(probes),
    sessions: {
      ...(await sessions.sessionCounts()),
      incompleteIds: await sessions.recentSessionIds('incomplete', 100),
      failedIds: await sessions.recentSessionIds('failed', 100),
    },
    lastScrub: (await bookkeeping.lastScrub()) ?? null,
    scrubRunning: sources.scrubRunning,
    lastGc: (await bookkeeping.lastGc()) ?? null,
    gc: { ...(await bookkeeping.gcTotals()), running: sources.gcRunning },
    history: { ...(await log.historyHorizon()), retentionSeconds: sources.historyRetentionSeconds },
    canary: state.canary ?? null,
    recovery: state.lastRecovery ?? null,
    unrecoveredFault: state.unrecoveredFault ?? null,
    owedFailures: sources.owedFailures,
    backgroundErrors: sources.backgroundErrors,
  }
}
