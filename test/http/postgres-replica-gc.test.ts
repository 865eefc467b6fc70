// Garbage collection beside other replicas of one PostgreSQL log: one collector at a time across them. A
// replica whose timer fires while another collects skips its run; POST /v1/gc waits for that run to end
// and then runs its own, so its answer covers a whole run begun after it was asked for.
import { afterEach, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../src/storage/memory/object-store.js'
import { postgresStorage } from '../../src/storage/open-storage.js'
import { openPostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import { freshDatabase, withPostgres } from '../support/postgres.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

/** Objects shared by every replica (a Map for a bucket); while held, a deletion waits, and says it started. */
class SlowRemovals extends MemoryObjectStore {
  removing = 0
  private gate: Promise<void> | undefined
  private open: () => void = () => undefined

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve
    })
  }

  release(): void {
    this.gate = undefined
    this.open()
  }

  override async remove(sha256: string): Promise<void> {
    this.removing++
    await this.gate
    return super.remove(sha256)
  }
}

withPostgres('garbage collection across replicas of a PostgreSQL log', (server) => {
  const ledgers: TestLedger[] = []
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((t) => t.cleanup()))
  })

  it('lets one replica collect at a time: a timed run elsewhere skips, a run asked for waits and then runs', async () => {
    const url = await freshDatabase(server())
    const bucket = new Map<string, Buffer>()
    const slow = new SlowRemovals(bucket)
    let byB: Promise<{ json: () => { startedAt: string } }> | undefined
    const [pgA, pgB] = [await openPostgresLog(url), await openPostgresLog(url)]
    const a = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pgA, fs, slow), settings: { gcGraceSeconds: 0 } })
    ledgers.push(a)
    const created = await a.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'old.txt', text: 'to be collected' }] } })
    expect(created.statusCode).toBe(201)
    expect((await a.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/old.txt' })).statusCode).toBe(200)

    slow.hold()
    const byA = a.app.inject({ method: 'POST', url: '/v1/gc' })
    try {
      while (slow.removing === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      // B starts while A collects, and its timer fires several times meanwhile: every run skips, none is recorded.
      const b = await startLedger({
        storage: (dataDir, fs) => postgresStorage(dataDir, pgB, fs, new MemoryObjectStore(bucket)), settings: { gcGraceSeconds: 0, gcIntervalMs: 100 },
      })
      ledgers.push(b)
      await new Promise((resolve) => setTimeout(resolve, 600))
      expect((await b.app.inject('/v1/status')).json()).toMatchObject({ lastGc: null, gc: { runs: 0 } })
      let bAnswered = false
      byB = b.app.inject({ method: 'POST', url: '/v1/gc' }).then((res) => {
        bAnswered = true
        return res
      })
      await new Promise((resolve) => setTimeout(resolve, 400))
      expect(bAnswered).toBe(false)
    } finally {
      slow.release()
    }
    if (byB === undefined) throw new Error('unreachable')
    const [runA, runB] = [(await byA).json(), (await byB).json()]
    expect(runA).toMatchObject({ ok: true, reclaimedObjects: 1 })
    expect(runB).toMatchObject({ ok: true, reclaimedObjects: 0 })
    expect(Date.parse(runB.startedAt)).toBeGreaterThanOrEqual(Date.parse(runA.finishedAt))
    expect(bucket.size).toBe(0)
  }, 30_000)
})
