// The ledger: the one object routes talk to. It wires commits, reads, recovery, verify and health.
import { ReadBackMismatch, SessionNotFound } from '../domain/errors.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions } from '../domain/model.js'
import { assertSessionId } from '../domain/names.js'
import type {
  CommitFilter, CommitLog, LedgerObserver, ObjectFiles, PlainFiles, ScrubRecord, SessionStore, StorageBookkeeping, StorageProbes,
} from '../domain/ports.js'
import { Committer, describeError, type CommitOptions, type CommitOutcome, type CommitRequest, type PutRequest } from './commit.js'
import { readinessChecks, report, type DiskThresholds, type HealthReport } from './health.js'
import { Reader, type ArtifactSelector, type CommitPage, type SessionArtifacts } from './reads.js'
import { collectGarbage, recoverAtStartup, reconcileSession, type RecoveryParts } from './recovery.js'
import { ObserverSet } from './observers.js'
import { ServiceState } from './service-state.js'
import { Canary } from './canary.js'
import { Scrubber } from './scrub.js'
import { assertCallerSessionId, Sessions, type SessionChanges, type SessionPage } from './sessions.js'
import type { CanarySummary, StatusReport } from './status.js'
import { CANARY_SESSION_ID, type SessionRecord, type SessionState } from '../domain/session.js'
import { isStorageFault } from './storage-errors.js'
import { verifyStorage, type VerifyParts, type VerifyReport } from './verify.js'

export interface LedgerStorage {
  log: CommitLog
  sessions: SessionStore
  bookkeeping: StorageBookkeeping
  objects: ObjectFiles
  plain: PlainFiles
  probes: StorageProbes
}

export interface LedgerSettings {
  version: string
  maxArtifactBytes: number
  disk: DiskThresholds
  /** 0 (the default) runs no periodic canary; `runCanary()` still works. */
  canaryIntervalMs?: number
  /** 0 (the default) runs no background scrub; `runScrub()` still works. */
  scrubIntervalMs?: number
  scrubRateBytesPerSec?: number
}

/** A fault is retried by a probe write at most this often, so readiness polls stay cheap. */
const PROBE_INTERVAL_MS = 1000

export class Ledger {
  readonly state = new ServiceState()
  readonly reader: Reader
  private readonly observers = new ObserverSet()
  private readonly committer: Committer
  private readonly sessions: Sessions
  private readonly canary: Canary
  private readonly scrubber: Scrubber
  private lastProbeAt = 0

  constructor(
    private readonly storage: LedgerStorage,
    private readonly settings: LedgerSettings,
  ) {
    this.reader = new Reader(storage.log, storage.bookkeeping, storage.objects, this.observers)
    this.committer = new Committer({
      log: storage.log,
      objects: storage.objects,
      plain: storage.plain,
      state: this.state,
      maxArtifactBytes: settings.maxArtifactBytes,
      reconcileSession: (sessionId) => this.reconcileDirtySession(sessionId),
      noteFault: (error) => this.noteFault(error),
      observer: this.observers,
    })
    this.sessions = new Sessions(storage.log, storage.sessions)
    this.canary = new Canary({
      committer: this.committer,
      prune: (keep) => this.pruneCanary(keep),
      onResult: (result) => {
        this.state.canary = result
      },
    })
    this.scrubber = new Scrubber({
      verify: (throttle) => verifyStorage(this.verifyParts, { repair: true, throttle }),
      onResult: (summary) => {
        storage.bookkeeping.recordScrub(summary)
      },
      onError: (error) => {
        this.noteFault(error)
      },
    }, settings.scrubRateBytesPerSec ?? 64 * 1024 * 1024)
  }

  private get recoveryParts(): RecoveryParts {
    return { ...this.storage, isObjectInUse: (sha256) => this.committer.isObjectInUse(sha256) }
  }

  addObserver(observer: LedgerObserver): void {
    this.observers.add(observer)
  }

