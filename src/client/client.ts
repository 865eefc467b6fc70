// The typed client writers call. One call is one logical operation: retried under one
// Idempotency-Key, digests computed here and checked against what the service says it stored,
// and every failure thrown with the service's problem detail attached.
import type { Static, TSchema } from '@sinclair/typebox'
import { FormatRegistry } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { createHash, randomUUID, type Hash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { canonicalJson, sha256Hex } from '../domain/content.js'
import { LedgerError } from '../domain/errors.js'
import { digestHeader, parseContentDigest } from '../http/headers.js'
import { ArtifactList, ArtifactVersion, VersionHistory } from '../http/schemas/artifacts.js'
import { CommitPage, CommitRecord, CommitWithTransitions, type CommitRequest, type CommitState as CommitStateSchema, type EntryKind as EntryKindSchema } from '../http/schemas/commits.js'
import { SessionPage, SessionRecord, type SessionRequest, type SessionState as SessionStateSchema } from '../http/schemas/sessions.js'
import { StatusReport } from '../http/schemas/status.js'
import { VerifyReport } from '../http/schemas/verify.js'
import { SERVICE_VERSION } from '../version.js'
import { ContractMismatch, DigestMismatch, LedgerProblem } from './errors.js'
import { followEvents, type EventsOptions } from './events.js'
import { runSession, type SessionRunOptions, type SessionWriter } from './session-writer.js'
import type { ArtifactContent, WriterFailure } from './types.js'
import { DEFAULT_RETRY_POLICY, withRetries, type RetryEvent, type RetryPolicy } from './retry.js'
import { problemFrom, readAll, Transport, type RequestSpec } from './transport.js'

// The response types are the route schemas themselves, so the client cannot drift from the server.
export type CommitRecord = Static<typeof CommitRecord>
export type CommitWithTransitions = Static<typeof CommitWithTransitions>
export type CommitPage = Static<typeof CommitPage>
export type SessionRecord = Static<typeof SessionRecord>
export type SessionPage = Static<typeof SessionPage>
export type ArtifactVersion = Static<typeof ArtifactVersion>
export type ArtifactList = Static<typeof ArtifactList>
export type VersionHistory = Static<typeof VersionHistory>
export type StatusReport = Static<typeof StatusReport>
export type VerifyReport = Static<typeof VerifyReport>
export type SessionChanges = Static<typeof SessionRequest>
export type SessionState = Static<typeof SessionStateSchema>
export type CommitState = Static<typeof CommitStateSchema>
export type EntryKind = Static<typeof EntryKindSchema>
export type { ArtifactContent, WriterFailure }


function describeFailure(failure: WriterFailure): { type: string; message: string } {
  if (failure instanceof Error) return { type: failure.name, message: failure.message }
  return { type: failure.type, message: failure.message }
}


export interface LedgerClientOptions {
  /** Service URL; default $ARTIFACT_LEDGER_URL, else http://127.0.0.1:8080. */
  url?: string
  /** Bearer token; default $ARTIFACT_LEDGER_TOKEN. */
  token?: string
  retry?: Partial<RetryPolicy>
  /** Abandon (and retry) a request that makes no progress for this long; default 60 s. */
  idleTimeoutMs?: number
  onRetry?: (event: RetryEvent) => void
  env?: NodeJS.ProcessEnv
}

export interface CommitOptions {
  message?: string
  metadata?: Record<string, unknown>
  /** Names added to the session's expected artifacts in the commit's own transaction. */
  expect?: string[]
  /** Reused on every retry; a fresh UUID when not given. */
  idempotencyKey?: string
  /** The session head ETag this commit builds on; 412 when the session moved. */
  ifMatch?: string
}

export interface PutFileOptions {
  mediaType?: string
  /** Fail with 412 if the artifact already exists. */
  createOnly?: boolean
  /** Replace only if the current version has this sha256; 412 otherwise. */
  ifMatchSha256?: string
  idempotencyKey?: string
  onProgress?: (sentBytes: number, totalBytes: number) => void
}

export interface ReadOptions {
  version?: number
  /** Read as of this commit seq. */
  at?: number
}

export interface FetchedArtifact {
  bytes: Buffer
  sha256: string
  mediaType: string
  version: number
}

export const DEFAULT_URL = 'http://127.0.0.1:8080'

// TypeBox's Value.Check needs every format it meets registered; the routes only use date-time.
if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)))

