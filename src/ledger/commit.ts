// The commit use case: validate, stage bytes, log pending, write verified files, then log committed.
import { v7 as uuidv7 } from 'uuid'
import { canonicalJson, prepareContent, type ArtifactInput } from '../domain/content.js'
import {
  ClientDisconnected, DigestMismatch, markRecorded, DuplicateArtifactName, LedgerError, NameConflict,
  NotReady, PayloadTooLarge, PreconditionFailed, ShuttingDown, StorageFault,
} from '../domain/errors.js'
import { headEtag, type CommitRecord } from '../domain/model.js'
import { assertArtifactName, assertSessionId, conflictingName } from '../domain/names.js'
import type { ObserverSet } from './observers.js'
import type { StagedContent } from '../domain/ports.js'
import { describeError } from './describe-error.js'
import { fingerprint, IdempotencyGate } from './idempotency.js'
import { recordFailure, undoFailedCommit, type FailedCommitParts } from './failed-commits.js'
import { artifactFromBytes, discardStaged, discardUnused, stagedArtifact, type ArtifactWriters, type PreparedArtifact } from './prepared-artifacts.js'
import { removeIfUnneeded } from './recovery.js'
import { settleAll } from '../domain/settle-all.js'

export interface CommitRequest {
  artifacts: ArtifactInput[]
  message?: string
  metadata?: Record<string, unknown>
  /** Names added to the session's expected artifacts in the commit's own transaction. */
  expect?: string[]
}

export interface CommitOptions {
  idempotencyKey?: string
  /** Entity tags from If-Match: the commit applies only if the session head is one of them. */
  ifMatch?: string[]
}

export interface PutRequest {
  name: string
  body: AsyncIterable<Uint8Array>
  mediaType: string
  /** SHA-256 hex from Content-Digest, checked against the streamed bytes. */
  expectedSha256?: string
  /** If-None-Match: * — create only. */
  createOnly?: boolean
  /** If-Match: the artifact's current sha256 must be one of these. */
  ifMatchSha256?: string[]
  idempotencyKey?: string
}

export interface CommitOutcome {
  record: CommitRecord
  /** True when an Idempotency-Key replay returned an earlier result. */
  replayed: boolean
}

/** What a commit needs; the failure path's parts (log, stores, state, background and owed failures) among them. */
export interface CommitterParts extends FailedCommitParts {
  maxArtifactBytes: number
  /** Reconciles a session whose plain files may be stale; runs under the session's lock. */
  reconcileSession: (sessionId: string) => Promise<void>
  /** Remembers a storage fault that the caller is told about (readiness fails until a probe write passes). */
  noteFault: (error: unknown) => void
  /** The deadline a session created by this commit gets. */
  newSessionDeadline: (sessionId: string) => string | null
  /** Refuses a session that takes no more changes (a deleted one); runs under the session's lock. */
  assertWritable: (sessionId: string) => Promise<void>
  observer: ObserverSet
  /** How long a duplicate Idempotency-Key waits for another replica's attempt holding it (IdempotencyGate). */
  idempotencyWaitMs?: number
}

export class Committer {
  private readonly idempotency: IdempotencyGate
  private inFlight = 0
  private drained: (() => void) | undefined

  private readonly writers: ArtifactWriters
  private readonly reportCleanup: (error: unknown) => void

  constructor(private readonly parts: CommitterParts) {
    this.idempotency = new IdempotencyGate(parts.log, parts.coordination.idempotency, parts.idempotencyWaitMs)
    this.reportCleanup = (error) => parts.reportBackground('cleanup', error)
    this.writers = {
      objects: parts.objects, view: parts.view, batchPlainFlush: parts.batchPlainFlush, reportCleanup: this.reportCleanup,
      stageLimit: {
        bytes: parts.maxArtifactBytes,
        error: () => new PayloadTooLarge(`the artifact is larger than the ${parts.maxArtifactBytes}-byte limit`, { limit: parts.maxArtifactBytes }),
      },
    }
  }

