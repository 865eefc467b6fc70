// Model-based: random sequences of commits, idempotent retries, conditional writes, reads and session
// completion run against the service and a small in-memory model, which must agree after every step.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import canonicalizeModule from 'canonicalize'
import fc from 'fast-check'
import type { InjectOptions } from 'light-my-request'
import { describe, expect, it } from 'vitest'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

// canonicalize is CommonJS with an ESM-style d.ts: its default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string

const SIDS = ['s1', 's2', 'run-3'] as const
// `c` and `c/…` cannot coexist: the model has to predict 409 name_conflict as well.
const NAMES = ['a.txt', 'b.json', 'c', 'c/d.bin', 'c/e.txt', 'deep/x/y.txt'] as const
const KEYS = ['k1', 'k2', 'k3'] as const
const PUT_TYPES = ['application/octet-stream', 'text/plain; charset=utf-8', 'application/x-ndjson'] as const
const DEFAULT_TYPES = { text: 'text/plain; charset=utf-8', json: 'application/json', base64: 'application/octet-stream' } as const

// ---------------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------------

type SessionState = 'open' | 'complete' | 'incomplete'

interface Version {
  version: number
  sha256: string
  bytes: Buffer
  mediaType: string
  seq: number
}

interface Keyed {
  sid: string
  key: string
  fingerprint: string
  request: WriteRequest
  record: unknown
}

interface SessionModel {
  versions: Map<string, Version[]>
  headSeq: number
  /** Heads this session has had: a stale If-Match picks one. */
  pastHeads: number[]
  expected: string[]
  state: SessionState
  keys: Map<string, Keyed>
}

interface Model {
  sessions: Map<string, SessionModel>
  /** Every keyed write that succeeded, for retries and key reuse. */
  keyed: Keyed[]
  /** Every committed seq, across sessions, for `?at=` reads. */
  seqs: number[]
}