export class LedgerClient {
  readonly url: URL
  private readonly transport: Transport
  private readonly retry: RetryPolicy
  private readonly onRetry: ((event: RetryEvent) => void) | undefined

  constructor(options: LedgerClientOptions = {}) {
    const env = options.env ?? process.env
    this.url = new URL(options.url ?? env['ARTIFACT_LEDGER_URL'] ?? DEFAULT_URL)
    const token = options.token ?? env['ARTIFACT_LEDGER_TOKEN']
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry }
    this.onRetry = options.onRetry
    this.transport = new Transport({
      baseUrl: this.url,
      token: token === '' ? undefined : token,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      userAgent: `artifact-ledger-client/${SERVICE_VERSION}`,
    })
  }

  /** One atomic commit of all `artifacts`; resolves only once the service confirms the digests computed here. */
  async commit(sessionId: string, artifacts: ArtifactContent[], options: CommitOptions = {}): Promise<CommitRecord> {
    const prepared = artifacts.map(prepareArtifact)
    const request: Static<typeof CommitRequest> = {
      artifacts: prepared.map((p) => p.wire),
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
      ...(options.expect === undefined ? {} : { expect: options.expect }),
    }
    const body = Buffer.from(JSON.stringify(request))
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'idempotency-key': options.idempotencyKey ?? randomUUID(),
      ...(options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch }),
    }
    const record = await this.json(CommitRecord, { method: 'POST', path: `${sessionPath(sessionId)}/commits`, headers, body })
    checkCommitted(record, prepared.map((p) => ({ name: p.wire.name, sha256: p.sha256, size: p.size })))
    return record
  }

  /** Streams a file as one artifact (a commit of its own); its digest goes along and comes back checked. */
  async putFile(sessionId: string, name: string, path: string, options: PutFileOptions = {}): Promise<CommitRecord> {
    const { sha256, size } = await hashFile(path)
    const headers: Record<string, string> = {
      'content-type': options.mediaType ?? 'application/octet-stream',
      'content-digest': digestHeader(sha256),
      'idempotency-key': options.idempotencyKey ?? randomUUID(),
      ...(options.createOnly === true ? { 'if-none-match': '*' } : {}),
      ...(options.ifMatchSha256 === undefined ? {} : { 'if-match': `"${options.ifMatchSha256}"` }),
    }
    const record = await withRetries(this.retry, async () => {
      // Each attempt reads the file again from the start: a stream cannot be rewound.
      const file = createReadStream(path)
      const stream = file.pipe(byteTap(size, options.onProgress).stream)
      stream.once('close', () => file.destroy())
      const response = await this.transport.exchange({ method: 'PUT', path: artifactPath(sessionId, name), headers, body: { stream, length: size } })
      return parseBody(CommitRecord, response.body)
    }, this.onRetry)
    checkCommitted(record, [{ name, sha256, size }])
    return record
  }

  /** An artifact's bytes, checked against the digest the service sends for them. */
  async get(sessionId: string, name: string, options: ReadOptions = {}): Promise<FetchedArtifact> {
    return withRetries(this.retry, async () => {
      const response = await this.transport.exchange({ method: 'GET', path: artifactPath(sessionId, name) + readQuery(options) })
      const expected = promisedSha256(response.headers)
      const actual = sha256Hex(response.body)
      if (actual !== expected) throw new DigestMismatch(`${sessionId}/${name}: received bytes hash to ${actual}, the service promised ${expected}`, expected, actual)
      return {
        bytes: response.body,
        sha256: actual,
        mediaType: response.headers['content-type'] ?? 'application/octet-stream',
        version: Number(response.headers['artifact-version']),
      }
    }, this.onRetry)
  }

  /**
   * Streams an artifact to `destination` through a temp file beside it; the file appears (renamed
   * into place) only once its bytes hash to the digest the service promised.
   */
  async download(sessionId: string, name: string, destination: string, options: ReadOptions & { onProgress?: (received: number, total: number) => void } = {}): Promise<{ sha256: string; size: number }> {
    return withRetries(this.retry, async () => {
      const response = await this.transport.open({ method: 'GET', path: artifactPath(sessionId, name) + readQuery(options) })
      const status = response.statusCode ?? 0
      if (status >= 400) throw problemFrom(status, response.headers, await readAll(response))
      const expected = promisedSha256(response.headers)
      const total = Number(response.headers['content-length'] ?? NaN)
      const temp = join(dirname(destination), `.${basename(destination)}.${randomUUID()}.part`)
      const hash = createHash('sha256')
      const tap = byteTap(total, options.onProgress, hash)
      try {
        await pipeline(response, tap.stream, createWriteStream(temp, { flags: 'wx' }))
        const actual = hash.digest('hex')
        if (actual !== expected) throw new DigestMismatch(`${sessionId}/${name}: downloaded bytes hash to ${actual}, the service promised ${expected}`, expected, actual)
        await rename(temp, destination)
        return { sha256: actual, size: tap.bytes() }
      } finally {
        await rm(temp, { force: true })
      }
    }, this.onRetry)
  }

  getSession(sessionId: string): Promise<SessionRecord> {
    return this.json(SessionRecord, { method: 'GET', path: sessionPath(sessionId) })
  }

  /**
   * Runs a writer as one call: declares `expect` first, completes the session when `run` returns
   * (throwing SessionIncomplete unless it closed complete), reports the failure and rethrows when it throws.
   *
   *     await ledger.session('run-42', { expect: ['metrics.json'] }, async (s) => { await s.saveJson('metrics.json', m) })
   */
  session<T>(sessionId: string, options: SessionRunOptions, run: (session: SessionWriter) => Promise<T>): Promise<{ result: T; session: SessionRecord }> {
    return runSession(this, sessionId, options, run)
  }

  /**
   * Creates or updates a session. `expectedArtifacts` replaces the list (see `expect` to add to it);
   * with `ifMatch` (a session `etag`) the update applies only if nobody changed the session since (412).
   */
  putSession(sessionId: string, changes: SessionChanges, options: { ifMatch?: string } = {}): Promise<SessionRecord> {
    return this.json(SessionRecord, {
      method: 'PUT',
      path: sessionPath(sessionId),
      headers: { 'content-type': 'application/json', ...(options.ifMatch === undefined ? {} : { 'if-match': options.ifMatch }) },
      body: Buffer.from(JSON.stringify(changes)),
    })
  }

  /** Adds names to the session's expected artifacts (creating the session if needed), atomically on the service. */
  expect(sessionId: string, names: string[]): Promise<SessionRecord> {
    return this.changeExpected(sessionId, { add: names })
  }

  /**
   * Adds and removes expected names in one transaction on the service, so writers declaring outputs
   * side by side never lose one another's names. Retrying is safe: the same change twice is one change.
   */
  changeExpected(sessionId: string, change: { add?: string[]; remove?: string[] }): Promise<SessionRecord> {
    return this.json(SessionRecord, {
      method: 'POST',
      path: `${sessionPath(sessionId)}/expected`,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(change)),
    })
  }

  /**
   * Closes the session; its state says complete, or incomplete with the missing names. With `error`,
   * the writer reports that it failed: the session closes `failed` with that error.
   */
  complete(sessionId: string, options: { error?: WriterFailure } = {}): Promise<SessionRecord> {
    return this.json(SessionRecord, {
      method: 'POST',
      path: `${sessionPath(sessionId)}/complete`,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(options.error === undefined ? {} : { error: describeFailure(options.error) })),
    })
  }

  /** Reports that the writer failed (e.g. from a catch block): the session closes `failed` with the error's name and message. */
  fail(sessionId: string, error: WriterFailure): Promise<SessionRecord> {
    return this.complete(sessionId, { error })
  }

  sessions(query: { state?: SessionState; cursor?: string; limit?: number } = {}): Promise<SessionPage> {
    return this.json(SessionPage, { method: 'GET', path: `/v1/sessions${queryString(query)}` })
  }

  artifacts(sessionId: string, options: { at?: number } = {}): Promise<ArtifactList> {
    return this.json(ArtifactList, { method: 'GET', path: `${sessionPath(sessionId)}/artifacts${queryString(options)}` })
  }

  history(sessionId: string, name: string): Promise<VersionHistory> {
    return this.json(VersionHistory, { method: 'GET', path: `${artifactPath(sessionId, name)}?versions` })
  }

  commits(query: { session?: string; state?: CommitState; kind?: EntryKind; since?: string; cursor?: string; limit?: number } = {}): Promise<CommitPage> {
    return this.json(CommitPage, { method: 'GET', path: `/v1/commits${queryString(query)}` })
  }

  commitById(id: string): Promise<CommitWithTransitions> {
    return this.json(CommitWithTransitions, { method: 'GET', path: `/v1/commits/${encodeURIComponent(id)}` })
  }

  status(): Promise<StatusReport> {
    return this.json(StatusReport, { method: 'GET', path: '/v1/status' })
  }

  verify(options: { sessionId?: string; repair?: boolean; repairObjects?: boolean } = {}): Promise<VerifyReport> {
    return this.json(VerifyReport, {
      method: 'POST',
      path: '/v1/verify',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(options)),
    })
  }

  /**
   * Deletes every version of an artifact (admin scope): its reads answer 410 artifact_deleted from now on.
   * Returns the `delete` log entry, or undefined when the artifact was already deleted (a retry whose
   * first answer was lost finds it so). Throws LedgerProblem 404 when it never existed, 409 `held`.
   */
  async deleteArtifact(sessionId: string, name: string): Promise<CommitRecord | undefined> {
    return this.deleting(() => this.json(CommitRecord, { method: 'DELETE', path: artifactPath(sessionId, name) }), 'artifact_deleted')
  }

  /**
   * Deletes a session (admin scope): it stays, state `deleted`, and every artifact of it answers 410.
   * Returns the `delete` log entry, or undefined when the session was already deleted.
   */
  async deleteSession(sessionId: string): Promise<CommitRecord | undefined> {
    return this.deleting(() => this.json(CommitRecord, { method: 'DELETE', path: sessionPath(sessionId) }), 'session_deleted')
  }

  private async deleting(attempt: () => Promise<CommitRecord>, alreadyCode: string): Promise<CommitRecord | undefined> {
    try {
      return await attempt()
    } catch (error) {
      if (error instanceof LedgerProblem && error.code === alreadyCode) return undefined
      throw error
    }
  }

  /** Drops kept-alive connections so the process can exit. */
  /**
   * GET /v1/events: each log entry once it has ended, in seq order, as it happens. A dropped stream is
   * reopened with Last-Event-ID (no gap, no repeat); it ends when `signal` aborts or the loop breaks.
   */
  events(options: EventsOptions = {}): AsyncGenerator<CommitRecord> {
    return followEvents({ transport: this.transport, retry: this.retry, onRetry: this.onRetry }, options)
  }

  close(): void {
    this.transport.close()
  }

  private json<S extends TSchema>(schema: S, spec: RequestSpec): Promise<Static<S>> {
    return withRetries(this.retry, async () => parseBody(schema, (await this.transport.exchange(spec)).body), this.onRetry)
  }
}

