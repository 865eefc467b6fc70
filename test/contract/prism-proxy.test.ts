// Prism, as an independent validating proxy built from openapi.yaml alone, in front of a listening ledger:
// a workload touching every operation, with success and error answers, must draw no violation from it.
//
// Prism runs without --errors. With --errors it answers a request that breaks the document with its own 422
// and never forwards it, so the service's own 400/415/422 answers could not be checked; without it, Prism
// forwards everything and reports each violation, request or response side, in an `sl-violations` header,
// warnings included (with --errors, warnings such as an unlisted 4xx status pass silently).
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import { openSse } from '../support/sse.js'

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))
const PRISM_BIN = fileURLToPath(new URL('../../node_modules/@stoplight/prism-cli/dist/index.js', import.meta.url))
const PRISM_START_MS = 30_000
const REQUEST_MS = 10_000
const OUTPUT_TAIL_CHARS = 16 * 1024
const MAX_ARTIFACT_BYTES = 1024
const BODY_LIMIT_BYTES = 64 * 1024

interface Violation {
  location: string[]
  severity: string
  code?: string | number
  message: string
}

interface Exchange {
  operationId: string
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'
  path: string
  headers?: Record<string, string>
  /** An object is sent as compact JSON: Prism parses a JSON body and forwards it re-serialized with the same length. */
  body?: string | object
  status: number
  /**
   * The request breaks the document on purpose, to provoke the service's refusal: Prism must flag it on the
   * request side (or the document is looser than the service), and never on the response side.
   */
  breaksContract?: true
}

interface Answer {
  status: number
  headers: Headers
  text: string
}

let t: ListeningLedger
let prism: ChildProcess | undefined
let prismUrl = ''
let prismOutput = ''
const findings: string[] = []
const covered = new Map<string, Set<string>>()

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')
const digestHeader = (text: string): string => `sha-256=:${createHash('sha256').update(text, 'utf8').digest('base64')}:`

beforeAll(async () => {
  t = await startListeningLedger({ maxArtifactBytes: MAX_ARTIFACT_BYTES, bodyLimitBytes: BODY_LIMIT_BYTES, settings: { maxEventSubscribers: 1 } })
  const child = spawn(process.execPath, [PRISM_BIN, 'proxy', 'openapi.yaml', t.url, '--host', '127.0.0.1', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  prism = child
  const keepTail = (chunk: Buffer): void => {
    prismOutput = (prismOutput + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS)
  }
  child.stdout?.on('data', keepTail)
  child.stderr?.on('data', keepTail)
  prismUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`prism did not listen within ${PRISM_START_MS} ms:\n${prismOutput}`))
    }, PRISM_START_MS)
    const onData = (): void => {
      // eslint-disable-next-line no-control-regex -- Prism's logger may colour its lines whatever NO_COLOR says.
      const match = /Prism is listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(prismOutput.replace(/\u001b\[[0-9;]*m/g, ''))
      if (match?.[1] === undefined) return
      clearTimeout(timer)
      resolve(match[1])
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`prism exited (${code ?? signal ?? '?'}) before listening:\n${prismOutput}`))
    })
  })
}, PRISM_START_MS + 10_000)

afterAll(async () => {
  await stopPrism()
  await t.cleanup()
})

// Should the test process die first, Prism must not outlive it.
process.once('exit', () => {
  if (prism?.pid !== undefined && prism.exitCode === null && prism.signalCode === null) process.kill(prism.pid, 'SIGKILL')
})

async function stopPrism(): Promise<void> {
  const child = prism
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  process.kill(child.pid, 'SIGTERM')
  const timer = setTimeout(() => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL')
  }, 5_000)
  await exited
  clearTimeout(timer)
}

