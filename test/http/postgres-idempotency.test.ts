// Idempotency-Key across two replicas of the service on one PostgreSQL log (each with its own data dir, objects in
// one shared bucket): a duplicate through the other replica waits for the attempt holding the key and replays it,
// runs once that attempt failed, and gives up with a retryable 503, and none of them leaves an entry of its own.
import { afterEach, expect, it } from 'vitest'
import { StorageFault } from '../../src/domain/errors.js'
import { postgresStorage } from '../../src/storage/open-storage.js'
import { openPostgresLog, type PostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import { freshDatabase, withPostgres } from '../support/postgres.js'
import { StallingObjects, waitFor } from '../support/stalling-objects.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'
import type { LedgerSettings } from '../../src/ledger/settings.js'

interface Replica {
  ledger: TestLedger
  log: PostgresLog
  objects: StallingObjects
}

withPostgres('Idempotency-Key across replicas of one PostgreSQL log', (server) => {
  const ledgers: TestLedger[] = []
  afterEach(async () => {
    await Promise.all(ledgers.splice(0).map((t) => t.cleanup()))
  })

  async function twoReplicas(settingsOfB: Partial<LedgerSettings> = {}): Promise<[Replica, Replica]> {
    const url = await freshDatabase(server())
    const bucket = new Map<string, Buffer>()
    const start = async (settings: Partial<LedgerSettings>): Promise<Replica> => {
      const log = await openPostgresLog(url)
      const objects = new StallingObjects(bucket)
      const ledger = await startLedger({ storage: (dataDir, fs) => postgresStorage(dataDir, log, fs, objects), settings })
      ledgers.push(ledger)
      return { ledger, log, objects }
    }
    return [await start({}), await start(settingsOfB)]
  }

  const post = (r: Replica, text: string, key = 'k1') => r.ledger.app.inject({
    method: 'POST', url: '/v1/sessions/s1/commits', headers: { 'idempotency-key': key }, payload: { artifacts: [{ name: 'notes.txt', text }] },
  })
  const entries = async (r: Replica) => (await r.ledger.app.inject('/v1/commits?limit=100')).json<{ commits: { seq: number; state: string }[] }>().commits
  const pendingEntry = (r: Replica) => waitFor('a pending entry', async () => (await r.log.log.pendingCommits())[0], 10_000)
  /** True when the request has had its answer within 300 ms. */
  function isAnswered(request: Promise<unknown>): Promise<boolean> {
    return Promise.race([request.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 300))])
  }

  it('answers 8 concurrent duplicates split across both replicas with one commit, and the log lists that entry alone', async () => {
    const [a, b] = await twoReplicas()
    // Both replicas hold their writes, so each gets its attempt as far as the log before either commits.
    a.objects.hold()
    b.objects.hold()
    const requests = Array.from({ length: 8 }, (_, i) => post(i % 2 === 0 ? a : b, 'once'))
    await pendingEntry(a)
    await new Promise((resolve) => setTimeout(resolve, 300))
    a.objects.release()
    b.objects.release()
    const answers = await Promise.all(requests)
    expect(answers.map((r) => r.statusCode)).toEqual(Array(8).fill(201))
    expect(new Set(answers.map((r) => r.json().id)).size).toBe(1)
    expect(answers.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1)
    expect(await entries(a)).toEqual([expect.objectContaining({ seq: answers[0]?.json().seq, state: 'committed' })])
    expect((await b.ledger.app.inject('/v1/status')).json()).toMatchObject({ commits: { committed: 1, failed: 0, aborted: 0, pending: 0 } })
  })

  it('replays a duplicate whose If-None-Match the same request, committed through the other replica meanwhile, made false', async () => {
    const [a, b] = await twoReplicas()
    // B's lock of session s1 is taken by a commit of B's own held in flight: B's duplicate looks for its key
    // (not held yet), then waits for that lock before it checks If-None-Match.
    b.objects.hold()
    const blocker = b.ledger.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'other.txt', text: 'in flight' }] } })
    await pendingEntry(b)
    const put = (r: Replica) => r.ledger.app.inject({
      method: 'PUT', url: '/v1/sessions/s1/artifacts/report.txt', payload: 'the report',
      headers: { 'content-type': 'text/plain', 'if-none-match': '*', 'idempotency-key': 'put-1' },
    })
    const throughB = put(b)
    expect(await isAnswered(throughB)).toBe(false)
    const throughA = await put(a)
    expect(throughA.statusCode).toBe(201)
    b.objects.release()
    expect((await blocker).statusCode).toBe(201)
    const duplicate = await throughB
    expect(duplicate.statusCode, duplicate.body).toBe(201)
    expect(duplicate.json().id).toBe(throughA.json().id)
    expect(duplicate.headers['idempotent-replayed']).toBe('true')
    // The blocker and the PUT: the duplicate, refused before it took the key, wrote no entry.
    expect((await entries(a)).map((e) => e.state)).toEqual(['committed', 'committed'])
  })

  it('makes a duplicate through the other replica wait while the first is in flight, then replays it; another body is a 409 at once', async () => {
    const [a, b] = await twoReplicas()
    a.objects.hold()
    const fromA = post(a, 'once')
    const holder = await pendingEntry(a)
    const fromB = post(b, 'once')
    expect(await isAnswered(fromB)).toBe(false)
    // The holder's request is known even in flight: a different body under its key is refused without waiting.
    const other = await post(b, 'other')
    expect(other.json()).toMatchObject({ status: 409, code: 'idempotency_key_reused' })
    a.objects.release()
    const [first, duplicate] = await Promise.all([fromA, fromB])
    expect(first.statusCode).toBe(201)
    expect(first.json()).toMatchObject({ seq: holder.seq, state: 'committed' })
    expect(duplicate.statusCode).toBe(201)
    expect(duplicate.headers['idempotent-replayed']).toBe('true')
    expect(duplicate.json()).toEqual(first.json())
    // One version, and one entry under the key (the 409 is recorded as the failed request it was, under no key).
    expect((await b.ledger.app.inject('/v1/sessions/s1/artifacts/notes.txt?versions')).json().versions).toHaveLength(1)
    expect((await entries(b)).filter((e) => e.state === 'committed').map((e) => e.seq)).toEqual([holder.seq])
    expect((await entries(b)).filter((e) => e.state === 'pending')).toEqual([])
  })

  it('runs the waiting duplicate once the attempt holding the key fails: the failure does not consume the key', async () => {
    const [a, b] = await twoReplicas()
    a.objects.hold()
    const fromA = post(a, 'once')
    const failedEntry = await pendingEntry(a)
    const fromB = post(b, 'once')
    expect(await isAnswered(fromB)).toBe(false)
    a.objects.release(new StorageFault('the bucket refused the write', { step: 'publish' }))
    const [failed, retried] = await Promise.all([fromA, fromB])
    expect(failed.json()).toMatchObject({ status: 500, code: 'storage_fault' })
    expect(retried.statusCode).toBe(201)
    expect(retried.headers['idempotent-replayed']).toBeUndefined()
    expect(await entries(b)).toEqual([
      expect.objectContaining({ seq: failedEntry.seq, state: 'failed' }),
      expect.objectContaining({ seq: retried.json().seq, state: 'committed' }),
    ])
    expect(await b.log.log.idempotencyKey('s1', 'k1')).toMatchObject({ commitSeq: retried.json().seq, state: 'committed' })
  })

  it('answers a duplicate that waited past its bound 503 idempotency_key_in_flight with Retry-After, leaving no entry; a retry replays', async () => {
    const [a, b] = await twoReplicas({ idempotencyWaitMs: 400 })
    a.objects.hold()
    const fromA = post(a, 'once')
    const holder = await pendingEntry(a)
    const started = Date.now()
    const gaveUp = await post(b, 'once')
    expect(Date.now() - started).toBeGreaterThanOrEqual(300)
    expect(gaveUp.statusCode).toBe(503)
    expect(gaveUp.headers['retry-after']).toBe('1')
    expect(gaveUp.json()).toMatchObject({ code: 'idempotency_key_in_flight' })
    expect((await entries(b)).map((e) => [e.seq, e.state])).toEqual([[holder.seq, 'pending']])
    a.objects.release()
    expect((await fromA).statusCode).toBe(201)
    const retry = await post(b, 'once')
    expect(retry.statusCode).toBe(201)
    expect(retry.headers['idempotent-replayed']).toBe('true')
    expect((await entries(b)).map((e) => [e.seq, e.state])).toEqual([[holder.seq, 'committed']])
  })

  it('outwaits a holder whose replica died: the sweep aborts its entry, lets the key go, and the duplicate commits', async () => {
    const [a, b] = await twoReplicas({ replicaSweepIntervalMs: 100 })
    a.objects.hold()
    const fromA = post(a, 'once')
    const orphan = await pendingEntry(a)
    const fromB = post(b, 'once')
    expect(await isAnswered(fromB)).toBe(false)
    // A dies: the server drops its connections, and with them the lock that said it was alive.
    await b.log.run.sql`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ${`artifact-ledger/${a.log.replica.id}`}`
    const committed = await fromB
    expect(committed.statusCode).toBe(201)
    expect(committed.headers['idempotent-replayed']).toBeUndefined()
    expect(await b.log.log.commitBySeq(orphan.seq)).toMatchObject({ state: 'aborted', error: { code: 'service_restarted' } })
    a.objects.release()
    // A's own attempt fails (its entry was aborted under it), but the same request was carried out through B:
    // A answers with that commit, as any later retry would.
    const late = await fromA
    expect(late.statusCode, late.body).toBe(201)
    expect(late.json().id).toBe(committed.json().id)
    expect(late.headers['idempotent-replayed']).toBe('true')
    expect((await entries(b)).filter((e) => e.state === 'committed').map((e) => e.seq)).toEqual([committed.json().seq])
  }, 60_000)
})