interface PreparedArtifact {
  wire: Static<typeof CommitRequest>['artifacts'][number]
  sha256: string
  size: number
}

/** Encodes content exactly as the service stores it (the same code: RFC 8785 for json) and hashes it. */
function prepareArtifact(artifact: ArtifactContent): PreparedArtifact {
  const media = artifact.mediaType === undefined ? {} : { mediaType: artifact.mediaType }
  let stored: Buffer
  let content: { json: unknown } | { text: string } | { base64: string }
  if (artifact.bytes !== undefined) {
    stored = Buffer.from(artifact.bytes)
    content = { base64: stored.toString('base64') }
  } else if (artifact.text !== undefined) {
    stored = Buffer.from(artifact.text, 'utf8')
    content = { text: artifact.text }
  } else {
    stored = Buffer.from(canonicalJsonOf(artifact.name, artifact.json), 'utf8')
    content = { json: artifact.json }
  }
  const sha256 = sha256Hex(stored)
  return { wire: { name: artifact.name, ...content, ...media, sha256 }, sha256, size: stored.byteLength }
}

function canonicalJsonOf(name: string, value: unknown): string {
  try {
    return canonicalJson(value, `${name}.json`)
  } catch (error) {
    // The same refusal the service would answer with (non-finite numbers, lone surrogates, depth), before any byte is sent.
    if (error instanceof LedgerError) throw new TypeError(`artifact ${JSON.stringify(name)}: ${error.message}`)
    throw error
  }
}