/** One request through Prism: what it answered, with every violation it reported recorded as a finding. */
async function send(exchange: Exchange): Promise<Answer> {
  const headers: Record<string, string> = { ...exchange.headers }
  let body: string | undefined
  if (typeof exchange.body === 'object') {
    body = JSON.stringify(exchange.body)
    headers['content-type'] ??= 'application/json'
  } else {
    body = exchange.body
  }
  const response = await fetch(`${prismUrl}${exchange.path}`, {
    method: exchange.method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(REQUEST_MS),
  })
  const text = await response.text()
  const where = `${exchange.method} ${exchange.path} (${exchange.operationId})`
  if (response.status !== exchange.status) findings.push(`${where}: expected ${exchange.status}, got ${response.status}: ${text.slice(0, 500)}`)
  const violations = parseViolations(response.headers.get('sl-violations'), where)
  const onResponse = violations.filter((v) => v.location[0] !== 'request')
  const onRequest = violations.filter((v) => v.location[0] === 'request')
  if (onResponse.length > 0) findings.push(`${where}: Prism flagged the response: ${JSON.stringify(onResponse)}`)
  if (exchange.breaksContract !== true && onRequest.length > 0) findings.push(`${where}: Prism flagged the request: ${JSON.stringify(onRequest)}`)
  if (exchange.breaksContract === true && onRequest.length === 0) findings.push(`${where}: the service refused this request but the document accepts it`)
  const statuses = covered.get(exchange.operationId) ?? new Set<string>()
  statuses.add(String(response.status))
  covered.set(exchange.operationId, statuses)
  return { status: response.status, headers: response.headers, text }
}

function parseViolations(header: string | null, where: string): Violation[] {
  if (header === null) return []
  try {
    return JSON.parse(header) as Violation[]
  } catch {
    // Past 8 KiB Prism cuts the header short and says so.
    findings.push(`${where}: Prism reported violations it could not fit in sl-violations: ${header.slice(0, 500)}`)
    return []
  }
}

async function sendAll(exchanges: Exchange[]): Promise<void> {
  for (const exchange of exchanges) await send(exchange)
}

const SID = 'prism-run'
const art = (name: string, query = ''): string => `/v1/sessions/${SID}/artifacts/${encodeURIComponent(name)}${query}`

