// The ledger: the one object routes talk to. It wires commits, sessions, reads, recovery, verify,
// health, the event tail and the background work (background-work.ts), and reports every error of that work.
import { v7 as uuidv7 } from 'uuid'
import { SessionNotFound } from '../domain/errors.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions, ExpectChange, SessionRecord } from '../domain/model.js'
import { assertSessionId } from '../domain/names.js'
import type { BackgroundPath, CommitFilter, EndedAttempt, GcRecord, LedgerObserver, LedgerPorts, ScrubRecord } from '../domain/ports.js'
import { BackgroundErrors } from './background-errors.js'
import { Committer, type CommitOptions, type CommitOutcome, type CommitRequest, type PutRequest } from './commit.js'
import { Faults } from './faults.js'
import { EventTail } from './event-tail.js'
import { readinessChecks, report, type HealthReport } from './health.js'
import { OwedFailures } from './owed-failures.js'
import { Reader, type ArtifactSelector, type CommitPage, type SessionArtifacts } from './reads.js'
import { recoverAtStartup } from './recovery.js'
import { HistoryPruner } from './history.js'
import { Removals } from './removals.js'
import { ObserverSet } from './observers.js'
import { ServiceState } from './service-state.js'
import { BackgroundWork } from './background-work.js'
import { assertCallerSessionId, assertNotDeleted, Sessions, type SessionChanges, type SessionPage } from './sessions.js'
import { statusReport, type CanarySummary, type StatusReport } from './status.js'
import { CANARY_SESSION_ID, type SessionState, type WriterError } from '../domain/session.js'
import { verifyStorage, type VerifyParts, type VerifyReport } from './verify.js'
import { DEFAULT_PLAIN_VIEW_FLUSH_MS, type LedgerSettings } from './settings.js'
import { PlainViewFlusher } from './plain-view-flush.js'

export type { LedgerSettings } from './settings.js'

const DEFAULT_DEADLINE_SECONDS = 24 * 60 * 60

export class Ledger {
  readonly state = new ServiceState()
  /** The tail of the log for GET /v1/events. */
  readonly events: EventTail
  private readonly reader: Reader
  private readonly observers = new ObserverSet()
  private readonly committer: Committer
  private readonly sessions: Sessions
  private readonly work: BackgroundWork
  private readonly background: BackgroundErrors
  private readonly owed: OwedFailures
  private readonly faults: Faults
  private readonly removals: Removals
  private readonly historyPruner: HistoryPruner
  private readonly flusher: PlainViewFlusher
  private readonly plainViewFlushMs: number

  constructor(
    private readonly storage: LedgerPorts,
    private readonly settings: LedgerSettings,
  ) {
    this.background = new BackgroundErrors(settings.logger, this.observers)
    this.events = new EventTail(storage.log, { maxSubscribers: settings.maxEventSubscribers ?? 64, pollMs: settings.eventPollMs ?? 1000 })
    this.observers.add(this.events.observer())
    this.faults = new Faults({ storage, state: this.state, observer: this.observers, background: this.background, owed: () => this.owed })
    this.owed = new OwedFailures(storage.log, storage.failureJournal, (error) => this.reportBackground('record-failure', error))
    this.historyPruner = new HistoryPruner(storage.log, settings.historyRetentionSeconds ?? 0)
    this.reader = new Reader(storage.log, storage.bookkeeping, storage.objects, this.observers, this.historyPruner)
    this.sessions = new Sessions(storage.log, storage.sessions, this.observers, settings.sessionDeadlineSeconds ?? DEFAULT_DEADLINE_SECONDS)
    this.plainViewFlushMs = settings.plainViewFlushMs ?? DEFAULT_PLAIN_VIEW_FLUSH_MS
    this.flusher = new PlainViewFlusher(storage, {
      onError: (error) => this.reportBackground('plain-view-flush', error),
      onSuccess: () => this.background.succeeded('plain-view-flush'),
    })
    this.committer = new Committer({
      log: storage.log,
      objects: storage.objects,
      view: storage.view,
      coordination: storage.coordination,
      state: this.state,
      maxArtifactBytes: settings.maxArtifactBytes,
      batchPlainFlush: this.plainViewFlushMs > 0,
      reconcileSession: (sessionId) => this.faults.reconcileDirty(sessionId),
      noteFault: (error) => this.noteFault(error),
      reportBackground: (path, error) => this.reportBackground(path, error),
      assertWritable: async (sessionId) => {
        assertNotDeleted(await storage.sessions.session(sessionId))
      },
      oweFailure: (failure) => this.owed.owe(failure),
      newSessionDeadline: (sessionId) => this.sessions.defaultDeadline(sessionId),
      observer: this.observers,
      ...(settings.idempotencyWaitMs === undefined ? {} : { idempotencyWaitMs: settings.idempotencyWaitMs }),
    })
    this.removals = new Removals({
      storage,
      state: this.state,
      retentionDefaults: settings.retention ?? {},
      expiryBatchSize: settings.expiryBatchSize ?? 1000,
      history: this.historyPruner,
      report: (path, error) => this.reportBackground(path, error),
      succeeded: (path) => this.background.succeeded(path),
    })
    this.work = new BackgroundWork({
      storage, state: this.state, settings, committer: this.committer, removals: this.removals, sessions: this.sessions,
      background: this.background, verifyParts: () => this.verifyParts, report: (path, error) => this.reportBackground(path, error),
      commitsAborted: (count) => this.observers.commitsAborted(count),
    })
  }

