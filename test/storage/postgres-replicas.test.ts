// Replicas of one PostgreSQL log (replica.ts): each entry records its owner, and a replica's recovery scope
// holds its own entries and those of replicas that are gone, never a live one's; one replica adopts each
// gone one (its advisory lock decides), and lets it go once nothing of it is left to recover.
import { expect, it } from 'vitest'
import type { PendingCommit } from '../../src/domain/ports.js'
import type { PostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import { freshDatabase, openLogs, withPostgres } from '../support/postgres.js'

const pending = (sessionId: string, n: number): PendingCommit => ({
  id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`, sessionId, message: null, metadata: null,
  artifacts: [{ name: `a${n}.txt`, sha256: 'ab'.repeat(32), size: 1, mediaType: 'text/plain' }],
  newSessionDeadline: null,
})

/** Ends a replica as a crash would: the server drops every connection of its pool, and with them its lock (waited for). */
async function killConnections(by: PostgresLog, victim: PostgresLog): Promise<void> {
  await by.run.sql`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ${`artifact-ledger/${victim.replica.id}`}`
}

withPostgres('replicas of a PostgreSQL log', (server) => {
  const open = openLogs()

  it('records the owner of every entry, and recovers only its own and a dead replica\'s', async () => {
    const url = await freshDatabase(server())
    const a = await open(url)
    const b = await open(url)
    const seqA = await a.log.insertPending(pending('s1', 1))
    const seqB = await b.log.insertPending(pending('s2', 2))
    const owners = await a.run.sql<{ seq: number; owner: string }[]>`SELECT seq, owner FROM commits ORDER BY seq`
    expect(owners).toEqual([{ seq: seqA, owner: a.replica.id }, { seq: seqB, owner: b.replica.id }])
    const entries = await a.log.pendingCommits()
    // A live replica's in-flight entry is never another's to recover, at start-up or while serving.
    expect((await b.replica.mine(entries)).map((e) => e.seq)).toEqual([seqB])
    expect((await b.replica.orphaned(entries)).map((e) => e.seq)).toEqual([])
    expect((await a.replica.orphaned(entries)).map((e) => e.seq)).toEqual([])

    await killConnections(b, a)
    expect((await b.replica.orphaned(entries)).map((e) => e.seq)).toEqual([seqA])
    expect((await b.replica.mine(entries)).map((e) => e.seq)).toEqual([seqA, seqB])
  })

  it('lets one replica at a time take over a dead one, and forgets it once its entries are recovered', async () => {
    const url = await freshDatabase(server())
    const dead = await open(url)
    const [b, c] = [await open(url), await open(url)]
    const seq = await dead.log.insertPending(pending('s1', 1))
    await killConnections(b, dead)
    const entries = await b.log.pendingCommits()
    const [byB, byC] = await Promise.all([b.replica.orphaned(entries), c.replica.orphaned(entries)])
    // Exactly one of them adopted it; it stays that one's until recovered.
    expect([byB.length, byC.length].sort()).toEqual([0, 1])
    const [taker, other] = byB.length === 1 ? [b, c] : [c, b]
    expect(await other.replica.orphaned(entries)).toEqual([])
    expect((await taker.replica.orphaned(entries)).map((e) => e.seq)).toEqual([seq])

    await taker.log.markAborted(seq, { code: 'service_restarted', detail: 'test' })
    await taker.log.markSettled(seq)
    // Nothing of the dead replica is left to recover: its row goes at the next look.
    await taker.replica.orphaned([])
    const replicas = (await b.run.sql<{ id: string }[]>`SELECT id FROM replicas`).map((r) => r.id).sort()
    expect(replicas).toEqual([b.replica.id, c.replica.id].sort())
  })

  it('forgets a dead replica that left nothing to recover, and announces itself anew after losing its connection', async () => {
    const url = await freshDatabase(server())
    const [dead, b, c] = [await open(url), await open(url), await open(url)]
    await killConnections(b, dead)
    await b.replica.orphaned([])
    const ids = async (): Promise<string[]> => (await b.run.sql<{ id: string }[]>`SELECT id FROM replicas`).map((r) => r.id).sort()
    expect(await ids()).toEqual([b.replica.id, c.replica.id].sort())

    // B's connections go (a network blip) while it writes: its lock went with them, so C takes it for dead…
    const seq = await b.log.insertPending(pending('s1', 1))
    await killConnections(c, b)
    expect((await c.replica.orphaned(await c.log.pendingCommits())).map((e) => e.seq)).toEqual([seq])
    // …and while C holds it, B recovers nothing (it might be taken for dead itself).
    expect(await b.replica.orphaned(await b.log.pendingCommits())).toEqual([])
    await c.log.markAborted(seq, { code: 'service_restarted', detail: 'test' })
    await c.log.markSettled(seq)
    await c.replica.orphaned([])
    // C has let go: B announces itself again at its next look, and is alive to C once more.
    await b.replica.orphaned([])
    expect(await ids()).toEqual([b.replica.id, c.replica.id].sort())
    const again = await b.log.insertPending(pending('s1', 2))
    expect(await c.replica.orphaned(await c.log.pendingCommits())).toEqual([])
    expect((await b.replica.mine(await b.log.pendingCommits())).map((e) => e.seq)).toEqual([again])
  })

  it('leaves the list of replicas when closed', async () => {
    const url = await freshDatabase(server())
    const a = await open(url)
    const b = await open(url)
    await a.log.close()
    expect((await b.run.sql<{ id: string }[]>`SELECT id FROM replicas`).map((r) => r.id)).toEqual([b.replica.id])
  })
})