function checkCommitted(record: CommitRecord, sent: { name: string; sha256: string; size: number }[]): void {
  if (record.state !== 'committed') throw new ContractMismatch(`commit ${record.id} came back ${record.state}, not committed`, record)
  for (const artifact of sent) {
    const stored = record.artifacts.find((a) => a.name === artifact.name)
    if (stored === undefined) throw new ContractMismatch(`commit ${record.id} does not list ${artifact.name}`, record)
    if (stored.sha256 !== artifact.sha256) {
      throw new DigestMismatch(`${artifact.name}: the service stored sha256 ${stored.sha256}, this client sent ${artifact.sha256}`, artifact.sha256, stored.sha256 ?? '')
    }
    if (stored.size !== artifact.size) {
      throw new DigestMismatch(`${artifact.name}: the service stored ${stored.size} bytes, this client sent ${artifact.size}`, String(artifact.size), String(stored.size))
    }
  }
}

function parseBody<S extends TSchema>(schema: S, body: Buffer): Static<S> {
  let value: unknown
  try {
    value = JSON.parse(body.toString('utf8'))
  } catch {
    throw new ContractMismatch('the service answered 2xx with a body that is not JSON', body.toString('utf8').slice(0, 500))
  }
  if (!Value.Check(schema, value)) {
    const first = Value.Errors(schema, value).First()
    throw new ContractMismatch(`the service's answer does not match this client's schema at ${first?.path ?? '/'}: ${first?.message ?? 'invalid'}`, value)
  }
  return value
}

