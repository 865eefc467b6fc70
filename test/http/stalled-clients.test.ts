// Clients that stall or vanish mid-body: answered 408 while they still listen, logged as `aborted` (not
// failed), nothing stored, no temp file left, upload slots freed; a slow but steady body is not cut off.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import { parseExposition, sampleOf } from '../support/exposition.js'
import { RawConnection, requestHead, type RawResponse } from '../support/raw-http.js'
import type { StartOptions } from '../support/start-ledger.js'
import { walk } from '../support/walk.js'

const IDLE_MS = 300

const started: ListeningLedger[] = []
const connections: RawConnection[] = []
async function start(options: StartOptions = {}): Promise<ListeningLedger> {
  const t = await startListeningLedger({ bodyIdleTimeoutMs: IDLE_MS, ...options })
  started.push(t)
  return t
}
async function connect(t: ListeningLedger): Promise<RawConnection> {
  const connection = await RawConnection.open(t.port)
  connections.push(connection)
  return connection
}
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.destroy()
  await Promise.all(started.splice(0).map((t) => t.cleanup()))
})

/** What these tests read of a log entry, a problem and a page of the log. */
interface LogEntry {
  id: string
  sessionId: string
  state: string
  kind: string
  error: { code: string } | null
}
interface Problem {
  status: number
  code: string
  commitId?: string
}
interface CommitPage {
  commits: LogEntry[]
}