  addObserver(observer: LedgerObserver): void {
    this.observers.add(observer)
  }

  /**
   * Crash recovery; the service answers 503 not_ready until it has finished. Failures a previous
   * process still owed the log are recorded first, so their commits end `failed` with their reason
   * rather than `aborted`; deadlines that passed while the service was down are acted on before ready.
   */
  async recover(): Promise<void> {
    this.state.phase = 'recovering'
    await this.owed.replayJournal()
    const { report, failures, recheckedPlainFiles } = await recoverAtStartup(this.storage)
    this.state.lastRecovery = report
    this.state.recheckedPlainFiles = recheckedPlainFiles
    for (const { sessionId, error } of failures) {
      // The session stays dirty (its next commit reconciles it first) and readiness fails meanwhile.
      this.state.dirtySessions.add(sessionId)
      this.reportBackground('recovery', error)
    }
    if (this.state.lastRecovery.abortedCommits > 0) this.observers.commitsAborted(this.state.lastRecovery.abortedCommits)
    await this.sessions.closeDue()
    this.state.phase = 'ready'
    this.work.start()
    // Also when each plain file is flushed before its 2xx (0): the batches then only move the checkpoint.
    this.flusher.start(this.plainViewFlushMs > 0 ? this.plainViewFlushMs : DEFAULT_PLAIN_VIEW_FLUSH_MS)
  }

  /** Flushes the plain files shown so far and records the checkpoint now; a failure is reported and thrown. */
  flushPlainView(): Promise<void> {
    return this.flusher.flush()
  }

  /** Expires every version retention says must go, now, batch by batch; returns how many. Errors are reported and thrown. */
  runExpiry(): Promise<number> {
    return this.waking(this.removals.runExpiry())
  }

  /** Prunes the history retention allows to go, now, until a pass reaches the horizon; returns how many entries went. */
  pruneHistory(): Promise<number> {
    return this.waking(this.historyPruner.pruneAll())
  }

  /** DELETE …/artifacts/{name} (admin): one `delete` entry, by the token's name or `anonymous`. */
  deleteArtifact(sessionId: string, name: string, by: string): Promise<CommitRecord> {
    return this.waking(this.removals.deleteArtifact(sessionId, name, by))
  }

  /** DELETE /v1/sessions/{sid} (admin): the session stays, `deleted`, with one `delete` entry. */
  deleteSession(sessionId: string, by: string): Promise<CommitRecord> {
    return this.waking(this.removals.deleteSession(sessionId, by))
  }

  /** Closes sessions whose deadline has passed, before a read of session state (see BackgroundWork.closeDue). */
  private closeDueSessions(path: BackgroundPath): Promise<void> {
    return this.work.closeDue(path)
  }

  runCanary(): Promise<CanarySummary> {
    return this.work.runCanary()
  }

  runScrub(): Promise<ScrubRecord> {
    return this.work.runScrub()
  }

  /** Garbage collection now (POST /v1/gc): joins a run in flight; a failure is reported and thrown. */
  runGc(): Promise<GcRecord> {
    return this.work.runGc()
  }

  async commit(sessionId: string, request: CommitRequest, options: CommitOptions = {}): Promise<CommitOutcome> {
    assertCallerSessionId(sessionId)
    return this.write(() => this.committer.commit(sessionId, request, options))
  }

  async put(sessionId: string, request: PutRequest): Promise<CommitOutcome> {
    assertCallerSessionId(sessionId)
    return this.write(() => this.committer.put(sessionId, request))
  }

  async putSession(sessionId: string, changes: SessionChanges, options: { ifMatch?: string[] } = {}): Promise<{ session: SessionRecord; created: boolean }> {
    await this.closeDueSessions('reads')
    return this.waking(this.sessions.put(sessionId, changes, options))
  }

  async changeExpected(sessionId: string, change: Partial<ExpectChange>): Promise<SessionRecord> {
    await this.closeDueSessions('reads')
    return this.waking(this.sessions.changeExpected(sessionId, change))
  }

  async getSession(sessionId: string): Promise<SessionRecord> {
    await this.closeDueSessions('reads')
    return this.sessions.get(sessionId)
  }

  /** The writer closes its session; with `error`, it reports that it failed and the session closes `failed`. */
  async completeSession(sessionId: string, error?: WriterError): Promise<SessionRecord> {
    await this.closeDueSessions('reads')
    return this.sessions.close(sessionId, error)
  }

  async listSessions(filter: { state?: SessionState; cursor?: string; limit: number }): Promise<SessionPage> {
    await this.closeDueSessions('reads')
    return this.sessions.list(filter)
  }

