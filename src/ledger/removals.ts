// Deletion and expiry: one log entry per removal, made with the version marks in one unit of work under
// the session's lock; then the plain files of names left without a live version go. Nothing here deletes
// an object: the garbage collector reclaims what removals released, after its grace period.
import { ArtifactDeleted, ArtifactNotFound, Held, NotReady, SessionNotFound, StorageFault, VersionExpired } from '../domain/errors.js'
import type { ArtifactVersion, CommitRecord, VersionRef } from '../domain/model.js'
import { assertArtifactName } from '../domain/names.js'
import type { BackgroundPath, ExpiryCandidate, LedgerPorts, SessionTransaction } from '../domain/ports.js'
import { CANARY_SESSION_ID, type Retention, type SessionRow } from '../domain/session.js'
import { BackgroundRun } from './background-run.js'
import type { HistoryPruner } from './history.js'
import type { ServiceState } from './service-state.js'
import { assertCallerSessionId, assertNotDeleted } from './sessions.js'

export interface RemovalParts {
  storage: Pick<LedgerPorts, 'log' | 'sessions' | 'view' | 'coordination'>
  state: ServiceState
  /** The server's retention, for what a session does not set (RETENTION_*; empty keeps everything). */
  retentionDefaults: Retention
  /** Versions expired per batch: one batch per tick of the background sweep. */
  expiryBatchSize: number
  /** The sweep prunes a batch of old history after each batch of expiry. */
  history: HistoryPruner
  report: (path: BackgroundPath, error: unknown) => void
  /** The path ran cleanly: what failed there before no longer stands. */
  succeeded: (path: BackgroundPath) => void
}

/** The canary keeps its newest few versions, by retention like any session. */
const CANARY_RETENTION: Retention = { keepVersions: 5 }

/** The 410 a removed version answers: deleted, or expired by retention. */
export function removedError(version: ArtifactVersion): ArtifactDeleted | VersionExpired | undefined {
  const { removed } = version
  if (removed === undefined) return undefined
  const facts = { name: version.name, version: version.version, removedSeq: removed.seq, removedAt: removed.at }
  return removed.kind === 'delete'
    ? new ArtifactDeleted(`artifact ${JSON.stringify(version.name)} was deleted (log entry seq ${removed.seq}): its versions are gone`, facts)
    : new VersionExpired(`version ${version.version} of ${JSON.stringify(version.name)} expired by retention (log entry seq ${removed.seq})`, facts)
}

function assertRemovable(sessionId: string, session: SessionRow | undefined): SessionRow {
  if (session === undefined) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
  assertNotDeleted(session)
  if (session.hold) throw new Held(`session ${sessionId} is under a hold: nothing of it is deleted until the hold is lifted (PUT hold: false)`, { sessionId })
  return session
}

/** The background sweep: one batch per tick, never two at once (a tick during a batch joins it). */
class ExpirySweep extends BackgroundRun<number> {
  constructor(private readonly batch: () => Promise<number>, private readonly succeeded: () => void, onError: (error: unknown) => void) {
    super(onError)
  }

  protected async run(): Promise<number> {
    const removed = await this.batch()
    this.succeeded()
    return removed
  }
}

export class Removals {
  private readonly sweep: ExpirySweep
  private canaryRetentionSet = false

  constructor(private readonly parts: RemovalParts) {
    this.sweep = new ExpirySweep(async () => {
      const removed = await this.expireBatch()
      if (parts.state.phase === 'ready') await parts.history.pruneBatch()
      return removed
    }, () => parts.succeeded('expiry'), (error) => parts.report('expiry', error))
  }

  /** Expiry is bounded in rate (a batch per tick) and never holds up commits for long. */
  start(intervalMs: number): void {
    this.sweep.start(intervalMs)
  }

  stop(): Promise<void> {
    return this.sweep.stop()
  }

  /** Expires until nothing is due, now (tests, an operator); errors are reported like the sweep's, and thrown. */
  async runExpiry(): Promise<number> {
    try {
      const removed = await this.expireAll()
      this.parts.succeeded('expiry')
      return removed
    } catch (error) {
      this.parts.report('expiry', error)
      throw error
    }
  }

  /** The canary's history is bounded by retention, as any session's can be; set once its session exists (no entry when already set). */
  async boundCanaryHistory(): Promise<void> {
    if (this.canaryRetentionSet) return
    await this.parts.storage.sessions.withTransaction((tx) =>
      tx.updateSession(CANARY_SESSION_ID, { retention: CANARY_RETENTION }, { newSessionDeadline: null }))
    this.canaryRetentionSet = true
  }

