// The ledger on adapters other than SQLite and files: memory log, memory objects, the plain view off.
// Nothing above the ports changes, and the HTTP contract (openapi.yaml) holds for every answer.
import { createHash } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { LedgerPorts } from '../../src/domain/ports.js'
import { MemoryObjectStore } from '../../src/storage/memory/object-store.js'
import { openMemoryStorage } from '../../src/storage/open-storage.js'
import { contentDigest, sha256 } from '../support/factories.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
let objects: Map<string, Buffer>
beforeEach(async () => {
  objects = new Map()
  const storage = (): LedgerPorts => ({ ...openMemoryStorage(), objects: new MemoryObjectStore(objects) })
  t = await startLedger({ storage, settings: { deadlineCheckIntervalMs: 0 } })
})
afterEach(async () => {
  await t.cleanup()
})

const post = (sid: string, payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload, headers })

describe('a ledger on memory adapters', () => {
  it('commits, replays an Idempotency-Key, and serves versions, snapshots and history', async () => {
    const first = await post('s1', { artifacts: [{ name: 'a.txt', text: 'one' }, { name: 'm.json', json: { b: 1, a: 2 } }] }, { 'idempotency-key': 'k' })
    expect(first.statusCode).toBe(201)
    expect(first.json().artifacts.map((a: { sha256: string }) => a.sha256)).toEqual([sha256('one'), sha256('{"a":2,"b":1}')])
    const replay = await post('s1', { artifacts: [{ name: 'a.txt', text: 'one' }, { name: 'm.json', json: { b: 1, a: 2 } }] }, { 'idempotency-key': 'k' })
    expect(replay.headers['idempotent-replayed']).toBe('true')
    expect(replay.json().id).toBe(first.json().id)
    await post('s1', { artifacts: [{ name: 'a.txt', text: 'two' }] })

    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).body).toBe('two')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=1')).body).toBe('one')
    expect((await t.app.inject(`/v1/sessions/s1/artifacts/a.txt?at=${String(first.json().seq)}`)).body).toBe('one')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?versions')).json().versions).toHaveLength(2)
    const range = await t.app.inject({ url: '/v1/sessions/s1/artifacts/m.json', headers: { range: 'bytes=1-5' } })
    expect([range.statusCode, range.body]).toEqual([206, '"a":2'])
    expect((await t.app.inject({ url: '/v1/sessions/s1/artifacts/a.txt', headers: { 'if-none-match': `"${sha256('two')}"` } })).statusCode).toBe(304)
    expect((await t.app.inject('/v1/commits?session=s1')).json().commits.map((c: { state: string }) => c.state)).toEqual(['committed', 'committed'])
  })

  it('streams a PUT with its digest checked, and refuses one whose digest does not match', async () => {
    const body = Buffer.alloc(9 * 1024 * 1024, 3)
    const put = await t.app.inject({
      method: 'PUT', url: '/v1/sessions/s1/artifacts/big.bin', payload: body,
      headers: { 'content-type': 'application/octet-stream', 'content-digest': contentDigest(body) },
    })
    expect(put.statusCode).toBe(201)
    const get = await t.app.inject('/v1/sessions/s1/artifacts/big.bin')
    expect(createHash('sha256').update(get.rawPayload).digest('hex')).toBe(sha256(body))
    const wrong = await t.app.inject({
      method: 'PUT', url: '/v1/sessions/s1/artifacts/other.bin', payload: Buffer.from('bytes'),
      headers: { 'content-type': 'application/octet-stream', 'content-digest': contentDigest('other bytes') },
    })
    expect([wrong.statusCode, wrong.json().code]).toEqual([422, 'digest_mismatch'])
  })

  it('keeps sessions: expectations, closes, status and a clean verify with the plain view off', async () => {
    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { expectedArtifacts: ['a.txt', 'b.txt'] } })).statusCode).toBe(201)
    await post('s1', { artifacts: [{ name: 'a.txt', text: 'x' }], expect: ['c.txt'] })
    const closed = (await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/complete' })).json()
    expect(closed).toMatchObject({ state: 'incomplete', closedBy: 'writer', missing: ['b.txt', 'c.txt'] })
    expect((await t.app.inject('/v1/status')).json()).toMatchObject({ commits: { committed: 1 }, sessions: { incomplete: 1 } })
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, checked: { objects: 1, plainFiles: 0 } })
    expect((await t.app.inject('/health/ready')).statusCode).toBe(200)
  })

  it('never serves a damaged or vanished object as good, and verify reports both', async () => {
    const res = await post('s1', { artifacts: [{ name: 'a.txt', text: 'good' }, { name: 'b.txt', text: 'also good' }] })
    const [a, b] = res.json().artifacts as { sha256: string }[]
    objects.set(a?.sha256 ?? '', Buffer.from('evil'))
    objects.delete(b?.sha256 ?? '')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).json().code).toBe('object_corrupt')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/b.txt')).json().code).toBe('object_missing')
    const report = (await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()
    expect(report.corrupt).toEqual([expect.objectContaining({ kind: 'object', sha256: a?.sha256, path: `memory:sha256/${a?.sha256 ?? ''}` })])
    expect(report.missing).toEqual([expect.objectContaining({ kind: 'object', sha256: b?.sha256 })])
  })

  it('runs the canary through the whole write path and bounds its history by retention, as any session', async () => {
    for (let i = 0; i < 8; i++) expect((await t.ledger.runCanary()).ok).toBe(true)
    expect(await t.ledger.runExpiry()).toBe(3)
    const history = (await t.app.inject('/v1/sessions/artifact-ledger.canary/artifacts/canary.json?versions')).json().versions as { version: number; removed?: { kind: string } }[]
    expect(history.map((v) => [v.version, v.removed?.kind ?? 'live'])).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, n <= 3 ? 'expire' : 'live']))
    expect((await t.app.inject('/v1/sessions/artifact-ledger.canary/artifacts/canary.json?version=1')).json().code).toBe('version_expired')
    expect((await t.app.inject('/health/ready')).json().checks['canary'][0].status).toBe('pass')
  })
})
