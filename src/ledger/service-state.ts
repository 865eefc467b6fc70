// What the service knows about its own health: start-up phase and storage faults not yet recovered.

export type Phase = 'starting' | 'recovering' | 'ready' | 'stopping'

export interface StorageFaultRecord {
  at: string
  code: string
  detail: string
}

/** The last canary commit: when, whether it went through, how long it took, and why not. */
export interface CanarySummary {
  at: string
  ok: boolean
  latencyMs: number
  error: string | null
}

export class ServiceState {
  phase: Phase = 'starting'
  /** Set by a write/fsync/rename/database fault; cleared once a probe write succeeds again. */
  unrecoveredFault: StorageFaultRecord | undefined
  /** Sessions whose plain files may differ from the log after a failed rollback. */
  readonly dirtySessions = new Set<string>()
  readonly startedAt = new Date()
  canary: CanarySummary | undefined
  /** Plain files the last start-up re-checked: those of entries after the plain view's checkpoint. */
  recheckedPlainFiles: number | undefined
  lastRecovery: { abortedCommits: number; settledCommits: number; removedTemps: number; durationMs: number } | undefined
}
