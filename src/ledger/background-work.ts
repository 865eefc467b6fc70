// The ledger's background work: the canary, the scrub, garbage collection, the deadline sweep and expiry,
// started once recovery is done and stopped on close; each reports the errors it cannot handle.
import type { BackgroundPath, GcRecord, LedgerPorts, ScrubRecord } from '../domain/ports.js'
import type { BackgroundErrors } from './background-errors.js'
import { Canary } from './canary.js'
import type { Committer } from './commit.js'
import { DEFAULT_GC_SETTINGS, GarbageCollector } from './gc.js'
import { DEFAULT_REPLICA_SWEEP_MS, OrphanSweep } from './orphan-sweep.js'
import type { OrphanReport } from './recovery.js'
import type { Removals } from './removals.js'
import { Scrubber } from './scrub.js'
import type { CanarySummary, ServiceState } from './service-state.js'
import type { Sessions } from './sessions.js'
import type { LedgerSettings } from './settings.js'
import { verifyStorage, type VerifyParts } from './verify.js'

const DEFAULT_DEADLINE_CHECK_MS = 1000

export interface BackgroundWorkParts {
  storage: LedgerPorts
  state: ServiceState
  settings: LedgerSettings
  committer: Committer
  removals: Removals
  sessions: Sessions
  background: BackgroundErrors
  verifyParts: () => VerifyParts
  report: (path: BackgroundPath, error: unknown) => void
  /** Pending commits of dead replicas this one aborted. */
  commitsAborted: (count: number) => void
}

export class BackgroundWork {
  private readonly canary: Canary
  private readonly scrubber: Scrubber
  private readonly collector: GarbageCollector
  private readonly orphans: OrphanSweep
  private deadlineTimer: NodeJS.Timeout | undefined

  constructor(private readonly parts: BackgroundWorkParts) {
    const { storage, settings, background, report } = parts
    this.canary = new Canary({
      committer: parts.committer,
      afterCommit: () => parts.removals.boundCanaryHistory(),
      onResult: (result, error) => {
        parts.state.canary = result
        if (error === undefined) background.succeeded('canary')
        else report('canary', error)
      },
    })
    this.scrubber = new Scrubber({
      verify: (throttle) => verifyStorage(parts.verifyParts(), { repair: true, throttle }),
      onResult: async (summary) => {
        await storage.bookkeeping.recordScrub(summary)
        background.succeeded('scrub')
      },
      onError: (error) => report('scrub', error),
    }, settings.scrubRateBytesPerSec ?? 64 * 1024 * 1024)
    this.collector = new GarbageCollector(storage, {
      ...DEFAULT_GC_SETTINGS, graceSeconds: settings.gcGraceSeconds ?? DEFAULT_GC_SETTINGS.graceSeconds,
    }, {
      onResult: () => background.succeeded('gc'),
      onError: (error) => report('gc', error),
    })
    this.orphans = new OrphanSweep({
      storage, state: parts.state, report, succeeded: (path) => background.succeeded(path), aborted: (count) => parts.commitsAborted(count),
    })
  }

  get isScrubRunning(): boolean {
    return this.scrubber.isRunning
  }

  get isGcRunning(): boolean {
    return this.collector.isRunning
  }

  /** Once recovery is done: every timer whose interval is not 0. */
  start(): void {
    const { settings } = this.parts
    this.canary.start(settings.canaryIntervalMs ?? 0)
    this.scrubber.start(settings.scrubIntervalMs ?? 0)
    this.collector.start(settings.gcIntervalMs ?? 0)
    this.parts.removals.start(settings.expiryIntervalMs ?? 0)
    this.orphans.start(settings.replicaSweepIntervalMs ?? DEFAULT_REPLICA_SWEEP_MS)
    const deadlineMs = settings.deadlineCheckIntervalMs ?? DEFAULT_DEADLINE_CHECK_MS
    if (deadlineMs <= 0) return
    this.deadlineTimer = setInterval(() => {
      void this.closeDue('deadlines')
    }, deadlineMs)
    this.deadlineTimer.unref()
  }

  /**
   * Closes sessions whose deadline has passed. Runs on a timer and before every read of session
   * state, so no read shows a session open past its deadline; a failure is reported, never thrown
   * into the read that asked.
   */
  async closeDue(path: BackgroundPath): Promise<void> {
    if (this.parts.state.phase !== 'ready') return
    try {
      await this.parts.sessions.closeDue()
      this.parts.background.succeeded(path)
    } catch (error) {
      this.parts.report(path, error)
    }
  }

  runCanary(): Promise<CanarySummary> {
    return this.canary.runOnce()
  }

  runScrub(): Promise<ScrubRecord> {
    return this.scrubber.runOnce()
  }

  /** Joins a run in flight (or waits for another replica's to end, then runs); a failure is reported and thrown. */
  async runGc(): Promise<GcRecord> {
    try {
      return await this.collector.collectNow()
    } catch (error) {
      this.parts.report('gc', error)
      throw error
    }
  }

  /** Looks for dead replicas' pending commits now (see OrphanSweep); joins a sweep in flight. */
  sweepOrphans(): Promise<OrphanReport> {
    return this.orphans.runOnce()
  }

  async stop(): Promise<void> {
    clearInterval(this.deadlineTimer)
    await Promise.all([this.canary.stop(), this.scrubber.stop(), this.collector.stop(), this.parts.removals.stop(), this.orphans.stop()])
  }
}