  /** Crash recovery; the service answers 503 not_ready until it has finished. */
  async recover(): Promise<void> {
    this.state.phase = 'recovering'
    const { report, failures } = await recoverAtStartup(this.recoveryParts)
    this.state.lastRecovery = report
    for (const { sessionId, error } of failures) {
      // The session stays dirty (its next commit reconciles it first) and readiness fails meanwhile.
      this.state.dirtySessions.add(sessionId)
      this.noteFault(error)
    }
    if (this.state.lastRecovery.abortedCommits > 0) this.observers.commitsAborted(this.state.lastRecovery.abortedCommits)
    this.state.phase = 'ready'
    this.canary.start(this.settings.canaryIntervalMs ?? 0)
    this.scrubber.start(this.settings.scrubIntervalMs ?? 0)
  }

  runCanary(): Promise<CanarySummary> {
    return this.canary.runOnce()
  }

  runScrub(): Promise<ScrubRecord> {
    return this.scrubber.runOnce()
  }

  private async pruneCanary(keep: number): Promise<void> {
    await this.committer.withSessionLock(CANARY_SESSION_ID, async () => {
      this.storage.bookkeeping.pruneSessionHistory(CANARY_SESSION_ID, keep)
      await collectGarbage(this.recoveryParts)
    })
  }

  async commit(sessionId: string, request: CommitRequest, options: CommitOptions = {}): Promise<CommitOutcome> {
    assertCallerSessionId(sessionId)
    return this.write(() => this.committer.commit(sessionId, request, options))
  }

  async put(sessionId: string, request: PutRequest): Promise<CommitOutcome> {
    assertCallerSessionId(sessionId)
    return this.write(() => this.committer.put(sessionId, request))
  }

  putSession(sessionId: string, changes: SessionChanges): { session: SessionRecord; created: boolean } {
    return this.sessions.put(sessionId, changes)
  }

  getSession(sessionId: string): SessionRecord {
    return this.sessions.get(sessionId)
  }

  completeSession(sessionId: string): SessionRecord {
    return this.sessions.complete(sessionId)
  }

  listSessions(filter: { state?: SessionState; cursor?: string; limit: number }): SessionPage {
    return this.sessions.list(filter)
  }

  async status(): Promise<StatusReport> {
    const { log, sessions, bookkeeping, probes } = this.storage
    const counts = log.commitCounts(CANARY_SESSION_ID)
    const last = log.lastCommit(CANARY_SESSION_ID)
    const failure = log.lastFailure(CANARY_SESSION_ID)
    const objects = bookkeeping.objectTotals()
    const disk = await probes.diskSpace().catch(() => undefined)
    return {
      service: 'artifact-ledger',
      version: this.settings.version,
      phase: this.state.phase,
      startedAt: this.state.startedAt.toISOString(),
      uptimeSeconds: Math.round((Date.now() - this.state.startedAt.getTime()) / 1000),
      commits: { ...counts, total: counts.pending + counts.committed + counts.failed + counts.aborted },
      lastCommit: last === undefined ? null : { id: last.id, seq: last.seq, sessionId: last.sessionId, at: last.finishedAt ?? last.createdAt },
      lastFailure: failure === undefined ? null : {
        id: failure.id, seq: failure.seq, sessionId: failure.sessionId, at: failure.finishedAt ?? failure.createdAt,
        state: failure.state, code: failure.error?.code ?? 'unknown', detail: failure.error?.detail ?? '',
      },
      storage: {
        objectCount: objects.count,
        objectBytes: objects.bytes,
        databaseBytes: bookkeeping.databaseBytes(),
        freeBytes: disk?.freeBytes ?? null,
        totalBytes: disk?.totalBytes ?? null,
      },
      sessions: { ...sessions.sessionCounts(CANARY_SESSION_ID), incompleteIds: sessions.incompleteSessionIds(CANARY_SESSION_ID, 100) },
      lastScrub: bookkeeping.lastScrub() ?? null,
      scrubRunning: this.scrubber.isRunning,
      canary: this.state.canary ?? null,
      recovery: this.state.lastRecovery ?? null,
      unrecoveredFault: this.state.unrecoveredFault ?? null,
    }
  }

