// The ledger: the one object routes talk to. It wires commits, reads, recovery, verify and health.
import { ReadBackMismatch, SessionNotFound } from '../domain/errors.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions } from '../domain/model.js'
import { assertSessionId } from '../domain/names.js'
import type { CommitFilter, CommitLog, LedgerObserver, ObjectFiles, PlainFiles, StorageProbes } from '../domain/ports.js'
import { Committer, describeError, type CommitOptions, type CommitOutcome, type CommitRequest, type PutRequest } from './commit.js'
import { readinessChecks, report, type DiskThresholds, type HealthReport } from './health.js'
import { Reader, type ArtifactSelector, type CommitPage, type SessionArtifacts } from './reads.js'
import { recoverAtStartup, reconcileSession, type RecoveryParts } from './recovery.js'
import { ObserverSet } from './observers.js'
import { ServiceState } from './service-state.js'
import { isStorageFault } from './storage-errors.js'
import { verifyStorage, type VerifyParts, type VerifyReport } from './verify.js'

export interface LedgerStorage {
  log: CommitLog
  objects: ObjectFiles
  plain: PlainFiles
  probes: StorageProbes
}

export interface LedgerSettings {
  version: string
  maxArtifactBytes: number
  disk: DiskThresholds
}

/** A fault is retried by a probe write at most this often, so readiness polls stay cheap. */
const PROBE_INTERVAL_MS = 1000

export class Ledger {
  readonly state = new ServiceState()
  readonly reader: Reader
  private readonly observers = new ObserverSet()
  private readonly committer: Committer
  private lastProbeAt = 0

  constructor(
    private readonly storage: LedgerStorage,
    private readonly settings: LedgerSettings,
  ) {
    this.reader = new Reader(storage.log, storage.objects, this.observers)
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
    this.state.lastRecovery = await recoverAtStartup(this.recoveryParts)
    if (this.state.lastRecovery.abortedCommits > 0) this.observers.commitsAborted(this.state.lastRecovery.abortedCommits)
    this.state.phase = 'ready'
  }

  async commit(sessionId: string, request: CommitRequest, options: CommitOptions = {}): Promise<CommitOutcome> {
    return this.afterWrite(await this.committer.commit(sessionId, request, options))
  }

  async put(sessionId: string, request: PutRequest): Promise<CommitOutcome> {
    return this.afterWrite(await this.committer.put(sessionId, request))
  }

  private afterWrite(outcome: CommitOutcome): CommitOutcome {
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

  listCommits(filter: Omit<CommitFilter, 'afterSeq'> & { cursor?: string }): CommitPage {
    return this.reader.listCommits(filter)
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

  async verify(sessionId?: string, repair = true): Promise<VerifyReport> {
    if (sessionId !== undefined) {
      assertSessionId(sessionId)
      if (!this.storage.log.sessionExists(sessionId)) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
    }
    return verifyStorage(this.verifyParts, { repair, ...(sessionId === undefined ? {} : { sessionId }) })
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
    await this.committer.drain()
    this.storage.log.close()
  }
}