  private assertReady(): void {
    if (this.parts.state.phase !== 'ready') throw new NotReady(`the service is ${this.parts.state.phase}; deletions are taken once recovery has finished`)
  }

  /** DELETE …/artifacts/{name}: every version of the name becomes unreadable. A name already deleted answers 410. */
  async deleteArtifact(sessionId: string, name: string, by: string): Promise<CommitRecord> {
    assertCallerSessionId(sessionId)
    assertArtifactName(name)
    this.assertReady()
    return this.removeUnderLock(sessionId, [name], async (tx) => {
      assertRemovable(sessionId, await tx.session(sessionId))
      const history = await tx.versionHistory(sessionId, name)
      const last = history.at(-1)
      if (last === undefined) throw new ArtifactNotFound(`session ${sessionId} has no artifact ${JSON.stringify(name)}`, { name })
      if (!history.some((v) => v.removed === undefined)) throw removedError(last) ?? new StorageFault('a removed version has no removal')
      return tx.deleteArtifact(sessionId, name, { by, target: 'artifact', name })
    })
  }

  /** DELETE /v1/sessions/{sid}: the session stays, `deleted`; every version of every artifact becomes unreadable. */
  async deleteSession(sessionId: string, by: string): Promise<CommitRecord> {
    assertCallerSessionId(sessionId)
    this.assertReady()
    return this.removeUnderLock(sessionId, [], async (tx) => {
      assertRemovable(sessionId, await tx.session(sessionId))
      return tx.deleteSession(sessionId, { by, target: 'session', name: null })
    }, true)
  }

  /**
   * Under the session's lock: the unit of work (checks, entry, marks), then the plain files of `names`
   * that have no live version left. A plain file that cannot go leaves the session dirty and the entry
   * unsettled, for reconciliation and recovery: the deletion itself stands, and is answered.
   */
  private async removeUnderLock(
    sessionId: string, names: readonly string[], work: (tx: SessionTransaction) => Promise<number | undefined>, wholeSession = false,
  ): Promise<CommitRecord> {
    const { storage } = this.parts
    const seq = await storage.coordination.sessions.withLock(sessionId, async () => {
      // A whole session's names are read under the lock, where no commit can add one.
      const touched = wholeSession ? (await storage.log.latestVersions(sessionId)).map((v) => v.name) : names
      const removedBy = await storage.sessions.withTransaction(work)
      if (removedBy !== undefined) await this.settle(sessionId, removedBy, touched)
      return removedBy
    })
    const record = seq === undefined ? undefined : await storage.log.commitBySeq(seq)
    if (record === undefined) throw new StorageFault(`the removal of session ${sessionId} is logged but could not be read back`)
    return record
  }

  private async settle(sessionId: string, seq: number, names: Iterable<string>): Promise<void> {
    const { storage, state } = this.parts
    try {
      for (const name of new Set(names)) {
        if ((await storage.log.latestVersion(sessionId, name)) === undefined) await storage.view.remove(sessionId, name)
      }
      await storage.log.markSettled(seq)
    } catch (error) {
      state.dirtySessions.add(sessionId)
      this.parts.report('cleanup', error)
    }
  }

  /** One batch of expiry: up to expiryBatchSize versions, one `expire` entry per session. Returns how many went. */
  async expireBatch(): Promise<number> {
    if (this.parts.state.phase !== 'ready') return 0
    const { storage, expiryBatchSize } = this.parts
    const candidates = await storage.log.expirable({ defaults: this.parts.retentionDefaults, now: new Date().toISOString(), limit: expiryBatchSize })
    const bySession = new Map<string, ExpiryCandidate[]>()
    for (const c of candidates) bySession.set(c.sessionId, [...(bySession.get(c.sessionId) ?? []), c])
    let removed = 0
    for (const [sessionId, found] of bySession) {
      const versions: VersionRef[] = found.map(({ name, version }) => ({ name, version }))
      const retention = found[0]?.retention ?? {}
      await storage.coordination.sessions.withLock(sessionId, async () => {
        const seq = await storage.sessions.withTransaction(async (tx) => {
          // A hold or a deletion since the candidates were read wins: nothing of the session goes.
          const session = await tx.session(sessionId)
          if (session === undefined || session.hold || session.state === 'deleted') return undefined
          return tx.expireVersions(sessionId, { retention, versions })
        })
        if (seq === undefined) return
        removed += versions.length
        await this.settle(sessionId, seq, versions.map((v) => v.name))
      })
    }
    return removed
  }

  /** Expires until nothing is due; returns how many went. */
  private async expireAll(): Promise<number> {
    let total = 0
    for (;;) {
      const removed = await this.expireBatch()
      total += removed
      if (removed === 0) return total
    }
  }
}