  private assertAcceptingWrites(): void {
    const { phase } = this.parts.state
    if (phase === 'stopping') throw new ShuttingDown('the service is shutting down; retry against the next instance')
    if (phase !== 'ready') throw new NotReady(`the service is ${phase}; commits are accepted once recovery has finished`)
  }

  /** Runs the locked part of a commit under the session's lock, counted so shutdown can wait for it. */
  private async tracked<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    this.inFlight++
    try {
      return await this.parts.coordination.sessions.withLock(sessionId, async () => {
        if (this.parts.state.dirtySessions.has(sessionId)) await this.parts.reconcileSession(sessionId)
        return work()
      })
    } finally {
      this.inFlight--
      if (this.inFlight === 0) this.drained?.()
    }
  }

  /** Resolves once no commit is between its pending and final rows. */
  async drain(): Promise<void> {
    if (this.inFlight === 0) return
    await new Promise<void>((resolve) => {
      this.drained = resolve
    })
  }

  /** POST /v1/sessions/{sid}/commits: several artifacts, all or nothing. */
  async commit(sessionId: string, request: CommitRequest, options: CommitOptions = {}): Promise<CommitOutcome> {
    this.assertAcceptingWrites()
    assertSessionId(sessionId)
    if (request.metadata !== undefined) canonicalJson(request.metadata, 'metadata')
    request.expect?.forEach((name, index) => assertArtifactName(name, `expect[${index}]`))
    const prepared = this.prepareArtifacts(request.artifacts)
    const key = options.idempotencyKey
    const print = key === undefined ? '' : fingerprint({ kind: 'commit', request })
    return this.idempotency.run(sessionId, key, print, () =>
      this.tracked(sessionId, async () => {
        const sessionHead = await this.checkSessionHead(sessionId, options.ifMatch)
        return this.apply(sessionId, prepared, {
          message: request.message ?? null,
          metadata: request.metadata ?? null,
          ...(request.expect === undefined ? {} : { expect: request.expect }),
          ...(sessionHead === undefined ? {} : { sessionHead }),
          ...(key === undefined ? {} : { idempotency: { key, fingerprint: print } }),
        })
      }),
    )
  }

  /** PUT /v1/sessions/{sid}/artifacts/{name}: one artifact, streamed to disk while hashed. */
  async put(sessionId: string, request: PutRequest): Promise<CommitOutcome> {
    this.assertAcceptingWrites()
    assertSessionId(sessionId)
    assertArtifactName(request.name)
    const staged = await this.stage(request)
    try {
      const key = request.idempotencyKey
      const print = key === undefined ? '' : fingerprint({
        kind: 'put', name: request.name, sha256: staged.sha256, mediaType: request.mediaType,
        createOnly: request.createOnly ?? false, ifMatch: request.ifMatchSha256 ?? null,
      })
      return await this.idempotency.run(sessionId, key, print, () =>
        this.tracked(sessionId, async () => {
          await this.checkArtifactPreconditions(sessionId, request)
          const artifact = stagedArtifact(request.name, request.mediaType, staged, this.writers)
          return this.apply(sessionId, [artifact], {
            message: null,
            metadata: null,
            ...(key === undefined ? {} : { idempotency: { key, fingerprint: print } }),
          })
        }),
      )
    } finally {
      // Whatever was not published (a replay, a failed precondition, a fault) goes now.
      await discardStaged(this.writers, staged)
    }
  }

  /** Streams the body into the object store's staging while hashing it. A fault here is a fault like any other write's. */
  private async stage(request: PutRequest): Promise<StagedContent> {
    try {
      return await this.parts.objects.stage(request.body, {
        limit: this.writers.stageLimit,
        ...(request.expectedSha256 === undefined ? {} : {
          expectedSha256: request.expectedSha256,
          expectedMismatch: (actual: string) => new DigestMismatch(
            `Content-Digest says sha-256 ${request.expectedSha256}, the received bytes hash to ${actual}`,
            { field: 'Content-Digest', expected: request.expectedSha256, actual },
          ),
        }),
        // A stalled body is cut off with its own error (client_timeout); anything else ending it early is the client leaving.
        sourceFailure: (error) => (error instanceof LedgerError ? error : new ClientDisconnected(
          `the client went away before the request body was complete: ${error instanceof Error ? error.message : 'stream error'}`,
        )),
      })
    } catch (error) {
      this.parts.noteFault(error)
      throw error
    }
  }

  private prepareArtifacts(inputs: ArtifactInput[]): PreparedArtifact[] {
    const seen = new Set<string>()
    return inputs.map((input, index) => {
      assertArtifactName(input.name, `artifacts[${index}].name`)
      if (seen.has(input.name)) {
        throw new DuplicateArtifactName(`artifact ${JSON.stringify(input.name)} appears more than once in one commit`, { field: `artifacts[${index}].name`, name: input.name })
      }
      const clash = conflictingName(input.name, seen)
      if (clash !== undefined) {
        throw new NameConflict(`artifacts ${JSON.stringify(clash)} and ${JSON.stringify(input.name)} cannot coexist: one would be a folder of the other`, { field: `artifacts[${index}].name`, name: input.name, existing: clash })
      }
      seen.add(input.name)
      return artifactFromBytes(input.name, prepareContent(input, index), this.writers)
    })
  }

  /**
   * Checks a session If-Match; returns the head it held against, which the log checks again as it commits
   * (another replica may commit to the session meanwhile), unless `*` held (a head never goes back to none).
   */
  private async checkSessionHead(sessionId: string, ifMatch: string[] | undefined): Promise<number | undefined> {
    if (ifMatch === undefined) return undefined
    const head = await this.parts.log.headSeq(sessionId)
    const current = headEtag(head)
    if (ifMatch.includes('*') && head > 0) return undefined
    if (!ifMatch.includes(current)) {
      throw new PreconditionFailed(`If-Match ${ifMatch.join(', ')} does not match the session head ${current}`, { currentEtag: current })
    }
    return head
  }

  private async checkArtifactPreconditions(sessionId: string, request: PutRequest): Promise<void> {
    const latest = await this.parts.log.latestVersion(sessionId, request.name)
    if (request.createOnly === true && latest !== undefined) {
      throw new PreconditionFailed(`If-None-Match: * but ${JSON.stringify(request.name)} already exists (version ${latest.version})`, { currentEtag: `"${latest.sha256}"` })
    }
    if (request.ifMatchSha256 !== undefined) {
      const current = latest?.sha256
      const matches = current !== undefined && request.ifMatchSha256.some((tag) => tag === '*' || tag === current)
      if (!matches) {
        throw new PreconditionFailed(`If-Match does not hold: ${JSON.stringify(request.name)} is ${current === undefined ? 'absent' : `at "${current}"`}`, current === undefined ? {} : { currentEtag: `"${current}"` })
      }
    }
  }

  /** Under the session lock: log pending, make every file durable and verified, log committed. */
  private async apply(
    sessionId: string,
    artifacts: PreparedArtifact[],
    details: { message: string | null; metadata: Record<string, unknown> | null; expect?: string[]; idempotency?: { key: string; fingerprint: string }; sessionHead?: number },
  ): Promise<CommitRecord> {
    const { log } = this.parts
    await this.parts.assertWritable(sessionId)
    const conflict = await log.findNameConflict(sessionId, artifacts.map((a) => a.name))
    if (conflict !== undefined) {
      throw new NameConflict(
        `artifact ${JSON.stringify(conflict.name)} cannot coexist with ${JSON.stringify(conflict.existing)} in session ${sessionId}: one would be a folder of the other`,
        { name: conflict.name, existing: conflict.existing },
      )
    }
    const id = uuidv7()
    const insertPending = (): Promise<number> => log.insertPending({
      id, sessionId, message: details.message, metadata: details.metadata,
      artifacts: artifacts.map(({ name, sha256, size, mediaType }) => ({ name, sha256, size, mediaType })),
      newSessionDeadline: this.parts.newSessionDeadline(sessionId),
      // Taken with the pending entry, so a duplicate on another replica meets it before writing anything.
      ...(details.idempotency === undefined ? {} : { idempotency: details.idempotency }),
    })
    const started = performance.now()
    const bytes = artifacts.reduce((sum, a) => sum + a.size, 0)
    const elapsed = (): number => (performance.now() - started) / 1000
    const { seq, releaseObjects } = await this.logPendingAndClaim(sessionId, artifacts, insertPending)
    const touched = artifacts.map((a) => a.name)
    try {
      // Every artifact at once; nothing is committed until all of them are durable and read back,
      // and a failure undoes them.
      await settleAll(artifacts.map((a) => a.write(sessionId)))
      await log.markCommitted(seq, {
        ...(details.expect === undefined ? {} : { expect: details.expect }),
        ...(details.sessionHead === undefined ? {} : { sessionHead: details.sessionHead }),
      })
      await releaseObjects()
      this.parts.observer.forSession(sessionId).commitFinished('committed', { durationSeconds: elapsed(), bytes })
    } catch (error) {
      await discardUnused(artifacts, this.reportCleanup)
      await releaseObjects()
      this.parts.noteFault(error)
      const settled = await undoFailedCommit(this.parts, sessionId, touched, artifacts.map((a) => a.sha256))
      await recordFailure(this.parts, { seq, id, sessionId }, error, settled)
      this.parts.observer.forSession(sessionId).commitFinished('failed', { durationSeconds: elapsed(), bytes: 0, code: describeError(error).code })
      markRecorded(error, id)
      throw error
    }
    // Read outside the undo path: once the log says committed, nothing may roll the files back.
    const record = await log.commitBySeq(seq)
    if (record === undefined) throw new StorageFault(`commit ${id} is committed but could not be read back from the log`)
    return record
  }

  /**
   * Logs the pending entry and claims the commit's objects (a failing neighbour's undo must not delete
   * them). An object whose write joins the log's transaction (a small one kept inline) is written beside
   * the pending entry, in the same group commit: one WAL fsync for both instead of one each. That needs
   * the claim to keep every remover off the object before the entry exists (one process), so the
   * objects are claimed first there. What names nothing (a plain file's temp, a staging) also starts
   * here (beforePending); every name, an object's or a plain file's, waits for the entry.
   */
  private async logPendingAndClaim(
    sessionId: string,
    artifacts: PreparedArtifact[],
    insertPending: () => Promise<number>,
  ): Promise<{ seq: number; releaseObjects: () => Promise<void> }> {
    const { coordination, objects } = this.parts
    const digests = artifacts.map((a) => a.sha256)
    const alongside = coordination.objects.coversEveryRemover
      ? artifacts.filter((a) => a.storeObject !== undefined && objects.joinsLogTransaction?.(a.sha256, a.size) === true)
      : []
    const releaseEarly = alongside.length === 0 ? undefined : await coordination.objects.claim(digests)
    // Queued in this same turn as the pending entry, so the group commit puts both in one transaction.
    const storing = alongside.flatMap((a) => (a.storeObject === undefined ? [] : [a.storeObject()]))
    // A new file is the costliest step of a small commit: its temp is written while the entry is.
    for (const artifact of artifacts) artifact.beforePending?.(sessionId)
    try {
      const seq = await insertPending()
      return { seq, releaseObjects: releaseEarly ?? await coordination.objects.claim(digests) }
    } catch (error) {
      // No entry, so nothing to record; what was written for it goes unless something else needs it.
      await Promise.allSettled(storing)
      await discardUnused(artifacts, this.reportCleanup)
      await releaseEarly?.()
      for (const { sha256 } of alongside) await removeIfUnneeded(this.parts, sha256).catch(this.reportCleanup)
      throw error
    }
  }
}