  async status(): Promise<StatusReport> {
    await this.closeDueSessions('reads')
    return statusReport({
      storage: this.storage,
      version: this.settings.version,
      state: this.state,
      scrubRunning: this.work.isScrubRunning,
      gcRunning: this.work.isGcRunning,
      historyRetentionSeconds: this.settings.historyRetentionSeconds ?? 0,
      owedFailures: this.owed.count,
      backgroundErrors: this.background.list(),
      reportDiskError: (error) => this.reportBackground('reads', error),
    })
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
    // A write went through: the log takes what it was owed now. The fault itself stands until a probe
    // write (a verified file and a durable log row) passes: this commit may have written no file.
    if (!outcome.replayed && this.state.dirtySessions.size === 0) await this.faults.settleOwed(false)
    return outcome
  }

  /**
   * Records a commit attempt that ended before it began writing: refused (bad field, bad name, too
   * large…) as `failed`, or cut off by its client (stalled, gone) as `aborted`. When the log cannot take
   * the row now it is owed, so the id returned is the entry's even then.
   */
  async recordEnded(sessionId: string, error: CommitError): Promise<string> {
    const id = uuidv7()
    const state = error.code === 'client_timeout' || error.code === 'client_disconnected' ? 'aborted' : 'failed'
    const attempt: EndedAttempt = { id, sessionId, state, error, artifacts: [], newSessionDeadline: this.sessions.defaultDeadline(sessionId) }
    try {
      await this.storage.log.recordEnded(attempt)
    } catch (logError) {
      this.reportBackground('record-failure', logError)
      await this.owed.owe({ kind: 'ended', attempt })
    }
    this.observers.commitFinished(state, { durationSeconds: 0, bytes: 0, code: error.code })
    return id
  }

  listArtifacts(sessionId: string, atSeq?: number): Promise<SessionArtifacts> {
    return this.reader.listArtifacts(sessionId, atSeq)
  }

  resolveArtifact(sessionId: string, name: string, selector?: ArtifactSelector): Promise<ArtifactVersion> {
    return this.reader.resolveArtifact(sessionId, name, selector)
  }

  history(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    return this.reader.history(sessionId, name)
  }

  /** Refuses an object already known to be corrupt or missing, before any header says it is there. */
  assertServable(version: ArtifactVersion): Promise<void> {
    return this.reader.assertNotKnownBad(version.sha256)
  }

  /** A small artifact's bytes, hashed before they are handed out. */
  readArtifact(version: ArtifactVersion): Promise<Buffer> {
    return this.reader.readWhole(version)
  }

  /** A large artifact as a stream whose last chunk waits for the digest check. */
  streamArtifact(version: ArtifactVersion): Promise<NodeJS.ReadableStream> {
    return this.reader.streamVerified(version)
  }

  streamArtifactRange(version: ArtifactVersion, range: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    return this.reader.streamRange(version, range)
  }

  getCommit(id: string): Promise<CommitWithTransitions> {
    return this.reader.commit(id)
  }

  listCommits(filter: Omit<CommitFilter, 'afterSeq'> & { cursor?: string; sinceSeq?: number }): Promise<CommitPage> {
    // The canary's commits are the service's own; they show only when asked for by session.
    return this.reader.listCommits({ ...filter, excludeSessionId: CANARY_SESSION_ID })
  }

  private get verifyParts(): VerifyParts {
    return { ...this.storage, observer: this.observers }
  }

  async verify(options: { sessionId?: string | undefined; repair?: boolean; repairObjects?: boolean } = {}): Promise<VerifyReport> {
    const { sessionId, repair = true, repairObjects = false } = options
    if (sessionId !== undefined) {
      assertSessionId(sessionId)
      if (!(await this.storage.log.sessionExists(sessionId))) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
    }
    return verifyStorage(this.verifyParts, { repair, repairObjects, ...(sessionId === undefined ? {} : { sessionId }) })
  }

  liveness(): HealthReport {
    return report(this.settings.version, {
      process: { status: 'pass', observedValue: Math.round(process.uptime()), observedUnit: 's', time: new Date().toISOString() },
    })
  }

  async readiness(): Promise<HealthReport> {
    const checks = await readinessChecks(
      { state: this.state, owedFailures: () => this.owed.count, owedPlainFiles: () => this.flusher.owedRewrites, backgroundErrors: () => this.background.list() },
      this.storage.probes, this.settings.disk, () => this.faults.tryRecover(),
    )
    return report(this.settings.version, checks)
  }

  /** Entries this write appended (expect, delete, expire) go to the event streams now, not at their next poll. */
  private async waking<T>(write: Promise<T>): Promise<T> {
    try {
      return await write
    } finally {
      this.events.wake()
    }
  }

  private noteFault(error: unknown): void {
    this.faults.note(error)
  }

  private reportBackground(path: BackgroundPath, error: unknown): void {
    this.faults.report(path, error)
  }

  /** Stops taking commits, lets the ones in flight finish, then closes the log. */
  async close(): Promise<void> {
    this.state.phase = 'stopping'
    this.events.close()
    await this.work.stop()
    await this.committer.drain()
    // The last batch: a clean stop leaves a checkpoint at the end of the log, so the next start checks nothing.
    await this.flusher.stop()
    await this.storage.log.close()
  }
}
