// Health per replica: with the log on PostgreSQL and the objects elsewhere, readiness, status and metrics
// name both stores, so a balancer takes a replica out when its connection to either fails.
import { afterEach, expect, it } from 'vitest'
import { StorageFault } from '../../src/domain/errors.js'
import { MemoryObjectStore } from '../../src/storage/memory/object-store.js'
import { postgresStorage } from '../../src/storage/open-storage.js'
import { openPostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import { parseExposition, sampleOf } from '../support/exposition.js'
import { freshDatabase, withPostgres } from '../support/postgres.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

/** A bucket that stops answering while `down` (as S3ObjectStore.checkReachable does when HEAD fails). */
class RemoteObjects extends MemoryObjectStore {
  down = false

  async checkReachable(): Promise<void> {
    if (this.down) throw new StorageFault('the object store is unreachable (ECONNREFUSED during head-bucket)', { step: 'head-bucket', path: 'ledger', errno: 'ECONNREFUSED' })
  }
}

withPostgres('store reachability of a replica', (server) => {
  let t: TestLedger | undefined
  afterEach(async () => {
    await t?.cleanup()
    t = undefined
  })

  it('names the database and the object store in readiness, status and metrics, and fails readiness when the object store goes', async () => {
    const pg = await openPostgresLog(await freshDatabase(server()))
    const objects = new RemoteObjects()
    const ledger = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pg, fs, objects) })
    t = ledger
    const ready = await ledger.app.inject('/health/ready')
    expect(ready.statusCode).toBe(200)
    expect(ready.json().checks).toMatchObject({ 'database:writable': [{ status: 'pass' }], 'objectstore:reachable': [{ status: 'pass' }] })
    expect((await ledger.app.inject('/v1/status')).json().checks).toEqual({ database: { ok: true, error: null }, objectStore: { ok: true, error: null } })

    objects.down = true
    const notReady = await ledger.app.inject('/health/ready')
    expect(notReady.statusCode).toBe(503)
    expect(notReady.json().checks).toMatchObject({ 'database:writable': [{ status: 'pass' }], 'objectstore:reachable': [{ status: 'fail', output: 'ECONNREFUSED' }] })
    expect((await ledger.app.inject('/v1/status')).json().checks).toEqual({ database: { ok: true, error: null }, objectStore: { ok: false, error: 'ECONNREFUSED' } })
    const samples = parseExposition((await ledger.app.inject('/metrics')).body)
    expect(sampleOf(samples, 'artifact_ledger_store_reachable{store="database"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_store_reachable{store="object_store"}')).toBe(0)

    objects.down = false
    expect((await ledger.app.inject('/health/ready')).statusCode).toBe(200)
  })
})
