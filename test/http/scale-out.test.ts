// The service on scale-out storage: the log on PostgreSQL (LOG_URL) and the objects on a real S3 server,
// Ceph's RADOS Gateway (OBJECT_STORE_URL). The same API; the plain view is off; GC reclaims from the bucket.
import { createHash, randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { openConfiguredStorage } from '../../src/storage/open-storage.js'
import { freshDatabase, withPostgres } from '../support/postgres.js'
import { skipReason, skipWithoutRgw, useRgw } from '../support/rgw.js'
import { killAllServers, startServer } from '../support/server-process.js'
import { makeDataDir, startLedger, type TestLedger } from '../support/start-ledger.js'
import type { Rgw } from '../../scripts/rgw.mjs'

const sha256 = (bytes: string | Buffer): string => createHash('sha256').update(bytes).digest('hex')

/** An OBJECT_STORE_URL for a fresh prefix of the cluster's bucket. */
function objectStoreUrl(rgw: Rgw): string {
  const keys = `${encodeURIComponent(rgw.accessKeyId)}:${encodeURIComponent(rgw.secretAccessKey)}`
  return `s3://${keys}@${rgw.bucket}/ledger-${randomUUID()}?endpoint=${encodeURIComponent(rgw.endpoint)}&region=${rgw.region}`
}

withPostgres('the service on PostgreSQL and S3', (postgres) => {
  const rgw = useRgw()
  let t: TestLedger | undefined
  afterEach(async () => {
    await t?.cleanup()
    t = undefined
  })
  afterAll(async () => {
    await killAllServers()
  })

  describe.skipIf(skipWithoutRgw)('on RADOS Gateway', () => {
    it('commits, streams, reads ranges, verifies, and reclaims a deleted object from the bucket', async () => {
      const dataDir = await makeDataDir()
      const storage = await openConfiguredStorage(dataDir, { logUrl: await freshDatabase(postgres()), objectStoreUrl: objectStoreUrl(rgw()) })
      t = await startLedger({ dataDir, storage: () => storage, settings: { gcGraceSeconds: 0 } })
      const json = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'quality_metrics.json', json: { score: 1 } }] } })
      expect(json.statusCode).toBe(201)
      // Larger than one multipart part (5 MiB): staged in parts, published in one conditional PUT.
      const big = Buffer.alloc(12 * 1024 * 1024)
      for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i)
      const put = await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1/artifacts/model.bin', headers: { 'content-type': 'application/octet-stream' }, payload: big })
      expect(put.statusCode).toBe(201)
      const whole = await t.app.inject('/v1/sessions/s1/artifacts/model.bin')
      expect(sha256(whole.rawPayload)).toBe(sha256(big))
      const range = await t.app.inject({ url: '/v1/sessions/s1/artifacts/model.bin', headers: { range: 'bytes=5242870-5242889' } })
      expect(range.statusCode).toBe(206)
      expect(range.rawPayload).toEqual(big.subarray(5242870, 5242890))
      expect(JSON.parse((await t.app.inject('/v1/sessions/s1/artifacts/quality_metrics.json')).body)).toEqual({ score: 1 })
      // The plain view is off with objects in a bucket: nothing under sessions/.
      expect(existsSync(join(dataDir, 'sessions', 's1', 'model.bin'))).toBe(false)
      expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })

      expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/model.bin' })).statusCode).toBe(200)
      expect((await t.app.inject({ method: 'POST', url: '/v1/gc' })).json()).toMatchObject({ ok: true, reclaimedObjects: 1, reclaimedBytes: big.length })
      expect(await storage.objects.check(sha256(big))).toBe('missing')
      expect((await t.app.inject('/v1/status')).json()).toMatchObject({
        commits: { committed: 2 }, storage: { objectCount: 1 }, checks: { database: { ok: true }, objectStore: { ok: true, error: null } },
      })
      // A HEAD of the real bucket: readiness names the object store beside the database.
      expect((await t.app.inject('/health/ready')).json().checks).toMatchObject({ 'database:writable': [{ status: 'pass' }], 'objectstore:reachable': [{ status: 'pass' }] })
    }, 60_000)

    it('runs as the built server on LOG_URL and OBJECT_STORE_URL, and keeps every acknowledged commit across kill -9', async () => {
      const dataDir = await makeDataDir()
      const env = { LOG_URL: await freshDatabase(postgres()), OBJECT_STORE_URL: objectStoreUrl(rgw()), CANARY_INTERVAL_MS: '0' }
      const first = await startServer({ dataDir, env })
      await first.waitReady()
      const texts: string[] = []
      for (let i = 0; i < 12; i++) {
        const res = await fetch(`${first.baseUrl}/v1/sessions/s${i % 3}/commits`, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: [{ name: `n${i}.txt`, text: `text ${i}` }] }),
        })
        expect(res.status).toBe(201)
        texts.push(`text ${i}`)
      }
      await first.kill('SIGKILL')
      const second = await startServer({ dataDir, env })
      await second.waitReady()
      for (const [i, text] of texts.entries()) expect(await (await fetch(`${second.baseUrl}/v1/sessions/s${i % 3}/artifacts/n${i}.txt`)).text()).toBe(text)
      expect(await (await fetch(`${second.baseUrl}/v1/verify`, { method: 'POST' })).json()).toMatchObject({ ok: true, missing: [], orphaned: [] })
      await second.kill('SIGTERM')
    }, 90_000)
  })

  if (skipWithoutRgw) {
    it.skip(skipReason, () => {})
  }
})