interface Real {
  t: TestLedger
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

function sessionOf(m: Model, sid: string): SessionModel {
  let s = m.sessions.get(sid)
  if (s === undefined) {
    s = { versions: new Map(), headSeq: 0, pastHeads: [], expected: [], state: 'open', keys: new Map() }
    m.sessions.set(sid, s)
  }
  return s
}

const latest = (s: SessionModel | undefined, name: string): Version | undefined => s?.versions.get(name)?.at(-1)
const presentNames = (s: SessionModel): string[] => [...s.versions.keys()].filter((n) => (s.versions.get(n)?.length ?? 0) > 0).sort()
const missing = (s: SessionModel): string[] => s.expected.filter((n) => latest(s, n) === undefined)

/** An open session stays open; a closed one is complete exactly when nothing expected is missing. */
function rederive(s: SessionModel): void {
  if (s.state !== 'open') s.state = missing(s).length === 0 ? 'complete' : 'incomplete'
}

/** A session-level change is a log entry of its own: the head moves to its seq; no change, no move. */
function moveHead(s: SessionModel, headSeq: number, changed: boolean): void {
  if (!changed) {
    expect(headSeq).toBe(s.headSeq)
    return
  }
  expect(headSeq).toBeGreaterThan(s.headSeq)
  s.pastHeads.push(s.headSeq)
  s.headSeq = headSeq
}

function folderClash(name: string, others: Iterable<string>): boolean {
  for (const other of others) {
    if (other !== name && (other.startsWith(`${name}/`) || name.startsWith(`${other}/`))) return true
  }
  return false
}

// ---------------------------------------------------------------------------------------------
// Write requests, their prediction and their effect
// ---------------------------------------------------------------------------------------------

type Content = { text: string } | { json: unknown } | { base64: string }

interface GenArtifact {
  name: string
  content: Content
  mediaType: string | undefined
  digest: 'none' | 'right' | 'wrong'
}

function bytesOf(c: Content): Buffer {
  if ('text' in c) return Buffer.from(c.text, 'utf8')
  if ('json' in c) return Buffer.from(canonicalize(JSON.parse(JSON.stringify(c.json))), 'utf8')
  return Buffer.from(c.base64, 'base64')
}

function kindOf(c: Content): keyof typeof DEFAULT_TYPES {
  return 'text' in c ? 'text' : 'json' in c ? 'json' : 'base64'
}

type WriteRequest =
  | { kind: 'commit'; sid: string; artifacts: GenArtifact[]; message: string | undefined; headers: Record<string, string> }
  | { kind: 'put'; sid: string; name: string; bytes: Buffer; mediaType: string; headers: Record<string, string> }

function commitBody(req: Extract<WriteRequest, { kind: 'commit' }>): Record<string, unknown> {
  const artifacts = req.artifacts.map((a) => {
    const bytes = bytesOf(a.content)
    return {
      name: a.name,
      ...a.content,
      ...(a.mediaType === undefined ? {} : { mediaType: a.mediaType }),
      ...(a.digest === 'none' ? {} : { sha256: a.digest === 'right' ? sha256(bytes) : sha256(Buffer.concat([bytes, Buffer.from('!')])) }),
    }
  })
  return { artifacts, ...(req.message === undefined ? {} : { message: req.message }) }
}

function injectOptions(req: WriteRequest): InjectOptions {
  if (req.kind === 'commit') {
    return { method: 'POST', url: `/v1/sessions/${req.sid}/commits`, payload: commitBody(req), headers: req.headers }
  }
  return { method: 'PUT', url: `/v1/sessions/${req.sid}/artifacts/${req.name}`, payload: req.bytes, headers: { ...req.headers, 'content-type': req.mediaType } }
}

/** Equal exactly when the service would call two requests "the same" under one Idempotency-Key. */
function fingerprint(req: WriteRequest): string {
  if (req.kind === 'commit') return `commit:${canonicalize(JSON.parse(JSON.stringify(commitBody(req))))}`
  const ifMatch = req.headers['if-match']
  return `put:${canonicalize({
    name: req.name, sha256: sha256(req.bytes), mediaType: req.mediaType, createOnly: req.headers['if-none-match'] === '*',
    ifMatch: ifMatch === undefined ? null : ifMatch.replaceAll('"', ''),
  })}`
}

type Prediction =
  | { status: 201; replay: Keyed | undefined; artifacts: { name: string; bytes: Buffer; mediaType: string }[] }
  | { status: number; code: string }

/** What the service must answer, following its order: validate, idempotency, preconditions, name conflicts. */
function predict(m: Model, req: WriteRequest): Prediction {
  const s = m.sessions.get(req.sid)
  let artifacts: { name: string; bytes: Buffer; mediaType: string }[]
  if (req.kind === 'commit') {
    const seen: string[] = []
    for (const a of req.artifacts) {
      if (folderClash(a.name, seen)) return { status: 409, code: 'name_conflict' }
      if (a.digest === 'wrong') return { status: 422, code: 'digest_mismatch' }
      seen.push(a.name)
    }
    artifacts = req.artifacts.map((a) => ({ name: a.name, bytes: bytesOf(a.content), mediaType: a.mediaType ?? DEFAULT_TYPES[kindOf(a.content)] }))
  } else {
    artifacts = [{ name: req.name, bytes: req.bytes, mediaType: req.mediaType }]
  }
  const key = req.headers['idempotency-key']
  const stored = key === undefined ? undefined : s?.keys.get(key)
  if (stored !== undefined) {
    return stored.fingerprint === fingerprint(req) ? { status: 201, replay: stored, artifacts } : { status: 409, code: 'idempotency_key_reused' }
  }
  const ifMatch = req.headers['if-match']
  if (req.kind === 'commit' && ifMatch !== undefined) {
    const head = s?.headSeq ?? 0
    if (ifMatch === '*' ? head === 0 : ifMatch !== `"${head}"`) return { status: 412, code: 'precondition_failed' }
  }
  if (req.kind === 'put') {
    const current = latest(s, req.name)
    if (req.headers['if-none-match'] === '*' && current !== undefined) return { status: 412, code: 'precondition_failed' }
    if (ifMatch !== undefined && (current === undefined || ifMatch !== `"${current.sha256}"`)) return { status: 412, code: 'precondition_failed' }
  }
  const existing = s === undefined ? [] : presentNames(s)
  if (artifacts.some((a) => folderClash(a.name, existing))) return { status: 409, code: 'name_conflict' }
  return { status: 201, replay: undefined, artifacts }
}

/** Sends a write, checks the answer against the prediction, and moves the model the same way. */
async function write(m: Model, r: Real, req: WriteRequest): Promise<void> {
  const expected = predict(m, req)
  const res = await r.t.app.inject(injectOptions(req))
  const what = `${req.kind} ${JSON.stringify(injectOptions(req).headers)} → ${res.statusCode} ${res.body.slice(0, 300)}`
  expect(res.statusCode, what).toBe(expected.status)
  // Every attempt on a valid id leaves the session behind, if only with a failed commit in its log.
  const s = sessionOf(m, req.sid)
  if (!('replay' in expected)) {
    expect(res.headers['content-type'], what).toMatch(/^application\/problem\+json/)
    expect(res.json().code, what).toBe(expected.code)
    return
  }
  const record = res.json()
  if (expected.replay !== undefined) {
    expect(res.headers['idempotent-replayed'], what).toBe('true')
    expect(record, what).toEqual(expected.replay.record)
    return
  }
  expect(res.headers['idempotent-replayed'], what).toBeUndefined()
  expect(record.state).toBe('committed')
  expect(record.sessionId).toBe(req.sid)
  expect(res.headers['etag']).toBe(`"${record.seq}"`)
  // seq is global and strictly increasing; failed attempts consume seqs too, so only the order is known.
  expect(record.seq, what).toBeGreaterThan(Math.max(0, ...m.seqs))
  const seq: number = record.seq
  expect(record.artifacts, what).toEqual(expected.artifacts.map((a) => ({
    name: a.name, version: (s.versions.get(a.name)?.length ?? 0) + 1, sha256: sha256(a.bytes), size: a.bytes.byteLength, mediaType: a.mediaType,
  })))
  for (const a of expected.artifacts) {
    const versions = s.versions.get(a.name) ?? []
    versions.push({ version: versions.length + 1, sha256: sha256(a.bytes), bytes: a.bytes, mediaType: a.mediaType, seq })
    s.versions.set(a.name, versions)
  }
  s.pastHeads.push(s.headSeq)
  s.headSeq = seq
  m.seqs.push(seq)
  rederive(s)
  const key = req.headers['idempotency-key']
  if (key !== undefined) {
    const keyed: Keyed = { sid: req.sid, key, fingerprint: fingerprint(req), request: req, record }
    s.keys.set(key, keyed)
    m.keyed.push(keyed)
  }
}

/** The service and the model agree on every session: state, head, expected, missing, artifacts, plain files. */
async function assertAgree(m: Model, r: Real): Promise<void> {
  for (const sid of SIDS) {
    const res = await r.t.app.inject(`/v1/sessions/${sid}`)
    const s = m.sessions.get(sid)
    if (s === undefined) {
      expect(res.statusCode, `${sid} should not exist: ${res.body}`).toBe(404)
      continue
    }
    expect(res.statusCode, res.body).toBe(200)
    const got = res.json()
    expect({
      state: got.state, headSeq: got.headSeq, etag: got.etag, expectedArtifacts: got.expectedArtifacts, missing: got.missing,
      artifacts: got.artifacts.map((a: { name: string; version: number; sha256: string }) => [a.name, a.version, a.sha256]),
    }, sid).toEqual({
      state: s.state, headSeq: s.headSeq, etag: `"${s.headSeq}"`, expectedArtifacts: s.expected, missing: missing(s),
      artifacts: presentNames(s).map((n) => [n, latest(s, n)?.version, latest(s, n)?.sha256]),
    })
    for (const name of presentNames(s)) {
      expect(await readFile(join(r.t.dataDir, 'sessions', sid, ...name.split('/'))), `plain file ${sid}/${name}`).toEqual(latest(s, name)?.bytes)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

type Cmd = fc.AsyncCommand<Model, Real>

/** Every command checks its own answer, then that the whole service still agrees with the model. */
abstract class Step implements Cmd {
  check(_m: Readonly<Model>): boolean {
    return true
  }

  async run(m: Model, r: Real): Promise<void> {
    await this.act(m, r)
    await assertAgree(m, r)
  }

  abstract act(m: Model, r: Real): Promise<void>
  abstract toString(): string
}

class Commit extends Step {
  constructor(readonly sid: string, readonly artifacts: GenArtifact[], readonly key: string | undefined, readonly message: string | undefined) {
    super()
  }

  act(m: Model, r: Real): Promise<void> {
    return write(m, r, { kind: 'commit', sid: this.sid, artifacts: this.artifacts, message: this.message, headers: this.key === undefined ? {} : { 'idempotency-key': this.key } })
  }

  toString(): string {
    return `commit(${this.sid}, [${this.artifacts.map((a) => `${a.name}:${kindOf(a.content)}${a.digest === 'none' ? '' : `/${a.digest}`}`).join(', ')}]${this.key === undefined ? '' : `, key ${this.key}`})`
  }
}

class ConditionalCommit extends Step {
  constructor(readonly sid: string, readonly artifacts: GenArtifact[], readonly mode: 'fresh' | 'stale' | 'star', readonly pick: number) {
    super()
  }

  act(m: Model, r: Real): Promise<void> {
    const s = m.sessions.get(this.sid)
    const head = s?.headSeq ?? 0
    const past = s?.pastHeads ?? []
    const stale = past.length > 0 ? past[this.pick % past.length] ?? 0 : head + 1 + this.pick
    const tag = this.mode === 'star' ? '*' : this.mode === 'fresh' ? `"${head}"` : `"${stale}"`
    return write(m, r, { kind: 'commit', sid: this.sid, artifacts: this.artifacts, message: undefined, headers: { 'if-match': tag } })
  }

  toString(): string {
    return `conditionalCommit(${this.sid}, ${this.mode}, [${this.artifacts.map((a) => a.name).join(', ')}])`
  }
}

type PutMode = 'plain' | 'create-only' | 'if-match-latest' | 'if-match-old' | 'if-match-random'

class Put extends Step {
  constructor(readonly sid: string, readonly name: string, readonly bytes: Buffer, readonly mediaType: string, readonly mode: PutMode, readonly key: string | undefined, readonly pick: number) {
    super()
  }

  act(m: Model, r: Real): Promise<void> {
    const versions = m.sessions.get(this.sid)?.versions.get(this.name) ?? []
    const random = sha256(Buffer.from(`random ${this.pick}`))
    const old = versions.length > 1 ? versions[this.pick % (versions.length - 1)]?.sha256 ?? random : random
    const headers: Record<string, string> = {
      ...(this.mode === 'create-only' ? { 'if-none-match': '*' } : {}),
      ...(this.mode === 'if-match-latest' ? { 'if-match': `"${versions.at(-1)?.sha256 ?? random}"` } : {}),
      ...(this.mode === 'if-match-old' ? { 'if-match': `"${old}"` } : {}),
      ...(this.mode === 'if-match-random' ? { 'if-match': `"${random}"` } : {}),
      ...(this.key === undefined ? {} : { 'idempotency-key': this.key }),
    }
    return write(m, r, { kind: 'put', sid: this.sid, name: this.name, bytes: this.bytes, mediaType: this.mediaType, headers })
  }

  toString(): string {
    return `put(${this.sid}, ${this.name}, ${this.bytes.byteLength} bytes, ${this.mode}${this.key === undefined ? '' : `, key ${this.key}`})`
  }
}

/** Sends a keyed request that succeeded before, unchanged: it must replay the original record. */
class Retry extends Step {
  constructor(readonly pick: number) {
    super()
  }

  override check(m: Readonly<Model>): boolean {
    return m.keyed.length > 0
  }

  act(m: Model, r: Real): Promise<void> {
    const earlier = m.keyed[this.pick % m.keyed.length]
    if (earlier === undefined) throw new Error('no keyed request to retry')
    return write(m, r, earlier.request)
  }

  toString(): string {
    return `retry(#${this.pick})`
  }
}

/** Reuses a key that succeeded before with a different body: 409 idempotency_key_reused. */
class ReuseKey extends Step {
  constructor(readonly pick: number) {
    super()
  }

  override check(m: Readonly<Model>): boolean {
    return m.keyed.length > 0
  }

  act(m: Model, r: Real): Promise<void> {
    const earlier = m.keyed[this.pick % m.keyed.length]
    if (earlier === undefined) throw new Error('no keyed request to reuse')
    const req = earlier.request
    const changed: WriteRequest = req.kind === 'commit'
      ? { ...req, message: `${req.message ?? ''} (changed)` }
      : { ...req, bytes: Buffer.concat([req.bytes, Buffer.from(' (changed)')]) }
    return write(m, r, changed)
  }

  toString(): string {
    return `reuseKey(#${this.pick})`
  }
}

type Selector = { kind: 'latest' } | { kind: 'version'; n: number } | { kind: 'at'; pick: number } | { kind: 'history' }

class Read extends Step {
  constructor(readonly sid: string, readonly name: string, readonly selector: Selector) {
    super()
  }

  async act(m: Model, r: Real): Promise<void> {
    const s = m.sessions.get(this.sid)
    const versions = s?.versions.get(this.name) ?? []
    let query = ''
    let want: Version | undefined
    if (this.selector.kind === 'latest') want = versions.at(-1)
    if (this.selector.kind === 'version') {
      query = `?version=${this.selector.n}`
      want = versions[this.selector.n - 1]
    }
    if (this.selector.kind === 'at') {
      const at = atSeq(m, this.selector.pick)
      query = `?at=${at}`
      want = versions.filter((v) => v.seq <= at).at(-1)
    }
    if (this.selector.kind === 'history') query = '?versions'
    const res = await r.t.app.inject(`/v1/sessions/${this.sid}/artifacts/${this.name}${query}`)
    const what = `${this.toString()} → ${res.statusCode} ${res.body.slice(0, 200)}`
    if (s === undefined) {
      expect(res.statusCode, what).toBe(404)
      expect(res.json().code, what).toBe('session_not_found')
      return
    }
    if (this.selector.kind === 'history') {
      if (versions.length === 0) {
        expect(res.statusCode, what).toBe(404)
        return
      }
      expect(res.statusCode, what).toBe(200)
      expect(res.json().versions.map((v: { version: number; sha256: string; seq: number }) => [v.version, v.sha256, v.seq]))
        .toEqual(versions.map((v) => [v.version, v.sha256, v.seq]))
      return
    }
    if (want === undefined) {
      expect(res.statusCode, what).toBe(404)
      expect(res.json().code, what).toBe(this.selector.kind === 'version' ? 'version_not_found' : 'artifact_not_found')
      return
    }
    expect(res.statusCode, what).toBe(200)
    expect(res.rawPayload, what).toEqual(want.bytes)
    expect(res.headers['etag']).toBe(`"${want.sha256}"`)
    expect(res.headers['artifact-version']).toBe(String(want.version))
    expect(res.headers['content-type']).toBe(want.mediaType)
  }

  toString(): string {
    return `read(${this.sid}, ${this.name}, ${JSON.stringify(this.selector)})`
  }
}

/** A seq to read "as of": 0, one the log has, or one past the end. */
function atSeq(m: Readonly<Model>, pick: number): number {
  const choices = [0, ...m.seqs, Math.max(0, ...m.seqs) + 5]
  return choices[pick % choices.length] ?? 0
}

class List extends Step {
  constructor(readonly sid: string, readonly atPick: number | undefined) {
    super()
  }

  async act(m: Model, r: Real): Promise<void> {
    const s = m.sessions.get(this.sid)
    const at = this.atPick === undefined ? undefined : atSeq(m, this.atPick)
    const res = await r.t.app.inject(`/v1/sessions/${this.sid}/artifacts${at === undefined ? '' : `?at=${at}`}`)
    if (s === undefined) {
      expect(res.statusCode, res.body).toBe(404)
      return
    }
    expect(res.statusCode, res.body).toBe(200)
    const asOf = (versions: Version[]): Version | undefined => (at === undefined ? versions.at(-1) : versions.filter((v) => v.seq <= at).at(-1))
    const expected = presentNames(s).flatMap((name) => {
      const v = asOf(s.versions.get(name) ?? [])
      return v === undefined ? [] : [{ name, version: v.version, sha256: v.sha256, size: v.bytes.byteLength, mediaType: v.mediaType, seq: v.seq }]
    })
    const got = res.json()
    expect({ headSeq: got.headSeq, etag: got.etag, atSeq: got.atSeq }).toEqual({ headSeq: s.headSeq, etag: `"${s.headSeq}"`, atSeq: at ?? null })
    expect(got.artifacts.map(({ name, version, sha256: sha, size, mediaType, seq }: Record<string, unknown>) => ({ name, version, sha256: sha, size, mediaType, seq })), this.toString())
      .toEqual(expected)
  }

  toString(): string {
    return `list(${this.sid}${this.atPick === undefined ? '' : `, at #${this.atPick}`})`
  }
}

class Expect extends Step {
  constructor(readonly sid: string, readonly names: string[]) {
    super()
  }

  async act(m: Model, r: Real): Promise<void> {
    const existed = m.sessions.has(this.sid)
    const res = await r.t.app.inject({ method: 'PUT', url: `/v1/sessions/${this.sid}`, payload: { expectedArtifacts: this.names } })
    expect(res.statusCode, res.body).toBe(existed ? 200 : 201)
    const s = sessionOf(m, this.sid)
    const before = new Set(s.expected)
    s.expected = [...new Set(this.names)]
    rederive(s)
    const got = res.json()
    expect(got).toMatchObject({ state: s.state, expectedArtifacts: s.expected, missing: missing(s) })
    // Creating the session or changing its expected set is a log entry, and moves the head to it.
    const changed = !existed || before.size !== s.expected.length || s.expected.some((n) => !before.has(n))
    moveHead(s, got.headSeq, changed)
  }

  toString(): string {
    return `expect(${this.sid}, [${this.names.join(', ')}])`
  }
}

class Complete extends Step {
  constructor(readonly sid: string) {
    super()
  }

  async act(m: Model, r: Real): Promise<void> {
    const res = await r.t.app.inject({ method: 'POST', url: `/v1/sessions/${this.sid}/complete` })
    const s = m.sessions.get(this.sid)
    if (s === undefined) {
      expect(res.statusCode, res.body).toBe(404)
      expect(res.json().code).toBe('session_not_found')
      return
    }
    expect(res.statusCode, res.body).toBe(200)
    const wasOpen = s.state === 'open'
    s.state = missing(s).length === 0 ? 'complete' : 'incomplete'
    expect(res.json()).toMatchObject({ state: s.state, missing: missing(s), closedBy: 'writer' })
    expect(res.json().completedAt).not.toBeNull()
    // Closing is a log entry; closing a closed session again changes nothing.
    moveHead(s, res.json().headSeq, wasOpen)
  }

  toString(): string {
    return `complete(${this.sid})`
  }
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const sid = fc.constantFrom(...SIDS)
const name = fc.constantFrom(...NAMES)
const key = fc.option(fc.constantFrom(...KEYS), { nil: undefined })
const jsonValue = fc.jsonValue({ maxDepth: 2 }).filter((v) => !/"(__proto__|constructor)"/.test(JSON.stringify(v)))
const content: fc.Arbitrary<Content> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 16 }).map((text) => ({ text })),
  jsonValue.map((json) => ({ json })),
  fc.uint8Array({ maxLength: 24 }).map((bytes) => ({ base64: Buffer.from(bytes).toString('base64') })),
  // Few distinct values, so equal bytes (and so equal sha256) across versions and names happen too.
  fc.constantFrom({ text: 'same' }, { json: { same: true } }),
)
const artifact: fc.Arbitrary<GenArtifact> = fc.record({
  name,
  content,
  mediaType: fc.option(fc.constantFrom('application/x-test', 'text/csv; charset=utf-8'), { nil: undefined }),
  digest: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'right', 'right', 'right', 'wrong'),
})
const artifacts = fc.uniqueArray(artifact, { minLength: 1, maxLength: 3, selector: (a) => a.name })
const putBytes = fc.oneof(fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b)), fc.constant(Buffer.from('same')))

