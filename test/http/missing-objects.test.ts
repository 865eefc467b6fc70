// An object that vanished from under the ledger is never served as if it were there: 500 object_missing,
// remembered, counted, and found by verify; a stream that finds it gone is cut short.
import { rm } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition, sampleOf } from '../support/exposition.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'
import { objectFile } from '../support/layout.js'

let t: TestLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

describe('an object missing from storage', () => {
  it('answers 500 object_missing, then refuses it at once, counts it and reports it in verify', async () => {
    t = await startLedger()
    const commit = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'here' }] } })
    const { sha256 } = commit.json().artifacts[0]
    await rm(objectFile(t.dataDir, sha256))

    const first = await t.app.inject('/v1/sessions/s1/artifacts/a.txt')
    expect(first.statusCode).toBe(500)
    expect(first.json()).toMatchObject({ code: 'object_missing', detail: `stored object ${sha256} is missing from disk`, sha256 })
    const again = await t.app.inject({ method: 'HEAD', url: '/v1/sessions/s1/artifacts/a.txt' })
    expect(again.statusCode).toBe(500)
    const metrics = parseExposition((await t.app.inject('/metrics')).body)
    expect(sampleOf(metrics, 'artifact_ledger_integrity_problems_total{kind="object_missing"}')).toBe(1)
    const report = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(report.missing).toEqual([expect.objectContaining({ kind: 'object', sha256, path: `objects/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}` })])
  })

  it('cuts a large streamed artifact short when its object is gone, and refuses it afterwards', async () => {
    t = await startLedger()
    const big = Buffer.alloc(9 * 1024 * 1024, 7)
    const put = await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1/artifacts/big.bin', payload: big, headers: { 'content-type': 'application/octet-stream' } })
    expect(put.statusCode).toBe(201)
    await rm(objectFile(t.dataDir, put.json().artifacts[0].sha256))

    const cut = await t.app.inject('/v1/sessions/s1/artifacts/big.bin')
    expect(cut.rawPayload.byteLength).toBeLessThan(big.byteLength)
    const after = await t.app.inject('/v1/sessions/s1/artifacts/big.bin')
    expect(after.statusCode).toBe(500)
    expect(after.json().code).toBe('object_missing')
  })
})
