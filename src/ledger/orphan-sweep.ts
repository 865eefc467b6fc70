// The sweep for gone replicas' commits: on a log several replicas share, every replica looks every few
// seconds for pending entries whose replica has died and ends them as start-up recovery would
// (recoverOrphans), so a dead replica's commits do not stay pending until it restarts. Which replica takes
// over a dead one is the log's decision (RecoveryScope.orphaned): one at a time per dead replica.
import type { BackgroundPath, LedgerPorts } from '../domain/ports.js'
import { recoverOrphans, type OrphanReport } from './recovery.js'
import type { ServiceState } from './service-state.js'

/** A dead replica's pending commits are aborted within 30 s: one interval, plus the sweep's own time. */
export const DEFAULT_REPLICA_SWEEP_MS = 10_000

export interface OrphanSweepParts {
  storage: LedgerPorts
  state: ServiceState
  report: (path: BackgroundPath, error: unknown) => void
  succeeded: (path: BackgroundPath) => void
  /** Told how many commits a sweep aborted (the same count start-up recovery reports). */
  aborted: (count: number) => void
}

export class OrphanSweep {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<OrphanReport> | undefined
  /** The last sweep failed: the next clean one says so (and clears the standing error). */
  private failing = false

  constructor(private readonly parts: OrphanSweepParts) {}

  /** Every `intervalMs` (0: never), only where other replicas share the log. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.parts.storage.coordination.recovery.orphaned === undefined) return
    this.timer = setInterval(() => {
      // sweep() has reported its failure (path `recovery`) before rejecting: the timer has nothing to add.
      void this.runOnce().catch(() => undefined)
    }, intervalMs)
    this.timer.unref()
  }

  /** One sweep now; joins one in flight. Errors are reported (path `recovery`) and thrown. */
  runOnce(): Promise<OrphanReport> {
    this.running ??= this.sweep().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    // Only waited for: a failure of the sweep in flight was reported by the sweep itself.
    await this.running?.catch(() => undefined)
  }

  private async sweep(): Promise<OrphanReport> {
    const { state, report } = this.parts
    try {
      const outcome = await recoverOrphans(this.parts.storage)
      if (outcome.abortedCommits > 0) this.parts.aborted(outcome.abortedCommits)
      for (const { sessionId, error } of outcome.failures) {
        // As after start-up recovery: the session's next commit reconciles it first; readiness fails meanwhile.
        state.dirtySessions.add(sessionId)
        report('recovery', error)
      }
      if (outcome.failures.length === 0 && this.failing) this.parts.succeeded('recovery')
      this.failing = outcome.failures.length > 0
      return outcome
    } catch (error) {
      this.failing = true
      report('recovery', error)
      throw error
    }
  }
}