const commit = fc.tuple(sid, artifacts, key, fc.option(fc.string({ maxLength: 8 }), { nil: undefined })).map(([s, a, k, msg]) => new Commit(s, a, k, msg))
const put = fc.tuple(sid, name, putBytes, fc.constantFrom(...PUT_TYPES), fc.constantFrom<PutMode>('plain', 'create-only', 'if-match-latest', 'if-match-old', 'if-match-random'), key, fc.nat())
  .map(([s, n, b, type, mode, k, p]) => new Put(s, n, b, type, mode, k, p))
// Writes are listed twice: they are what the reads, retries and completions have something to act on.
const commands = [
  commit,
  commit,
  put,
  put,
  fc.tuple(sid, artifacts, fc.constantFrom('fresh' as const, 'stale' as const, 'star' as const), fc.nat()).map(([s, a, mode, p]) => new ConditionalCommit(s, a, mode, p)),
  fc.nat().map((p) => new Retry(p)),
  fc.nat().map((p) => new Retry(p)),
  fc.nat().map((p) => new ReuseKey(p)),
  fc.tuple(sid, name, fc.oneof(
    fc.constant<Selector>({ kind: 'latest' }),
    fc.integer({ min: 1, max: 4 }).map((n): Selector => ({ kind: 'version', n })),
    fc.nat().map((pick): Selector => ({ kind: 'at', pick })),
    fc.constant<Selector>({ kind: 'history' }),
  )).map(([s, n, sel]) => new Read(s, n, sel)),
  fc.tuple(sid, fc.option(fc.nat(), { nil: undefined })).map(([s, p]) => new List(s, p)),
  fc.tuple(sid, fc.array(name, { maxLength: 4 })).map(([s, names]) => new Expect(s, names)),
  sid.map((s) => new Complete(s)),
]

describe('the service against an in-memory model', () => {
  it('agrees with the model after every step of random commits, retries, conditional writes, reads and completions', async () => {
    await fc.assert(fc.asyncProperty(fc.commands(commands, { maxCommands: 40, size: 'max' }), async (cmds) => {
      const t = await startLedger()
      try {
        const model: Model = { sessions: new Map(), keyed: [], seqs: [] }
        await fc.asyncModelRun(() => ({ model, real: { t } }), cmds)
        const verify = await t.app.inject({ method: 'POST', url: '/v1/verify' })
        expect(verify.json()).toMatchObject({ ok: true })
      } finally {
        await t.cleanup()
      }
    }), { numRuns: 25 })
  }, 180_000)
})

