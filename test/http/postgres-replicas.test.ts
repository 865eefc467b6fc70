// Two replicas of the service on one PostgreSQL log and one shared object store (in memory), each with
// its own data dir: a replica that starts
// leaves another's commit in flight alone, and once that replica dies it aborts the commit within 30 s,
// while the dead replica's late attempt to finish it is refused. Idempotency-Key across replicas:
// postgres-idempotency.test.ts.
import { afterEach, expect, it } from 'vitest'
import { MemoryObjectStore } from '../../src/storage/memory/object-store.js'
import { postgresStorage } from '../../src/storage/open-storage.js'
import { openPostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import postgres from 'postgres'
import { freshDatabase, withPostgres } from '../support/postgres.js'
import { killAllServers, startServer } from '../support/server-process.js'
import { makeDataDir, startLedger, type TestLedger } from '../support/start-ledger.js'
import { StallingObjects, waitFor } from '../support/stalling-objects.js'

withPostgres('replicas of the service on one PostgreSQL log', (server) => {
  const ledgers: TestLedger[] = []
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((t) => t.cleanup()))
    await killAllServers()
  })

  it('leaves a live replica\'s commit in flight alone, and aborts it within 30 s of that replica dying', async () => {
    const url = await freshDatabase(server())
    const pgA = await openPostgresLog(url)
    const bucket = new Map<string, Buffer>()
    const stalling = new StallingObjects(bucket)
    const a = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pgA, fs, stalling), settings: { replicaSweepIntervalMs: 0 } })
    ledgers.push(a)
    expect((await a.app.inject({ method: 'PUT', url: '/v1/sessions/s1/artifacts/before.txt', payload: 'committed before' })).statusCode).toBe(201)

    stalling.hold()
    const inFlight = a.app.inject({ method: 'PUT', url: '/v1/sessions/s1/artifacts/held.txt', payload: 'held in flight' })
    const [entry] = await waitFor('the pending entry', async () => {
      const entries = await pgA.log.pendingCommits()
      return entries.length > 0 ? entries : undefined
    }, 10_000)
    if (entry === undefined) throw new Error('unreachable')

    // Replica B starts (recovery included) and sweeps often: none of it touches A's commit while A lives.
    const pgB = await openPostgresLog(url)
    const b = await startLedger({
      storage: (dataDir, fs) => postgresStorage(dataDir, pgB, fs, new MemoryObjectStore(bucket)), settings: { replicaSweepIntervalMs: 100 },
    })
    ledgers.push(b)
    expect(b.ledger.state.lastRecovery).toMatchObject({ abortedCommits: 0, settledCommits: 0 })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(await pgB.log.commitBySeq(entry.seq)).toMatchObject({ state: 'pending' })
    // B serves meanwhile, from the same log.
    expect((await b.app.inject('/v1/sessions/s1/artifacts/before.txt')).body).toBe('committed before')

    // A dies: the server drops its connections, and with them the lock that said it was alive.
    const died = Date.now()
    await pgB.run.sql`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ${`artifact-ledger/${pgA.replica.id}`}`
    const aborted = await waitFor('B to abort A\'s commit', async () => {
      const record = await pgB.log.commitBySeq(entry.seq)
      return record?.state === 'aborted' ? record : undefined
    }, 30_000)
    expect(Date.now() - died).toBeLessThan(30_000)
    expect(aborted).toMatchObject({ error: { code: 'service_restarted' } })
    // Settled as well: nothing of A's is left for recovery.
    expect(await pgB.log.unsettledCommits()).toEqual([])

    // A's process was not really gone: its late attempt to finish the commit is refused, never a 2xx.
    stalling.release()
    const late = await inFlight
    expect(late.json()).toMatchObject({ status: 500, code: 'storage_fault' })
    expect((await b.app.inject('/v1/sessions/s1/artifacts/held.txt')).statusCode).toBe(404)
    expect((await b.app.inject('/v1/status')).json()).toMatchObject({ commits: { committed: 1, pending: 0, aborted: 1 } })
  }, 60_000)

  it('re-checks a session If-Match as the commit lands, so a commit through another replica in between wins', async () => {
    const url = await freshDatabase(server())
    const bucket = new Map<string, Buffer>()
    const stalling = new StallingObjects(bucket)
    const [pgA, pgB] = [await openPostgresLog(url), await openPostgresLog(url)]
    const a = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pgA, fs, stalling) })
    const b = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, pgB, fs, new MemoryObjectStore(bucket)) })
    ledgers.push(a, b)
    const post = (t: TestLedger, text: string, ifMatch: string) => t.app.inject({
      method: 'POST', url: '/v1/sessions/s1/commits', headers: { 'if-match': ifMatch }, payload: { artifacts: [{ name: 'notes.txt', text }] },
    })
    const first = await a.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'notes.txt', text: 'v1' }] } })
    const head = first.headers.etag as string
    stalling.hold()
    // A checks If-Match (it holds), then stalls writing; B commits against the same head meanwhile.
    const fromA = post(a, 'from A', head)
    await waitFor('A\'s pending entry', async () => ((await pgA.log.pendingCommits()).length > 0 ? true : undefined), 10_000)
    const fromB = await post(b, 'from B', head)
    expect(fromB.statusCode).toBe(201)
    stalling.release()
    const late = await fromA
    expect(late.json()).toMatchObject({ status: 412, code: 'precondition_failed', currentEtag: fromB.headers.etag })
    expect((await b.app.inject('/v1/sessions/s1/artifacts/notes.txt')).body).toBe('from B')
    expect((await b.app.inject('/v1/sessions/s1/artifacts/notes.txt?versions')).json().versions).toHaveLength(2)
  })

  it('as built servers: a replica killed with kill -9 has its pending commit aborted by another within 30 s', async () => {
    const url = await freshDatabase(server())
    const env = { LOG_URL: url, CANARY_INTERVAL_MS: '0', REPLICA_SWEEP_INTERVAL_MS: '500' }
    const sql = postgres(url, { max: 1, onnotice: false })
    try {
      const a = await startServer({ dataDir: await makeDataDir(), env })
      await a.waitReady()
      const [replicaA] = await sql<{ id: string }[]>`SELECT id FROM replicas`
      if (replicaA === undefined) throw new Error('replica A did not announce itself')
      // A commit of A's in flight, as A's own connection would write it (the server's commits finish too fast to catch).
      const [row] = await sql<{ seq: string }[]>`INSERT INTO commits (id, session_id, state, created_at, owner)
        VALUES ('00000000-0000-7000-8000-000000000001', 's1', 'pending', ${new Date().toISOString()}, ${replicaA.id}) RETURNING seq`
      const b = await startServer({ dataDir: await makeDataDir(), env })
      await b.waitReady()
      const stateOf = async (): Promise<string | undefined> => (await sql<{ state: string }[]>`SELECT state FROM commits WHERE seq = ${row?.seq ?? 0}`)[0]?.state
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(await stateOf()).toBe('pending')

      await a.kill('SIGKILL')
      const died = Date.now()
      await waitFor('B to abort the dead replica\'s commit', async () => ((await stateOf()) === 'aborted' ? true : undefined), 30_000)
      expect(Date.now() - died).toBeLessThan(30_000)
      // The dead replica is forgotten; B stays.
      await waitFor('A\'s row to go', async () => ((await sql`SELECT 1 FROM replicas`).length === 1 ? true : undefined), 10_000)
      await b.kill('SIGTERM')
    } finally {
      await sql.end({ timeout: 1 })
    }
  }, 60_000)
})