describe('openapi.yaml through Prism in proxy mode', () => {
  it('draws no violation from answers of every status the workload provokes', async () => {
    // Probes, status, metrics and the document itself.
    await sendAll([
      { operationId: 'getLiveness', method: 'GET', path: '/health/live', status: 200 },
      { operationId: 'getReadiness', method: 'GET', path: '/health/ready', status: 200 },
      { operationId: 'getOpenApiDocument', method: 'GET', path: '/openapi.json', status: 200 },
      { operationId: 'getMetrics', method: 'GET', path: '/metrics', status: 200 },
      { operationId: 'getStatus', method: 'GET', path: '/v1/status', status: 200 },
      { operationId: 'getWebViewFile', method: 'GET', path: '/ui/app.js', status: 200 },
      { operationId: 'getWebViewFile', method: 'GET', path: '/ui/none.js', status: 404 },
    ])

    // A session with expectations: created (201), updated under If-Match (200), an expected name added.
    const expected = ['metrics.json', 'notes/summary.txt', 'raw/data.txt']
    const created = await send({ operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, body: { expectedArtifacts: expected }, status: 201 })
    const sessionEtag = created.headers.get('etag') ?? ''
    await sendAll([
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, headers: { 'if-match': sessionEtag }, body: { expectedArtifacts: expected, metadata: { run: 1 } }, status: 200 },
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, headers: { 'if-match': sessionEtag }, body: { metadata: { run: 2 } }, status: 412 },
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, body: { deadline: '2001-01-01T00:00:00Z' }, status: 422 },
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, body: { expected: ['x'] }, status: 400, breaksContract: true },
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, headers: { 'content-type': 'text/plain' }, body: 'expected', status: 415, breaksContract: true },
      { operationId: 'changeExpectedArtifacts', method: 'POST', path: `/v1/sessions/${SID}/expected`, body: { add: ['late.txt'] }, status: 200 },
      { operationId: 'changeExpectedArtifacts', method: 'POST', path: `/v1/sessions/${SID}/expected`, body: { add: 'late.txt' }, status: 400, breaksContract: true },
      { operationId: 'changeExpectedArtifacts', method: 'POST', path: `/v1/sessions/${SID}/expected`, body: { add: ['../late.txt'] }, status: 422, breaksContract: true },
    ])

    // Commits: the first (201), its replay (201), and each refusal a commit can meet.
    const commitBody = { artifacts: [{ name: 'metrics.json', json: { score: 0.5 } }, { name: 'notes/summary.txt', text: 'hello prism' }], message: 'first' }
    const first = await send({ operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, headers: { 'idempotency-key': 'k1' }, body: commitBody, status: 201 })
    const record = JSON.parse(first.text) as { id: string; seq: number }
    await sendAll([
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, headers: { 'idempotency-key': 'k1' }, body: commitBody, status: 201 },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, headers: { 'idempotency-key': 'k1' }, body: { artifacts: [{ name: 'metrics.json', json: 1 }] }, status: 409 },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, body: { artifacts: [{ name: 'notes', text: 'a folder of another' }] }, status: 409 },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, headers: { 'if-match': '"1"' }, body: { artifacts: [{ name: 'stale.txt', text: 'x' }] }, status: 412 },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, body: { artifacts: [{ name: 'big.txt', text: 'x'.repeat(BODY_LIMIT_BYTES) }] }, status: 413 },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, body: { artifacts: [{ name: 'd.txt', text: 'x', sha256: sha256('y') }] }, status: 422 },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, body: { artifacts: [{ name: '../escape.txt', text: 'x' }] }, status: 422, breaksContract: true },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/-bad/commits`, body: { artifacts: [{ name: 'a.txt', text: 'x' }] }, status: 422, breaksContract: true },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, body: { artifacts: [{ name: 'a.txt', text: 'x' }], bogus: true }, status: 400, breaksContract: true },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, body: { artifacts: [{ name: 'a.txt', text: 'x', json: 'x' }] }, status: 400, breaksContract: true },
      { operationId: 'commitArtifacts', method: 'POST', path: `/v1/sessions/${SID}/commits`, headers: { 'content-type': 'text/plain' }, body: 'artifacts', status: 415, breaksContract: true },
    ])

    // A streamed PUT: created with its digest (201), replaced under If-Match (201), and its refusals.
    const raw = 'raw bytes for prism'
    await sendAll([
      { operationId: 'putArtifact', method: 'PUT', path: art('raw/data.txt'), headers: { 'content-type': 'text/plain', 'content-digest': digestHeader(raw) }, body: raw, status: 201 },
      { operationId: 'putArtifact', method: 'PUT', path: art('raw/data.txt'), headers: { 'content-type': 'text/plain', 'if-match': `"${sha256(raw)}"` }, body: `${raw}, again`, status: 201 },
      { operationId: 'putArtifact', method: 'PUT', path: art('raw/data.txt'), headers: { 'content-type': 'text/plain', 'if-none-match': '*' }, body: 'create only', status: 412 },
      { operationId: 'putArtifact', method: 'PUT', path: art('raw/other.txt'), headers: { 'content-type': 'text/plain', 'content-digest': digestHeader('not these bytes') }, body: raw, status: 422 },
      { operationId: 'putArtifact', method: 'PUT', path: art('raw/other.txt'), headers: { 'content-type': 'text/plain', 'content-digest': 'sha-256=:short:' }, body: raw, status: 400 },
      { operationId: 'putArtifact', method: 'PUT', path: art('raw/big.txt'), headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(MAX_ARTIFACT_BYTES + 1), status: 413 },
      { operationId: 'putArtifact', method: 'PUT', path: art('raw/zipped.txt'), headers: { 'content-type': 'text/plain', 'content-encoding': 'gzip' }, body: raw, status: 415 },
      { operationId: 'putArtifact', method: 'PUT', path: `/v1/sessions/${SID}/artifacts/raw%5Cdata.txt`, headers: { 'content-type': 'text/plain' }, body: raw, status: 422, breaksContract: true },
      { operationId: 'putArtifact', method: 'PUT', path: art('notes'), headers: { 'content-type': 'text/plain' }, body: raw, status: 409 },
    ])

    // Reads. Ranges, HEAD and 304 use a text artifact: Prism parses any JSON-typed answer as JSON, so it
    // cannot relay a slice of a JSON artifact or a bodiless HEAD answer typed as JSON (HEAD of a problem).
    const read = await send({ operationId: 'getArtifact', method: 'GET', path: art('notes/summary.txt'), status: 200 })
    const etag = read.headers.get('etag') ?? ''
    await sendAll([
      { operationId: 'getArtifact', method: 'GET', path: art('metrics.json'), status: 200 },
      { operationId: 'getArtifact', method: 'GET', path: art('notes/summary.txt'), headers: { 'if-none-match': etag }, status: 304 },
      { operationId: 'getArtifact', method: 'GET', path: art('notes/summary.txt'), headers: { range: 'bytes=0-4' }, status: 206 },
      { operationId: 'getArtifact', method: 'GET', path: art('notes/summary.txt'), headers: { range: 'bytes=0-4', 'if-range': '"another"' }, status: 200 },
      { operationId: 'getArtifact', method: 'GET', path: art('raw/data.txt', '?version=1'), status: 200 },
      { operationId: 'getArtifact', method: 'GET', path: art('notes/summary.txt', `?at=${record.seq}`), status: 200 },
      { operationId: 'getArtifact', method: 'GET', path: art('raw/data.txt', '?versions'), status: 200 },
      { operationId: 'getArtifact', method: 'GET', path: art('notes/summary.txt'), headers: { range: 'bytes=500-600' }, status: 416 },
      { operationId: 'getArtifact', method: 'GET', path: art('missing.txt'), status: 404 },
      { operationId: 'getArtifact', method: 'GET', path: art('raw/data.txt', '?version=9'), status: 404 },
      { operationId: 'getArtifact', method: 'GET', path: art('raw/data.txt', '?version=first'), status: 400, breaksContract: true },
      { operationId: 'getArtifact', method: 'GET', path: `/v1/sessions/${SID}/artifacts/bad%5Cname`, status: 422, breaksContract: true },
      { operationId: 'headArtifact', method: 'HEAD', path: art('notes/summary.txt'), status: 200 },
      { operationId: 'headArtifact', method: 'HEAD', path: art('notes/summary.txt'), headers: { range: 'bytes=1-3' }, status: 206 },
      { operationId: 'headArtifact', method: 'HEAD', path: art('notes/summary.txt'), headers: { 'if-none-match': etag }, status: 304 },
      { operationId: 'listArtifacts', method: 'GET', path: `/v1/sessions/${SID}/artifacts`, status: 200 },
      { operationId: 'listArtifacts', method: 'GET', path: `/v1/sessions/${SID}/artifacts?at=${record.seq}`, status: 200 },
      { operationId: 'listArtifacts', method: 'GET', path: `/v1/sessions/${SID}/artifacts?at=latest`, status: 400, breaksContract: true },
      { operationId: 'listArtifacts', method: 'GET', path: '/v1/sessions/nobody/artifacts', status: 404 },
      { operationId: 'getSession', method: 'GET', path: `/v1/sessions/${SID}`, status: 200 },
      { operationId: 'getSession', method: 'GET', path: '/v1/sessions/nobody', status: 404 },
      { operationId: 'getSession', method: 'GET', path: '/v1/sessions/.hidden', status: 422, breaksContract: true },
      { operationId: 'listSessions', method: 'GET', path: '/v1/sessions?limit=1', status: 200 },
      { operationId: 'listSessions', method: 'GET', path: '/v1/sessions?state=open', status: 200 },
      { operationId: 'listSessions', method: 'GET', path: '/v1/sessions?state=sleeping', status: 400, breaksContract: true },
    ])

    // The log, page by page, one entry, and verification.
    let cursor: string | null = ''
    for (let page = 0; cursor !== null && page < 50; page++) {
      const answer = await send({ operationId: 'listLogEntries', method: 'GET', path: `/v1/commits?session=${SID}&limit=2${cursor === '' ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, status: 200 })
      cursor = (JSON.parse(answer.text) as { nextCursor: string | null }).nextCursor
    }
    expect(cursor).toBeNull()
    await sendAll([
      { operationId: 'listLogEntries', method: 'GET', path: '/v1/commits?kind=expect&state=committed&since=1', status: 200 },
      { operationId: 'listLogEntries', method: 'GET', path: '/v1/commits?since=2026-01-01T00:00:00Z', status: 200 },
      { operationId: 'listLogEntries', method: 'GET', path: '/v1/commits?since=yesterday', status: 400 },
      { operationId: 'listLogEntries', method: 'GET', path: '/v1/commits?limit=0', status: 400, breaksContract: true },
      { operationId: 'getLogEntry', method: 'GET', path: `/v1/commits/${record.id}`, status: 200 },
      { operationId: 'getLogEntry', method: 'GET', path: '/v1/commits/no-such-entry', status: 404 },
      { operationId: 'verifyStorage', method: 'POST', path: '/v1/verify', status: 200 },
      { operationId: 'verifyStorage', method: 'POST', path: '/v1/verify', body: { sessionId: SID, repair: false }, status: 200 },
      { operationId: 'verifyStorage', method: 'POST', path: `/v1/verify?session=${SID}`, status: 200 },
      { operationId: 'verifyStorage', method: 'POST', path: '/v1/verify', body: { sessionId: 'nobody' }, status: 404 },
      { operationId: 'verifyStorage', method: 'POST', path: '/v1/verify', body: { everything: true }, status: 400, breaksContract: true },
      { operationId: 'runGc', method: 'POST', path: '/v1/gc', status: 200 },
    ])

    // Closing: incomplete (late.txt never came), a writer's failure report, and what a closed session refuses.
    await sendAll([
      { operationId: 'completeSession', method: 'POST', path: `/v1/sessions/${SID}/complete`, status: 200 },
      { operationId: 'completeSession', method: 'POST', path: '/v1/sessions/prism-failed/complete', body: { error: { type: 'RuntimeError', message: 'the writer gave up' } }, status: 200 },
      { operationId: 'completeSession', method: 'POST', path: '/v1/sessions/nobody/complete', body: {}, status: 404 },
      { operationId: 'completeSession', method: 'POST', path: `/v1/sessions/${SID}/complete`, body: { error: 'failed' }, status: 400, breaksContract: true },
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, body: { deadline: new Date(Date.now() + 3_600_000).toISOString() }, status: 409 },
    ])

    // Deletion: an artifact (200, then 410 for it, and 404 for a name never committed), a hold (409), a session (200, then 409).
    await sendAll([
      { operationId: 'deleteArtifact', method: 'DELETE', path: art('metrics.json'), status: 200 },
      { operationId: 'deleteArtifact', method: 'DELETE', path: art('metrics.json'), status: 410 },
      { operationId: 'deleteArtifact', method: 'DELETE', path: art('never.txt'), status: 404 },
      { operationId: 'getArtifact', method: 'GET', path: art('metrics.json'), status: 410 },
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, body: { hold: true, retention: { keepVersions: 3 } }, status: 200 },
      { operationId: 'deleteSession', method: 'DELETE', path: `/v1/sessions/${SID}`, status: 409 },
      { operationId: 'putSession', method: 'PUT', path: `/v1/sessions/${SID}`, body: { hold: false }, status: 200 },
      { operationId: 'deleteSession', method: 'DELETE', path: `/v1/sessions/${SID}`, status: 200 },
      { operationId: 'deleteSession', method: 'DELETE', path: `/v1/sessions/${SID}`, status: 409 },
      { operationId: 'deleteSession', method: 'DELETE', path: '/v1/sessions/nobody', status: 404 },
      { operationId: 'listLogEntries', method: 'GET', path: '/v1/commits?kind=delete', status: 200 },
    ])

    // The event stream: its one slot taken (503), a bad Last-Event-ID (400), and a stream, which Prism relays
    // once it ends: the tail is closed (as at shutdown) once the stream is open. Last, since that closes the tail.
    const holder = await openSse(`${t.url}/v1/events`)
    await sendAll([
      { operationId: 'streamEvents', method: 'GET', path: '/v1/events', status: 503 },
      { operationId: 'streamEvents', method: 'GET', path: '/v1/events', headers: { 'last-event-id': 'yesterday' }, status: 400, breaksContract: true },
    ])
    holder.kill()
    while (t.ledger.events.subscriberCount > 0) await new Promise((resolve) => setTimeout(resolve, 20))
    const ending = (async () => {
      while (t.ledger.events.subscriberCount === 0) await new Promise((resolve) => setTimeout(resolve, 20))
      t.ledger.events.close()
    })()
    const stream = await send({ operationId: 'streamEvents', method: 'GET', path: `/v1/events?since=0&session=${SID}`, status: 200 })
    await ending
    expect(stream.text).toMatch(/^retry: 2000\n\nid: \d+\ndata: \{/)

    expect(findings, `Prism's log:\n${prismOutput}`).toEqual([])
  })

  it('was sent every operation in openapi.yaml, and every status the brief names', async () => {
    const document = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> }
    const operations = Object.values(document.paths).flatMap((path) => Object.values(path).map((operation) => operation.operationId ?? '?'))
    expect([...covered.keys()].sort()).toEqual([...operations].sort())
    const statuses = new Set([...covered.values()].flatMap((set) => [...set]))
    expect([...statuses].sort()).toEqual(expect.arrayContaining(['200', '201', '206', '304', '400', '404', '409', '410', '412', '413', '415', '416', '422']))
    expect(covered.get('headArtifact')).toEqual(new Set(['200', '206', '304']))
  })
})
