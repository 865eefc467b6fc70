// The service with its log on PostgreSQL (LOG_URL): the same API over HTTP, in-process and as the built
// server, which keeps every acknowledged commit across a kill -9 and verifies clean.
import { createHash } from 'node:crypto'
import { afterAll, afterEach, expect, it } from 'vitest'
import { openPostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import { postgresStorage } from '../../src/storage/open-storage.js'
import { freshDatabase, withPostgres } from '../support/postgres.js'
import { killAllServers, startServer } from '../support/server-process.js'
import { makeDataDir, startLedger, type TestLedger } from '../support/start-ledger.js'

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex')

withPostgres('the service on a PostgreSQL log', (server) => {
  let t: TestLedger | undefined
  afterEach(async () => {
    await t?.cleanup()
    t = undefined
  })
  afterAll(async () => {
    await killAllServers()
  })

  it('commits, reads, lists, counts, deletes and verifies as on SQLite', async () => {
    const pg = await openPostgresLog(await freshDatabase(server()))
    t = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pg, fs) })
    const ledger = t
    const post = (sid: string, payload: Record<string, unknown>) => ledger.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload })
    const first = await post('s1', { artifacts: [{ name: 'quality_metrics.json', json: { score: 0.9 } }, { name: 'notes/summary.txt', text: 'hello' }] })
    expect(first.statusCode).toBe(201)
    expect((await post('s1', { artifacts: [{ name: 'notes/summary.txt', text: 'hello again' }] })).statusCode).toBe(201)
    const big = Buffer.alloc(3 * 1024 * 1024, 7)
    const put = await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1/artifacts/model.bin', headers: { 'content-type': 'application/octet-stream' }, payload: big })
    expect(put.statusCode).toBe(201)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/notes/summary.txt')).body).toBe('hello again')
    expect(sha256((await t.app.inject('/v1/sessions/s1/artifacts/model.bin')).rawPayload)).toBe(sha256(big))
    expect((await t.app.inject('/v1/sessions/s1/artifacts/notes/summary.txt?versions')).json().versions.map((v: { version: number }) => v.version)).toEqual([1, 2])
    expect((await t.app.inject(`/v1/sessions/s1/artifacts?at=${first.json().seq}`)).json().artifacts.map((a: { name: string; version: number }) => [a.name, a.version]))
      .toEqual([['notes/summary.txt', 1], ['quality_metrics.json', 1]])
    expect((await t.app.inject('/v1/status')).json()).toMatchObject({ commits: { committed: 3, failed: 0 }, storage: { objectCount: 4 } })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/model.bin' })).statusCode).toBe(200)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/model.bin')).json()).toMatchObject({ status: 410, code: 'artifact_deleted' })
    expect((await t.app.inject('/v1/commits?session=s1')).json().commits.map((c: { kind: string }) => c.kind)).toEqual(['artifacts', 'artifacts', 'artifacts', 'delete'])
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
    expect((await t.app.inject('/health/ready')).statusCode).toBe(200)
  })

  it('runs as the built server with LOG_URL, and keeps every acknowledged commit across kill -9', async () => {
    const dataDir = await makeDataDir()
    const env = { LOG_URL: await freshDatabase(server()), CANARY_INTERVAL_MS: '0' }
    const first = await startServer({ dataDir, env })
    await first.waitReady()
    const acknowledged: { sid: string; text: string }[] = []
    for (let i = 0; i < 20; i++) {
      const sid = `s${i % 4}`
      const res = await fetch(`${first.baseUrl}/v1/sessions/${sid}/commits`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: [{ name: `n${i}.txt`, text: `text ${i}` }] }),
      })
      expect(res.status).toBe(201)
      acknowledged.push({ sid, text: `text ${i}` })
    }
    await first.kill('SIGKILL')

    const second = await startServer({ dataDir, env })
    await second.waitReady()
    for (const [i, { sid, text }] of acknowledged.entries()) {
      expect(await (await fetch(`${second.baseUrl}/v1/sessions/${sid}/artifacts/n${i}.txt`)).text()).toBe(text)
    }
    const status = (await (await fetch(`${second.baseUrl}/v1/status`)).json()) as { commits: { committed: number; pending: number } }
    expect(status.commits).toMatchObject({ committed: 20, pending: 0 })
    expect(await (await fetch(`${second.baseUrl}/v1/verify`, { method: 'POST' })).json()).toMatchObject({ ok: true, missing: [], orphaned: [] })
    await second.kill('SIGTERM')
  }, 60_000)

  it('refuses to start when LOG_URL cannot be reached, in one line', async () => {
    const dataDir = await makeDataDir()
    const refused = await startServer({ dataDir, env: { LOG_URL: 'postgres://nobody@127.0.0.1:1/none' } })
    expect((await refused.exited).code).toBe(1)
    expect(refused.output()).toMatch(/cannot open the storage LOG_URL or OBJECT_STORE_URL names/)
  }, 60_000)
})
