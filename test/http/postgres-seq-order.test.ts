// SPEC "Scale-out mode": a reader paging /v1/commits by seq never misses a commit that becomes visible later.
// Every transaction that appends to the PostgreSQL log takes the log's write lock before its seq is handed
// out and keeps it past its commit (pg-runner.ts), so entries become visible in seq order whichever replica
// wrote them. Here writers on two replicas append every kind of entry while a reader pages through both.
import type { InjectOptions } from 'fastify'
import { afterEach, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../src/storage/memory/object-store.js'
import { postgresStorage } from '../../src/storage/open-storage.js'
import { openPostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import { freshDatabase, withPostgres } from '../support/postgres.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

/** Every kind of entry a writer appends: commits, a PUT, an expect, a deletion, a close. */
async function write(t: TestLedger, replica: string, n: number): Promise<void> {
  const sid = `${replica}-${n % 4}`
  const statuses: number[] = []
  const send = async (request: InjectOptions): Promise<void> => {
    statuses.push((await t.app.inject(request)).statusCode)
  }
  await send({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: [{ name: `f${n}.txt`, text: `${replica} ${n}` }] } })
  await send({ method: 'PUT', url: `/v1/sessions/${sid}/artifacts/p${n}.txt`, payload: `put ${replica} ${n}` })
  await send({ method: 'POST', url: `/v1/sessions/${sid}/expected`, payload: { add: [`e${n}.txt`] } })
  await send({ method: 'DELETE', url: `/v1/sessions/${sid}/artifacts/f${n}.txt` })
  if (n % 4 === 3) await send({ method: 'POST', url: `/v1/sessions/${replica}-closed-${n}/commits`, payload: { artifacts: [{ name: 'a.txt', text: 'x' }] } })
  if (n % 4 === 3) await send({ method: 'POST', url: `/v1/sessions/${replica}-closed-${n}/complete`, payload: {} })
  expect(statuses.every((status) => status < 300)).toBe(true)
}

withPostgres('seq order across replicas of a PostgreSQL log', (server) => {
  const ledgers: TestLedger[] = []
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((t) => t.cleanup()))
  })

  it('lets a reader paging /v1/commits by seq through either replica collect every entry two replicas append', async () => {
    const url = await freshDatabase(server())
    const bucket = new Map<string, Buffer>()
    const [pgA, pgB] = [await openPostgresLog(url), await openPostgresLog(url)]
    const a = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pgA, fs, new MemoryObjectStore(bucket)) })
    const b = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pgB, fs, new MemoryObjectStore(bucket)) })
    ledgers.push(a, b)

    let writing = true
    const writers = Promise.all(['a', 'b'].flatMap((replica) => [0, 1, 2].map(async (lane) => {
      for (let n = lane; n < 24; n += 3) await write(replica === 'a' ? a : b, `${replica}${lane}`, n)
    }))).finally(() => {
      writing = false
    })

    // Pages of 7 through A and B by turns, each after the last seq seen, as a tailing reader would.
    const seen: number[] = []
    let pages = 0
    const readPage = async (): Promise<number> => {
      const reader = pages++ % 2 === 0 ? a : b
      const res = await reader.app.inject(`/v1/commits?since=${seen.at(-1) ?? 0}&limit=7`)
      expect(res.statusCode).toBe(200)
      const seqs = (res.json().commits as { seq: number }[]).map((entry) => entry.seq)
      seen.push(...seqs)
      return seqs.length
    }
    while (writing) {
      if ((await readPage()) === 0) await new Promise((resolve) => setImmediate(resolve))
    }
    await writers
    while ((await readPage()) > 0);

    const all: number[] = []
    for (let since = 0; ;) {
      const page = (await a.app.inject(`/v1/commits?since=${since}&limit=500`)).json().commits as { seq: number }[]
      if (page.length === 0) break
      all.push(...page.map((entry) => entry.seq))
      since = all.at(-1) ?? since
    }
    expect(all.length).toBeGreaterThan(6 * 8 * 4)
    expect(seen).toEqual(all)
    expect(pages).toBeGreaterThan(20)
  }, 120_000)
})
