// What the client does when the wire misbehaves: a lost answer is retried under the same key and
// commits once; 503 is retried, 507 is not; an unreachable service ends as LedgerUnavailable; a 2xx
// the client cannot vouch for is thrown, not returned.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ContractMismatch, DigestMismatch, LedgerClient, LedgerProblem, LedgerUnavailable, type RetryEvent } from '../../src/client/index.js'
import { freePort } from '../support/server-process.js'
import { rawResponse, TcpProxy } from '../support/tcp-proxy.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

const RETRY = { baseDelayMs: 5, maxDelayMs: 50 }

let t: ListeningLedger
let proxy: TcpProxy
let client: LedgerClient
let retries: RetryEvent[]
beforeEach(async () => {
  t = await startListeningLedger()
  proxy = await TcpProxy.start(t.port)
  retries = []
  client = new LedgerClient({ url: proxy.url, env: {}, retry: RETRY, onRetry: (event) => retries.push(event) })
})
afterEach(async () => {
  client.close()
  await proxy.close()
  await t.cleanup()
})

function problemResponse(status: number, reason: string, code: string, extra: Record<string, string> = {}): string {
  const body = JSON.stringify({ type: `urn:artifact-ledger:problem:${code}`, title: reason, status, detail: `canned ${code}`, code })
  return rawResponse(status, reason, { 'content-type': 'application/problem+json', ...extra }, body)
}

/** Every commit the service logged for `sessionId`, asked directly (not through the proxy). */
async function logOf(sessionId: string): Promise<{ id: string; state: string }[]> {
  const direct = new LedgerClient({ url: t.url, env: {} })
  try {
    return (await direct.commits({ session: sessionId })).commits.map((c) => ({ id: c.id, state: c.state }))
  } finally {
    direct.close()
  }
}

describe('a lost answer', () => {
  it('is retried under the same Idempotency-Key and returns the original commit, committed once', async () => {
    let swallowed = 0
    proxy.plan({ kind: 'swallow', onSwallow: () => swallowed++ })

    const record = await client.commit('s1', [{ name: 'quality_metrics.json', json: { score: 0.93 } }])

    expect(swallowed).toBe(1)
    expect(retries).toHaveLength(1)
    expect((retries[0]?.error as { code?: string }).code).toBe('ECONNRESET')
    expect(proxy.connections).toBe(2)
    expect(record.state).toBe('committed')
    expect(await logOf('s1')).toEqual([{ id: record.id, state: 'committed' }])
    const history = await client.history('s1', 'quality_metrics.json')
    expect(history.versions.map((v) => [v.version, v.commitId])).toEqual([[1, record.id]])
  })

  it('is retried for a streamed putFile too: the file is sent again and the original commit comes back', async () => {
    const bytes = randomBytes(2 * 1024 * 1024)
    const folder = await mkdtemp(join(tmpdir(), 'artifact-ledger-client-'))
    try {
      const path = join(folder, 'model.bin')
      await writeFile(path, bytes)
      let swallowed = 0
      proxy.plan({ kind: 'swallow', onSwallow: () => swallowed++ })

      const record = await client.putFile('s1', 'model.bin', path)

      expect(swallowed).toBe(1)
      expect(retries).toHaveLength(1)
      expect(proxy.clientBytes).toBeGreaterThan(2 * bytes.byteLength)
      expect(record.artifacts[0]).toMatchObject({ name: 'model.bin', version: 1, sha256: createHash('sha256').update(bytes).digest('hex') })
      expect(await logOf('s1')).toEqual([{ id: record.id, state: 'committed' }])
      expect((await client.history('s1', 'model.bin')).versions).toHaveLength(1)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })
})

describe('retryable and final answers', () => {
  it('retries two 503s (Retry-After: 0) and succeeds on the third attempt', async () => {
    const unavailable = problemResponse(503, 'Service Unavailable', 'not_ready', { 'retry-after': '0' })
    proxy.plan({ kind: 'answer', response: unavailable }, { kind: 'answer', response: unavailable })

    const record = await client.commit('s1', [{ name: 'a.txt', text: 'third time' }])

    expect(retries.map((r) => (r.error as LedgerProblem).status)).toEqual([503, 503])
    expect(retries.map((r) => r.delayMs)).toEqual([0, 0])
    expect(proxy.connections).toBe(3)
    expect(await logOf('s1')).toEqual([{ id: record.id, state: 'committed' }])
  })

  it('throws a 507 at once: a full disk is not retried', async () => {
    proxy.plan({ kind: 'answer', response: problemResponse(507, 'Insufficient Storage', 'insufficient_storage') })

    const error = await client.commit('s1', [{ name: 'a.txt', text: 'no room' }]).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(LedgerProblem)
    expect((error as LedgerProblem).status).toBe(507)
    expect((error as LedgerProblem).code).toBe('insufficient_storage')
    expect((error as LedgerProblem).attempts).toBe(1)
    expect(retries).toEqual([])
    expect(proxy.connections).toBe(1)
    expect(await logOf('s1')).toEqual([])
  })

  it('ends as LedgerUnavailable after maxAttempts when nothing listens', async () => {
    const nowhere = new LedgerClient({ url: `http://127.0.0.1:${await freePort()}`, env: {}, retry: { ...RETRY, maxAttempts: 3 }, onRetry: (event) => retries.push(event) })
    try {
      const error = await nowhere.commit('s1', [{ name: 'a.txt', text: 'x' }]).catch((e: unknown) => e)

      expect(error).toBeInstanceOf(LedgerUnavailable)
      expect((error as LedgerUnavailable).attempts).toBe(3)
      expect(((error as LedgerUnavailable).cause as { code?: string }).code).toBe('ECONNREFUSED')
      expect(retries.map((r) => r.attempt)).toEqual([1, 2])
    } finally {
      nowhere.close()
    }
  })
})

describe('a 2xx the client cannot vouch for', () => {
  const record = (sha256: string) => ({
    id: '01J00000000000000000000000', seq: 1, sessionId: 's1', state: 'committed', message: null, metadata: null,
    createdAt: '2025-01-01T00:00:00.000Z', finishedAt: '2025-01-01T00:00:00.000Z', error: null, kind: 'artifacts', expect: null, close: null, session: null, delete: null, expire: null,
    artifacts: [{ name: 'a.txt', version: 1, sha256, size: 1, mediaType: 'text/plain; charset=utf-8' }],
  })

  it('throws ContractMismatch for a 201 whose body lacks required fields', async () => {
    const { seq: _seq, state: _state, ...partial } = record('0'.repeat(64))
    proxy.plan({ kind: 'answer', response: rawResponse(201, 'Created', { 'content-type': 'application/json' }, JSON.stringify(partial)) })

    const error = await client.commit('s1', [{ name: 'a.txt', text: 'x' }]).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ContractMismatch)
    expect((error as ContractMismatch).body).toEqual(partial)
    expect(retries).toEqual([])
    expect(proxy.connections).toBe(1)
  })

  it('throws DigestMismatch for a 201 that reports a different sha256 than the client sent', async () => {
    proxy.plan({ kind: 'answer', response: rawResponse(201, 'Created', { 'content-type': 'application/json' }, JSON.stringify(record('0'.repeat(64)))) })

    const error = await client.commit('s1', [{ name: 'a.txt', text: 'x' }]).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(DigestMismatch)
    expect((error as DigestMismatch).actual).toBe('0'.repeat(64))
    expect(retries).toEqual([])
  })
})