  /** Every write's fault (a file's or the log's own) is remembered until a probe write passes. */
  private async write(attempt: () => Promise<CommitOutcome>): Promise<CommitOutcome> {
    let outcome: CommitOutcome
    try {
      outcome = await attempt()
    } catch (error) {
      this.noteFault(error)
      throw error
    }
    // A verified write just went through: a past fault no longer stands, once no session is dirty.
    if (!outcome.replayed && this.state.dirtySessions.size === 0) this.state.unrecoveredFault = undefined
    return outcome
  }

  /** Records a commit attempt rejected before it began (bad field, bad name, too large…) as failed. */
  recordRejected(sessionId: string, error: CommitError): string {
    const id = this.storage.log.recordRejected(sessionId, error, [])
    this.observers.commitFinished('failed', { durationSeconds: 0, bytes: 0, code: error.code })
    return id
  }

  listArtifacts(sessionId: string, atSeq?: number): SessionArtifacts {
    return this.reader.listArtifacts(sessionId, atSeq)
  }

  resolveArtifact(sessionId: string, name: string, selector?: ArtifactSelector): ArtifactVersion {
    return this.reader.resolveArtifact(sessionId, name, selector)
  }

  history(sessionId: string, name: string): ArtifactVersion[] {
    return this.reader.history(sessionId, name)
  }

  getCommit(id: string): CommitWithTransitions {
    return this.reader.commit(id)
  }

  listCommits(filter: Omit<CommitFilter, 'afterSeq'> & { cursor?: string; sinceSeq?: number }): CommitPage {
    // The canary's commits are the service's own; they show only when asked for by session.
    return this.reader.listCommits({ ...filter, excludeSessionId: CANARY_SESSION_ID })
  }

  commitBySeq(seq: number): CommitRecord | undefined {
    return this.storage.log.commitBySeq(seq)
  }

  private get verifyParts(): VerifyParts {
    return {
      ...this.recoveryParts,
      observer: this.observers,
      withSessionLock: (sessionId, work) => this.committer.withSessionLock(sessionId, work),
    }
  }

  async verify(options: { sessionId?: string | undefined; repair?: boolean; repairObjects?: boolean } = {}): Promise<VerifyReport> {
    const { sessionId, repair = true, repairObjects = false } = options
    if (sessionId !== undefined) {
      assertSessionId(sessionId)
      if (!this.storage.log.sessionExists(sessionId)) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
    }
    return verifyStorage(this.verifyParts, { repair, repairObjects, ...(sessionId === undefined ? {} : { sessionId }) })
  }

  liveness(): HealthReport {
    return report(this.settings.version, {
      process: { status: 'pass', observedValue: Math.round(process.uptime()), observedUnit: 's', time: new Date().toISOString() },
    })
  }

  async readiness(): Promise<HealthReport> {
    const checks = await readinessChecks(this.state, this.storage.probes, this.settings.disk, () => this.tryRecoverFromFault())
    return report(this.settings.version, checks)
  }

  noteFault(error: unknown): void {
    if (error instanceof ReadBackMismatch) this.observers.integrityProblem('read_back_mismatch')
    if (!isStorageFault(error)) return
    const { code, detail } = describeError(error)
    this.state.unrecoveredFault = { at: new Date().toISOString(), code, detail }
  }

  /** After a fault: prove a write works again, then bring dirty sessions back in line with the log. */
  private async tryRecoverFromFault(): Promise<void> {
    if (Date.now() - this.lastProbeAt < PROBE_INTERVAL_MS) return
    this.lastProbeAt = Date.now()
    try {
      await this.storage.probes.probeWrite()
      for (const sessionId of [...this.state.dirtySessions]) {
        await this.committer.withSessionLock(sessionId, () => this.reconcileDirtySession(sessionId))
      }
      this.state.unrecoveredFault = undefined
    } catch (error) {
      this.noteFault(error)
    }
  }

  private async reconcileDirtySession(sessionId: string): Promise<void> {
    await reconcileSession(this.recoveryParts, sessionId)
    this.state.dirtySessions.delete(sessionId)
  }

  /** Stops taking commits, lets the ones in flight finish, then closes the log. */
  async close(): Promise<void> {
    this.state.phase = 'stopping'
    await Promise.all([this.canary.stop(), this.scrubber.stop()])
    await this.committer.drain()
    this.storage.log.close()
  }
}
