// Read use cases: artifacts as of now or as of a commit, their history, and the commit log.
import { createHash, webcrypto } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import {
  ArtifactNotFound, CommitNotFound, HistoryPruned, InvalidQuery, ObjectCorrupt, ObjectMissing, SessionNotFound, VersionNotFound,
} from '../domain/errors.js'
import { headEtag, type ArtifactVersion, type CommitRecord, type CommitWithTransitions } from '../domain/model.js'
import { assertArtifactName, assertSessionId } from '../domain/names.js'
import type { CommitFilter, CommitLog, LedgerObserver, ObjectStore, StorageBookkeeping } from '../domain/ports.js'
import type { HistoryPruner } from './history.js'
import { removedError } from './removals.js'

/** A range of an object up to this size is cut from the whole object, read and checked before the first byte is sent. */
export const VERIFY_BEFORE_SEND_BYTES = 8 * 1024 * 1024

/**
 * A whole object up to this size is read in one buffer and checked before the first byte is sent; a
 * larger one is hashed while it is sent, its last chunk held back until the digest is checked, so the
 * response is cut short (never complete) when it does not match. Measured: docs/performance.md.
 */
export const READ_WHOLE_BYTES = 1024 * 1024

/** Read-whole objects up to this size are hashed on the event loop; larger ones on the thread pool. */
const HASH_ON_LOOP_BYTES = 64 * 1024

export interface SessionArtifacts {
  sessionId: string
  headSeq: number
  etag: string
  atSeq: number | null
  artifacts: ArtifactVersion[]
}

export interface ArtifactSelector {
  version?: number
  atSeq?: number
}

export interface CommitPage {
  commits: CommitRecord[]
  nextCursor: string | null
}

export class Reader {
  constructor(
    private readonly log: CommitLog,
    private readonly bookkeeping: StorageBookkeeping,
    private readonly objects: ObjectStore,
    private readonly observer: LedgerObserver,
    private readonly snapshots: Pick<HistoryPruner, 'assertSnapshot'>,
  ) {}

  private async assertSession(sessionId: string): Promise<void> {
    assertSessionId(sessionId)
    if (!(await this.log.sessionExists(sessionId))) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
  }

  /** Versions are numbered without gaps: a missing one below the highest was removed, and its history pruned since. */
  private async assertNotPruned(sessionId: string, name: string, version: number): Promise<void> {
    const highest = (await this.log.versionHistory(sessionId, name)).at(-1)?.version ?? 0
    if (version < 1 || version >= highest) return
    throw new HistoryPruned(`version ${version} of ${JSON.stringify(name)} was removed, and its history since pruned`, { name, version })
  }

  async listArtifacts(sessionId: string, atSeq?: number): Promise<SessionArtifacts> {
    await this.assertSession(sessionId)
    await this.snapshots.assertSnapshot(atSeq)
    const headSeq = await this.log.headSeq(sessionId)
    return {
      sessionId,
      headSeq,
      etag: headEtag(headSeq),
      atSeq: atSeq ?? null,
      artifacts: await this.log.latestVersions(sessionId, atSeq),
    }
  }

  /**
   * The version a read names. A removed one answers 410 (artifact_deleted or version_expired), also when a
   * snapshot still lists it; a name whose every version is removed answers 410 too, and one never committed 404.
   */
  async resolveArtifact(sessionId: string, name: string, selector: ArtifactSelector = {}): Promise<ArtifactVersion> {
    assertSessionId(sessionId)
    assertArtifactName(name)
    await this.snapshots.assertSnapshot(selector.atSeq)
    // A version found proves its session exists: the session is looked up only to explain a miss (one query less per read).
    if (selector.version !== undefined) {
      const found = await this.log.version(sessionId, name, selector.version)
      if (found === undefined) await this.assertNotPruned(sessionId, name, selector.version)
      if (found === undefined || (selector.atSeq !== undefined && found.seq > selector.atSeq)) {
        await this.assertSession(sessionId)
        throw new VersionNotFound(`artifact ${JSON.stringify(name)} has no version ${selector.version}`, { name, version: selector.version })
      }
      return readable(found)
    }
    const found = await this.log.latestVersion(sessionId, name, selector.atSeq)
    if (found !== undefined) return readable(found)
    await this.assertSession(sessionId)
    const last = (await this.log.versionHistory(sessionId, name)).filter((v) => v.seq <= (selector.atSeq ?? Infinity)).at(-1)
    const gone = last === undefined ? undefined : removedError(last)
    if (gone !== undefined) throw gone
    const when = selector.atSeq === undefined ? '' : ` as of seq ${selector.atSeq}`
    throw new ArtifactNotFound(`session ${sessionId} has no artifact ${JSON.stringify(name)}${when}`, { name })
  }

  /** Every version of a name, removed ones included and marked (`removed`): the history stays. */
  async history(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    await this.assertSession(sessionId)
    assertArtifactName(name)
    const versions = await this.log.versionHistory(sessionId, name)
    if (versions.length === 0) throw new ArtifactNotFound(`session ${sessionId} has no artifact ${JSON.stringify(name)}`, { name })
    return versions
  }

  async commit(id: string): Promise<CommitWithTransitions> {
    const found = await this.log.commitById(id)
    if (found === undefined) throw new CommitNotFound(`no commit has id ${id}`, { id })
    return found
  }