/** The whole-artifact sha256 the service vouches for: Repr-Digest, which the ETag must agree with. */
function promisedSha256(headers: Record<string, string | string[] | undefined>): string {
  const repr = headers['repr-digest']
  let fromDigest: string | undefined
  try {
    fromDigest = parseContentDigest(typeof repr === 'string' ? repr : undefined)
  } catch (error) {
    throw new ContractMismatch(`unreadable Repr-Digest ${JSON.stringify(repr)}: ${(error as Error).message}`, repr)
  }
  const etag = /^"([0-9a-f]{64})"$/.exec(String(headers['etag']))?.[1]
  const promised = fromDigest ?? etag
  if (promised === undefined) throw new ContractMismatch('the service sent neither Repr-Digest nor a sha256 ETag', headers)
  if (etag !== undefined && etag !== promised) throw new ContractMismatch(`ETag ${etag} and Repr-Digest ${promised} disagree`, headers)
  return promised
}

export async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).byteLength
  }
  const stated = (await stat(path)).size
  if (stated !== size) throw new Error(`${path} changed while it was hashed (${size} bytes read, ${stated} on disk)`)
  return { sha256: hash.digest('hex'), size }
}

/** Passes bytes through, counting them for `onProgress` and feeding `hash` when one is given. */
function byteTap(total: number, onProgress: ((done: number, total: number) => void) | undefined, hash?: Hash): { stream: Transform; bytes: () => number } {
  let seen = 0
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash?.update(chunk)
      seen += chunk.byteLength
      onProgress?.(seen, total)
      done(null, chunk)
    },
  })
  return { stream, bytes: () => seen }
}

function sessionPath(sessionId: string): string {
  return `/v1/sessions/${encodeURIComponent(sessionId)}`
}

function artifactPath(sessionId: string, name: string): string {
  return `${sessionPath(sessionId)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`
}

function readQuery(options: ReadOptions): string {
  return queryString({ version: options.version, at: options.at })
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value))
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}
