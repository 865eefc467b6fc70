// Storage faults the service knows of: noted when a write's caller is told, reported (logged, counted,
// kept) when no caller will see them, and cleared only once a probe write passes, the log has taken
// every failure it was owed and no session's plain files are out of line.
import { isStorageFault, ReadBackMismatch } from '../domain/errors.js'
import type { BackgroundPath, LedgerPorts } from '../domain/ports.js'
import type { BackgroundErrors } from './background-errors.js'
import { describeError } from './describe-error.js'
import type { ObserverSet } from './observers.js'
import type { OwedFailures } from './owed-failures.js'
import { reconcileSession } from './recovery.js'
import type { ServiceState } from './service-state.js'

/** A fault is retried by a probe write at most this often, so readiness polls stay cheap. */
const PROBE_INTERVAL_MS = 1000

export interface FaultParts {
  storage: LedgerPorts
  state: ServiceState
  observer: ObserverSet
  background: BackgroundErrors
  /** Set once the ledger has made it (it reports its own errors here). */
  owed: () => OwedFailures
}

export class Faults {
  private lastProbeAt = 0

  constructor(private readonly parts: FaultParts) {}

  /** A fault of a write whose caller is told: remembered for readiness (and counted when it is a read-back mismatch). */
  note(error: unknown): void {
    if (error instanceof ReadBackMismatch) this.parts.observer.integrityProblem('read_back_mismatch')
    if (!isStorageFault(error)) return
    const { code, detail } = describeError(error)
    this.parts.state.unrecoveredFault = { at: new Date().toISOString(), code, detail }
  }

  /** An error that no caller sees: logged, counted by path and code, kept for status and health. */
  report(path: BackgroundPath, error: unknown): void {
    this.note(error)
    this.parts.background.report(path, error)
  }

  /**
   * Writes owed failures into the log; once nothing is owed and no session is dirty, a past fault no longer
   * stands, if `clearFault` (a probe write passed). A commit that went through does not prove that: with
   * small objects in the log and the plain view flushed in batches, it may have touched no file at all.
   */
  async settleOwed(clearFault = true): Promise<void> {
    const { state, background } = this.parts
    const owed = this.parts.owed()
    if (owed.count > 0) {
      try {
        await owed.settle()
        background.succeeded('record-failure')
      } catch (error) {
        this.report('record-failure', error)
        return
      }
    }
    if (clearFault && state.dirtySessions.size === 0) state.unrecoveredFault = undefined
  }

  /** After a fault: prove a write works again, record what the log is owed, then bring dirty sessions back in line. */
  async tryRecover(): Promise<void> {
    if (Date.now() - this.lastProbeAt < PROBE_INTERVAL_MS) return
    this.lastProbeAt = Date.now()
    const { storage, state, background } = this.parts
    try {
      await storage.probes.probeWrite()
      for (const sessionId of [...state.dirtySessions]) {
        await storage.coordination.sessions.withLock(sessionId, () => this.reconcileDirty(sessionId))
      }
      background.succeeded('fault-probe')
    } catch (error) {
      this.report('fault-probe', error)
      return
    }
    await this.settleOwed()
  }

  /** Puts a session whose plain files may be out of line back in line with the log; under its lock. */
  async reconcileDirty(sessionId: string): Promise<void> {
    await reconcileSession(this.parts.storage, sessionId)
    this.parts.state.dirtySessions.delete(sessionId)
  }
}
