// What the service knows about its own health: start-up phase and storage faults not yet recovered.
import type { CanarySummary } from './status.js'

export type Phase = 'starting' | 'recovering' | 'ready' | 'stopping'

export interface StorageFaultRecord {
  at: string
  code: string
  detail: string
}

export class ServiceState {
  phase: Phase = 'starting'
  /** Set by a write/fsync/rename/database fault; cleared once a probe write succeeds again. */
  unrecoveredFault: StorageFaultRecord | undefined
  /** Sessions whose plain files may differ from the log after a failed rollback. */
  readonly dirtySessions = new Set<string>()
  readonly startedAt = new Date()
  canary: CanarySummary | undefined
  lastRecovery: { abortedCommits: number; settledCommits: number; removedTemps: number; durationMs: number } | undefined

  get isReady(): boolean {
    return this.phase === 'ready'
  }
}
