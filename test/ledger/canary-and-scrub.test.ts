import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CANARY_SESSION_ID } from '../../src/domain/session.js'
import { rateLimiter } from '../../src/ledger/scrub.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
afterEach(async () => {
  await t.cleanup()
})

describe('the canary', () => {
  it('commits through the whole write path and reports its latency in status and readiness', async () => {
    t = await startLedger()
    const result = await t.ledger.runCanary()
    expect(result).toMatchObject({ ok: true, error: null })
    const status = (await t.app.inject('/v1/status')).json()
    expect(status.canary).toMatchObject({ ok: true })
    const ready = (await t.app.inject('/health/ready')).json()
    expect(ready.checks.canary[0]).toMatchObject({ status: 'pass', observedUnit: 'ms' })
    // The canary's session is the service's own: hidden from listings, counts and the default log.
    expect((await t.app.inject('/v1/sessions')).json().sessions).toEqual([])
    expect(status.commits.total).toBe(0)
    expect((await t.app.inject('/v1/commits')).json().commits).toEqual([])
    // Its commit, and the retention its session is given once it exists.
    const entries = (await t.app.inject(`/v1/commits?session=${CANARY_SESSION_ID}`)).json().commits
    expect(entries.map((c: { kind: string }) => c.kind)).toEqual(['artifacts', 'session'])
    expect(entries[1].session).toMatchObject({ retention: { keepVersions: 5 } })
  })

  it('keeps only its newest versions by retention, each removal in the log, and leaves verify clean', async () => {
    t = await startLedger()
    for (let i = 0; i < 8; i++) expect((await t.ledger.runCanary()).ok).toBe(true)
    expect(await t.ledger.runExpiry()).toBe(3)
    const listing = (await t.app.inject(`/v1/sessions/${CANARY_SESSION_ID}/artifacts`)).json()
    expect(listing.artifacts.map((a: { version: number }) => a.version)).toEqual([8])
    const expired = (await t.app.inject(`/v1/commits?session=${CANARY_SESSION_ID}&kind=expire`)).json().commits
    expect(expired).toHaveLength(1)
    expect(expired[0].expire).toEqual({ retention: { keepVersions: 5 }, versions: [1, 2, 3].map((version) => ({ name: 'canary.json', version })) })
    expect((await t.app.inject(`/v1/sessions/${CANARY_SESSION_ID}/artifacts/canary.json?version=4`)).statusCode).toBe(200)
    expect((await t.app.inject(`/v1/sessions/${CANARY_SESSION_ID}/artifacts/canary.json?version=3`)).json().code).toBe('version_expired')
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, orphaned: [], missing: [] })
  })

  it('warns in readiness when a canary commit fails', async () => {
    t = await startLedger()
    t.ledger.state.phase = 'stopping'
    expect((await t.ledger.runCanary()).ok).toBe(false)
    t.ledger.state.phase = 'ready'
    const ready = await t.app.inject('/health/ready')
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'warn' })
    expect(ready.json().checks.canary[0]).toMatchObject({ status: 'warn', output: expect.stringContaining('shutting_down') })
  })

  it('refuses callers who write to the canary session', async () => {
    t = await startLedger()
    const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${CANARY_SESSION_ID}/commits`, payload: { artifacts: [{ name: 'x', text: 'y' }] } })
    expect(res.statusCode).toBe(422)
  })
})

describe('the background scrub', () => {
  it('finds a flipped byte, records the result for status, and repairs the plain file from the object', async () => {
    t = await startLedger()
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'good bytes' }, { name: 'b.txt', text: 'other' }] } })
    const [a] = res.json().artifacts
    const objectPath = join(t.dataDir, 'objects/sha256', a.sha256.slice(0, 2), a.sha256.slice(2))
    await writeFile(objectPath, 'good bytez')
    await writeFile(join(t.dataDir, 'sessions/s1/a.txt'), 'bad bytes!')
    await writeFile(join(t.dataDir, 'sessions/s1/b.txt'), 'tampered')
    const summary = await t.ledger.runScrub()
    // a.txt's object and its plain copy are bad (2 findings); b.txt's plain file differs too (3rd)
    // and is rewritten from its intact object.
    expect(summary).toMatchObject({ ok: false, corrupt: 3, repaired: 1, checkedObjects: 2 })
    const status = (await t.app.inject('/v1/status')).json()
    expect(status.lastScrub).toMatchObject({ ok: false, corrupt: 3, repaired: 1 })
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).json().code).toBe('object_corrupt')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/b.txt')).body).toBe('other')
  })

  it('keeps its result across a restart', async () => {
    t = await startLedger()
    await t.ledger.runScrub()
    await t.close()
    t = await startLedger({ dataDir: t.dataDir })
    expect((await t.app.inject('/v1/status')).json().lastScrub).toMatchObject({ ok: true })
  })

  it('limits its read rate by sleeping once it is ahead of the byte budget', async () => {
    let clock = 0
    const limiter = rateLimiter(1000, undefined, () => clock)
    const started = Date.now()
    await limiter(100) // 100 bytes at 1000 B/s: 100 ms of budget used at time 0 → waits ~100 ms
    expect(Date.now() - started).toBeGreaterThanOrEqual(80)
    clock = 10_000
    const later = Date.now()
    await limiter(100) // far behind the budget: no wait
    expect(Date.now() - later).toBeLessThan(50)
  })

  it('stops between two files when the service stops', async () => {
    const controller = new AbortController()
    const limiter = rateLimiter(1, controller.signal)
    controller.abort()
    await expect(limiter(1)).rejects.toThrow()
  })
})