async function getJson<T>(t: ListeningLedger, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${t.url}${path}`)
  return { status: res.status, body: (await res.json()) as T }
}

/** Polls `check` until it returns a value other than undefined; fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** Every file under the data dir that is (or lies in) a temp entry. */
async function tempFiles(t: ListeningLedger): Promise<string[]> {
  return (await walk(t.dataDir)).filter((file) => file.split('/').some((segment) => segment.startsWith('.tmp-')))
}

async function expectNoTempFilesSoon(t: ListeningLedger): Promise<void> {
  // Cleanup finishes right after the answer: give it a moment, then insist.
  await eventually('temp files to be removed', async () => ((await tempFiles(t)).length === 0 ? true : undefined), 2_000).catch(() => undefined)
  expect(await tempFiles(t)).toEqual([])
}

async function expectNothingStored(t: ListeningLedger, sid: string): Promise<void> {
  expect(await walk(join(t.dataDir, 'objects/sha256'))).toEqual([])
  expect(await walk(join(t.dataDir, 'sessions', sid))).toEqual([])
}

/** Starts a streamed PUT declaring `declared` bytes and sends `sent` of them; waits until the server stages it. */
async function startPut(t: ListeningLedger, sid: string, name: string, declared: number, sent: Buffer): Promise<RawConnection> {
  const tempsBefore = (await tempFiles(t)).length
  const connection = await connect(t)
  await connection.write(requestHead('PUT', `/v1/sessions/${sid}/artifacts/${name}`, { 'content-type': 'application/octet-stream', 'content-length': declared }))
  await connection.write(sent)
  // Staging opens its temp files before it reads the body: once they exist, the upload is under way.
  await eventually('the upload to be staged', async () => ((await tempFiles(t)).length > tempsBefore ? true : undefined))
  return connection
}

/** A JSON commit that announces 1000 bytes, sends the first few and then goes quiet. */
async function stallJsonCommit(t: ListeningLedger, sid: string): Promise<{ connection: RawConnection; answer: RawResponse; waitedMs: number }> {
  const connection = await connect(t)
  await connection.write(requestHead('POST', `/v1/sessions/${sid}/commits`, { 'content-type': 'application/json', 'content-length': 1000 }))
  await connection.write('{"artifacts":[{"name":"a.json","json":')
  const sentAt = performance.now()
  const answer = await connection.response(IDLE_MS * 20)
  return { connection, answer, waitedMs: performance.now() - sentAt }
}

async function stallPut(t: ListeningLedger, sid: string, name: string): Promise<{ connection: RawConnection; answer: RawResponse }> {
  const connection = await startPut(t, sid, name, 100_000, Buffer.alloc(10_000, 1))
  return { connection, answer: await connection.response(IDLE_MS * 20) }
}

/** A PUT whose client destroys its socket mid-body; resolves with the log entry that records it. */
async function dropPut(t: ListeningLedger, sid: string, name: string): Promise<LogEntry> {
  const connection = await startPut(t, sid, name, 100_000, Buffer.alloc(10_000, 2))
  connection.destroy()
  return eventually(`a log entry for the dropped upload in ${sid}`, async () => (await getJson<CommitPage>(t, `/v1/commits?session=${sid}`)).body.commits[0])
}

function expectProblem(answer: RawResponse, status: number, code: string): Problem {
  expect(answer.status).toBe(status)
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/)
  const problem = JSON.parse(answer.body) as Problem
  expect(problem).toMatchObject({ status, code })
  return problem
}

describe('a client whose body stalls', () => {
  it('answers a stalled JSON commit 408 client_timeout after the idle timeout while the socket is open, logs it aborted and stores nothing', async () => {
    const t = await start()
    const { connection, answer, waitedMs } = await stallJsonCommit(t, 's1')
    expect(connection.isClosed).toBe(false)
    expect(waitedMs).toBeGreaterThanOrEqual(IDLE_MS - 20)
    expect(waitedMs).toBeLessThan(IDLE_MS + 2_000)
    const problem = expectProblem(answer, 408, 'client_timeout')
    expect(answer.headers['connection']).toBe('close')
    expect(problem.commitId).toEqual(expect.any(String))
    // The answer said close: the server hangs up without waiting for the rest of the body.
    await connection.untilClosed(2_000)

    const entry = await getJson<LogEntry>(t, `/v1/commits/${problem.commitId ?? ''}`)
    expect(entry.status).toBe(200)
    expect(entry.body).toMatchObject({ id: problem.commitId, sessionId: 's1', state: 'aborted', kind: 'artifacts', error: { code: 'client_timeout' } })
    await expectNothingStored(t, 's1')
  })

  it('answers a streamed PUT that stalls mid-body 408 client_timeout, logs it aborted, and leaves no temp file and no artifact', async () => {
    const t = await start()
    const { connection, answer } = await stallPut(t, 's1', 'model.bin')
    expect(connection.isClosed).toBe(false)
    const problem = expectProblem(answer, 408, 'client_timeout')
    expect(answer.headers['connection']).toBe('close')
    expect((await getJson<LogEntry>(t, `/v1/commits/${problem.commitId ?? ''}`)).body).toMatchObject({ state: 'aborted', kind: 'artifacts', error: { code: 'client_timeout' } })

    await expectNoTempFilesSoon(t)
    expect((await fetch(`${t.url}/v1/sessions/s1/artifacts/model.bin`)).status).toBe(404)
    await expectNothingStored(t, 's1')
  })
})

describe('a client that goes away mid-body', () => {
  it('logs a PUT whose socket is destroyed mid-body as aborted client_disconnected, leaves no temp file, and keeps taking commits', async () => {
    const t = await start()
    const entry = await dropPut(t, 's1', 'model.bin')
    expect(entry).toMatchObject({ sessionId: 's1', state: 'aborted', kind: 'artifacts', error: { code: 'client_disconnected' } })
    await expectNoTempFilesSoon(t)
    expect((await fetch(`${t.url}/v1/sessions/s1/artifacts/model.bin`)).status).toBe(404)
    await expectNothingStored(t, 's1')

    const next = await fetch(`${t.url}/v1/sessions/s1/commits`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: [{ name: 'after.txt', text: 'still here' }] }),
    })
    expect(next.status).toBe(201)
    expect(await next.json()).toMatchObject({ state: 'committed' })
    expect(await readFile(join(t.dataDir, 'sessions/s1/after.txt'), 'utf8')).toBe('still here')
  })
})

describe('counting aborts', () => {
  it('counts aborts apart from failures in /v1/status and /metrics, by reason', async () => {
    const t = await start()
    expectProblem((await stallJsonCommit(t, 'json-stall')).answer, 408, 'client_timeout')
    expectProblem((await stallPut(t, 'put-stall', 'a.bin')).answer, 408, 'client_timeout')
    expect(await dropPut(t, 'put-drop', 'b.bin')).toMatchObject({ state: 'aborted', error: { code: 'client_disconnected' } })

    const status = await getJson<{ commits: Record<string, number> }>(t, '/v1/status')
    expect(status.body.commits).toMatchObject({ aborted: 3, failed: 0, committed: 0 })
    const samples = parseExposition(await (await fetch(`${t.url}/metrics`)).text())
    expect(sampleOf(samples, 'artifact_ledger_commits_total{outcome="failed"}')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_commits_total{outcome="aborted"}')).toBe(3)
    expect(sampleOf(samples, 'artifact_ledger_commit_aborts_total{code="client_timeout"}')).toBe(2)
    expect(sampleOf(samples, 'artifact_ledger_commit_aborts_total{code="client_disconnected"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_commit_aborts_total{code="service_restarted"}')).toBe(0)
  })
})

describe('upload slots', () => {
  it('answers uploads past the cap 503 too_many_uploads with Retry-After at once, logs nothing for them, and takes uploads again once the slots free', async () => {
    const t = await start({ maxConcurrentUploads: 2, bodyIdleTimeoutMs: 10_000 })
    const stalled = [
      await startPut(t, 'holder', 'one.bin', 100_000, Buffer.alloc(1_000, 1)),
      await startPut(t, 'holder', 'two.bin', 100_000, Buffer.alloc(1_000, 2)),
    ]

    const before = performance.now()
    const put = await fetch(`${t.url}/v1/sessions/refused/artifacts/three.bin`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: 'three' })
    const commit = await fetch(`${t.url}/v1/sessions/refused/commits`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: [{ name: 'four.txt', text: 'four' }] }),
    })
    // At once: neither waited for a slot, nor for the 10 s idle timeout of the stalled ones.
    expect(performance.now() - before).toBeLessThan(2_000)
    for (const res of [put, commit]) {
      expect(res.status).toBe(503)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect(res.headers.get('retry-after')).not.toBeNull()
      expect(await res.json()).toMatchObject({ status: 503, code: 'too_many_uploads' })
    }
    const log = await getJson<CommitPage>(t, '/v1/commits?session=refused')
    expect(log.body.commits).toEqual([])
    expect(await walk(join(t.dataDir, 'sessions/refused'))).toEqual([])

    for (const connection of stalled) connection.destroy()
    const bytes = Buffer.from('five, once the slots are free')
    const freed = await eventually('an upload slot to free', async () => {
      const res = await fetch(`${t.url}/v1/sessions/after/artifacts/five.bin`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes })
      if (res.status === 503) {
        await res.body?.cancel()
        return undefined
      }
      return res
    })
    expect(freed.status).toBe(201)
    expect(await readFile(join(t.dataDir, 'sessions/after/five.bin'))).toEqual(bytes)
  })
})

describe('a slow but steady client', () => {
  it('does not cut off a body that keeps arriving, chunk by chunk, for longer than the idle timeout in total', async () => {
    const t = await start()
    const chunks = Array.from({ length: 15 }, (_, i) => Buffer.alloc(1_000, i + 1))
    const bytes = Buffer.concat(chunks)
    const connection = await connect(t)
    await connection.write(requestHead('PUT', '/v1/sessions/s1/artifacts/slow.bin', { 'content-type': 'application/octet-stream', 'content-length': bytes.length }))
    const began = performance.now()
    for (const chunk of chunks) {
      await connection.write(chunk)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(performance.now() - began).toBeGreaterThan(IDLE_MS * 4)

    const answer = await connection.response()
    expect(answer.status).toBe(201)
    const record = JSON.parse(answer.body) as LogEntry
    expect(record).toMatchObject({ state: 'committed', artifacts: [{ name: 'slow.bin', size: bytes.length }] })
    expect((await getJson<LogEntry>(t, `/v1/commits/${record.id}`)).body).toMatchObject({ state: 'committed' })
    const read = await fetch(`${t.url}/v1/sessions/s1/artifacts/slow.bin`)
    expect(Buffer.from(await read.arrayBuffer())).toEqual(bytes)
    expect(await readFile(join(t.dataDir, 'sessions/s1/slow.bin'))).toEqual(bytes)
  })
})
