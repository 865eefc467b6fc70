import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { itInProcess } from '../support/cluster-target.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
beforeEach(async () => {
  t = await startLedger()
})
afterEach(async () => {
  await t.cleanup()
})

const body = { artifacts: [{ name: 'quality_metrics.json', json: { score: 1 } }] }
function post(payload: object, headers: Record<string, string> = {}, sid = 's1') {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload, headers })
}

describe('Idempotency-Key', () => {
  it('replays the original result and creates nothing new', async () => {
    const first = await post(body, { 'idempotency-key': 'run-1' })
    const second = await post(body, { 'idempotency-key': 'run-1' })
    expect(second.statusCode).toBe(201)
    expect(second.json()).toEqual(first.json())
    expect(second.headers['idempotent-replayed']).toBe('true')
    expect((await t.app.inject('/v1/commits')).json().commits).toHaveLength(1)
  })

  it('answers 409 idempotency_key_reused for the same key with a different body', async () => {
    await post(body, { 'idempotency-key': 'run-1' })
    const res = await post({ artifacts: [{ name: 'quality_metrics.json', json: { score: 2 } }] }, { 'idempotency-key': 'run-1' })
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('idempotency_key_reused')
  })

  it('scopes keys to a session', async () => {
    const a = await post(body, { 'idempotency-key': 'k' }, 's1')
    const b = await post(body, { 'idempotency-key': 'k' }, 's2')
    expect(b.statusCode).toBe(201)
    expect(b.json().id).not.toBe(a.json().id)
  })

  it('yields exactly one commit for concurrent duplicates, all answered with it', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => post(body, { 'idempotency-key': 'race' })))
    expect(results.map((r) => r.statusCode)).toEqual(Array(8).fill(201))
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1)
    expect((await t.app.inject('/v1/commits')).json().commits).toHaveLength(1)
  })

  it('lets a failed attempt be retried under the same key', async () => {
    const failed = await post({ artifacts: [{ name: 'a', text: 'x', sha256: '0'.repeat(64) }] }, { 'idempotency-key': 'k' })
    expect(failed.statusCode).toBe(422)
    const retry = await post({ artifacts: [{ name: 'a', text: 'x' }] }, { 'idempotency-key': 'k' })
    expect(retry.statusCode).toBe(201)
  })

  itInProcess('reopens the same data dir in this process')('replays after a restart, from the log', async () => {
    const first = await post(body, { 'idempotency-key': 'durable' })
    await t.close()
    const restarted = await startLedger({ dataDir: t.dataDir })
    try {
      const again = await restarted.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: body, headers: { 'idempotency-key': 'durable' } })
      expect(again.json().id).toBe(first.json().id)
      expect(again.headers['idempotent-replayed']).toBe('true')
    } finally {
      await restarted.close()
    }
  })
})

describe('If-Match on the session head', () => {
  it('commits when If-Match is the current head ETag and answers 412 when it is stale', async () => {
    const first = await post(body)
    const head = first.headers['etag'] as string
    const ok = await post({ artifacts: [{ name: 'b', text: '1' }] }, { 'if-match': head })
    expect(ok.statusCode).toBe(201)
    const stale = await post({ artifacts: [{ name: 'c', text: '1' }] }, { 'if-match': head })
    expect(stale.statusCode).toBe(412)
    expect(stale.json()).toMatchObject({ code: 'precondition_failed', currentEtag: ok.headers['etag'] })
    expect((await t.app.inject('/v1/sessions/s1/artifacts')).headers['etag']).toBe(ok.headers['etag'])
  })

  it('lets exactly one of two writers with the same head win', async () => {
    const head = (await post(body)).headers['etag'] as string
    const [a, b] = await Promise.all([
      post({ artifacts: [{ name: 'x', text: 'a' }] }, { 'if-match': head }),
      post({ artifacts: [{ name: 'x', text: 'b' }] }, { 'if-match': head }),
    ])
    expect([a?.statusCode, b?.statusCode].sort()).toEqual([201, 412])
  })
})
