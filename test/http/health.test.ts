import { afterEach, describe, expect, it } from 'vitest'
import { SqliteFaults } from '../support/sqlite-faults.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
afterEach(async () => {
  await t.cleanup()
})

const PETABYTE = 2 ** 50

describe('health probes', () => {
  it('answers liveness as application/health+json', async () => {
    t = await startLedger()
    const live = await t.app.inject('/health/live')
    expect(live.statusCode).toBe(200)
    expect(live.headers['content-type']).toContain('application/health+json')
    expect(live.json()).toMatchObject({ status: 'pass', serviceId: 'artifact-ledger' })
  })

  it('names each readiness check and passes when storage is healthy', async () => {
    t = await startLedger()
    const ready = (await t.app.inject('/health/ready')).json()
    expect(ready.status).toBe('pass')
    expect(Object.keys(ready.checks)).toEqual(expect.arrayContaining(['recovery', 'database:writable', 'datadir:writable', 'storage:faults', 'disk:free', 'canary']))
  })

  it('warns below the soft free-space threshold but stays ready', async () => {
    t = await startLedger({ settings: { disk: { hardReserveBytes: 0, softReserveBytes: PETABYTE } } })
    const ready = await t.app.inject('/health/ready')
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toMatchObject({ status: 'warn' })
    expect(ready.json().checks['disk:free'][0]).toMatchObject({ status: 'warn', observedUnit: 'bytes' })
  })

  it('fails with 503 below the hard reserve', async () => {
    t = await startLedger({ settings: { disk: { hardReserveBytes: PETABYTE, softReserveBytes: PETABYTE } } })
    const ready = await t.app.inject('/health/ready')
    expect(ready.statusCode).toBe(503)
    expect(ready.json().checks['disk:free'][0]).toMatchObject({ status: 'fail', output: expect.stringContaining('hard reserve') })
  })

  it('fails while the database cannot take a write transaction', async () => {
    const sqlite = new SqliteFaults()
    // No plain-view batch meanwhile: its checkpoint write would fail too, and stay reported until the next batch.
    t = await startLedger({ storage: sqlite.open, settings: { plainViewFlushMs: 3_600_000 } })
    const release = sqlite.holdWriteLock()
    try {
      const ready = await t.app.inject('/health/ready')
      expect(ready.statusCode).toBe(503)
      expect(ready.json().checks['database:writable'][0]).toMatchObject({ status: 'fail', output: 'SQLITE_BUSY' })
    } finally {
      release()
    }
    expect((await t.app.inject('/health/ready')).statusCode).toBe(200)
  })
})