  async listCommits(filter: Omit<CommitFilter, 'afterSeq'> & { cursor?: string; sinceSeq?: number }): Promise<CommitPage> {
    let afterSeq = filter.sinceSeq
    if (filter.cursor !== undefined) {
      if (!/^\d{1,15}$/.test(filter.cursor)) throw new InvalidQuery('cursor must be a value returned as nextCursor', { field: 'cursor' })
      afterSeq = Math.max(afterSeq ?? 0, Number(filter.cursor))
    }
    const { cursor, sinceSeq, ...rest } = filter
    // One extra row tells whether another page exists without a COUNT.
    const rows = await this.log.listCommits({ ...rest, ...(afterSeq === undefined ? {} : { afterSeq }), limit: filter.limit + 1 })
    const commits = rows.slice(0, filter.limit)
    const last = commits.at(-1)
    return { commits, nextCursor: rows.length > filter.limit && last !== undefined ? String(last.seq) : null }
  }

  /**
   * An object whole, in one buffer, hashed before it is handed out: corrupt bytes are never served as
   * good. Only its recorded size is read: a file that grew still serves the right bytes (scrub reports it).
   */
  async readWhole(version: ArtifactVersion): Promise<Buffer> {
    let bytes: Buffer
    try {
      bytes = await this.objects.readSmall(version.sha256, version.size)
    } catch (error) {
      throw await this.readFailure(version.sha256, error)
    }
    // Up to 64 KiB the hash takes microseconds; above, WebCrypto hashes on the thread pool, off the event loop.
    const digest = bytes.byteLength <= HASH_ON_LOOP_BYTES
      ? createHash('sha256').update(bytes).digest('hex')
      : Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex')
    if (digest !== version.sha256) throw await this.markCorrupt(version.sha256)
    return bytes
  }

  /**
   * A stream of the whole object that withholds its last chunk until the digest is checked: on a
   * mismatch the response is cut short, so a client never receives a complete body that is wrong.
   */
  async streamVerified(version: ArtifactVersion): Promise<NodeJS.ReadableStream> {
    await this.assertNotKnownBad(version.sha256)
    const verifier = new VerifyingStream(version.sha256, () => this.markCorrupt(version.sha256))
    const source = this.objects.read(version.sha256)
    source.on('error', (error) => {
      this.readFailure(version.sha256, error).then((failure) => verifier.destroy(failure), (failure: unknown) => verifier.destroy(asError(failure)))
    })
    return source.pipe(verifier)
  }

  /** Part of an object: it cannot be hashed, so only objects not already known to be bad are served. */
  async streamRange(version: ArtifactVersion, range: { start: number; end: number }): Promise<NodeJS.ReadableStream> {
    await this.assertNotKnownBad(version.sha256)
    return this.objects.read(version.sha256, range)
  }

  async assertNotKnownBad(sha256: string): Promise<void> {
    const state = await this.bookkeeping.objectState(sha256)
    if (state === 'corrupt') throw objectCorrupt(sha256)
    if (state === 'missing') throw objectMissing(sha256)
  }

  /**
   * Recorded before the caller is told, so the next stream or HEAD refuses the object at once. Written
   * only when it changes: a whole read finds the damage again by hashing, and a client retrying it must
   * not cost the log a write each time. Every failed verification is counted.
   */
  private async markCorrupt(sha256: string): Promise<Error> {
    await this.recordState(sha256, 'corrupt')
    this.observer.integrityProblem('object_corrupt')
    return objectCorrupt(sha256)
  }

  private async readFailure(sha256: string, error: unknown): Promise<Error> {
    if (error instanceof ObjectMissing) {
      await this.recordState(sha256, 'missing')
      this.observer.integrityProblem('object_missing')
    }
    return asError(error)
  }

  private async recordState(sha256: string, state: 'corrupt' | 'missing'): Promise<void> {
    if ((await this.bookkeeping.objectState(sha256)) !== state) await this.bookkeeping.setObjectState(sha256, state)
  }
}

/** A version that may be read: a removed one is 410, whatever listed it. */
function readable(version: ArtifactVersion): ArtifactVersion {
  const gone = removedError(version)
  if (gone !== undefined) throw gone
  return version
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}

function objectCorrupt(sha256: string): ObjectCorrupt {
  return new ObjectCorrupt(`stored object ${sha256} does not hash to its digest: it will not be served`, { sha256 })
}

function objectMissing(sha256: string): ObjectMissing {
  return new ObjectMissing(`stored object ${sha256} is missing from disk`, { sha256 })
}

class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256')
  private held: Buffer | undefined

  constructor(
    private readonly expected: string,
    private readonly onMismatch: () => Promise<Error>,
  ) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    if (this.held !== undefined) this.push(this.held)
    this.held = chunk
    callback()
  }

  override _flush(callback: TransformCallback): void {
    if (this.hash.digest('hex') !== this.expected) {
      this.onMismatch().then((mismatch) => callback(mismatch), (failure: unknown) => callback(asError(failure)))
      return
    }
    if (this.held !== undefined) this.push(this.held)
    callback()
  }
}

export function parseAtSeq(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,15}$/.test(value)) throw new InvalidQuery('at must be a commit seq (a non-negative integer)', { field: 'at' })
  return Number(value)
}
