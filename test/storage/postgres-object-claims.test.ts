// Object claims across replicas of one PostgreSQL log (object-claims.ts): another replica's pending entry
// keeps an object from being deleted, and a deletion under way holds back a pending entry naming its object
// until the object is gone, so that commit's upload finds it absent and writes it.
import { expect, it } from 'vitest'
import type { PendingCommit } from '../../src/domain/ports.js'
import { InProcessObjectClaims } from '../../src/storage/in-process/coordination.js'
import { PgObjectClaims } from '../../src/storage/postgres/object-claims.js'
import type { PostgresLog } from '../../src/storage/postgres/open-postgres-log.js'
import { freshDatabase, openLogs, withPostgres } from '../support/postgres.js'

const X = 'ab'.repeat(32)

const pending = (sessionId: string, n: number): PendingCommit => ({
  id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`, sessionId, message: null, metadata: null,
  artifacts: [{ name: `a${n}.txt`, sha256: X, size: 1, mediaType: 'text/plain' }],
  newSessionDeadline: null,
})

const claimsOf = (pg: PostgresLog): PgObjectClaims => new PgObjectClaims(pg.run.sql, pg.replica, new InProcessObjectClaims())

withPostgres('object claims across replicas of a PostgreSQL log', (server) => {
  const open = openLogs()

  it('leaves an object another replica\'s pending entry names, and removes it once that entry has ended and settled', async () => {
    const url = await freshDatabase(server())
    const [a, b] = [await open(url), await open(url)]
    const [claimsA, claimsB] = [claimsOf(a), claimsOf(b)]
    let removals = 0
    const remove = async (): Promise<void> => void removals++
    const seq = await b.log.insertPending(pending('s1', 1))

    expect(await claimsA.isClaimed(X)).toBe(true)
    expect(await claimsA.removeUnclaimed(X, remove)).toBe(false)
    expect(removals).toBe(0)
    // B's own entry is B's in-process claims' business: its failed commit's undo runs while the entry is pending.
    expect(await claimsB.isClaimed(X)).toBe(false)

    // Failed, not yet settled (its undo has not finished): still B's.
    await b.log.markFailed(seq, { code: 'storage_fault', detail: 'test' }, false)
    expect(await claimsA.removeUnclaimed(X, remove)).toBe(false)
    await b.log.markSettled(seq)
    expect(await claimsA.isClaimed(X)).toBe(false)
    expect(await claimsA.removeUnclaimed(X, remove)).toBe(true)
    expect(removals).toBe(1)
  })

  it('holds back another replica\'s pending entry naming the object until a deletion of it has finished', async () => {
    const url = await freshDatabase(server())
    const [a, b] = [await open(url), await open(url)]
    const events: string[] = []
    let finish!: () => void
    const removing = claimsOf(a).removeUnclaimed(X, () => new Promise<void>((resolve) => {
      events.push('removal in')
      finish = () => {
        events.push('removal out')
        resolve()
      }
    }))
    while (!events.includes('removal in')) await new Promise((resolve) => setTimeout(resolve, 5))
    const inserting = b.log.insertPending(pending('s1', 1)).then((seq) => {
      events.push('pending entry')
      return seq
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(events).toEqual(['removal in'])
    finish()
    expect(await removing).toBe(true)
    await inserting
    expect(events).toEqual(['removal in', 'removal out', 'pending entry'])
  })

  it('counts a dead replica\'s entries as claims only for the replicas that have not adopted it', async () => {
    const url = await freshDatabase(server())
    const [dead, b, c] = [await open(url), await open(url), await open(url)]
    await dead.log.insertPending(pending('s1', 1))
    await b.run.sql`SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = ${`artifact-ledger/${dead.replica.id}`}`
    // B takes the dead replica over: settling its entry includes deleting what nothing else needs.
    expect(await b.replica.orphaned(await b.log.pendingCommits())).toHaveLength(1)
    expect(await claimsOf(b).isClaimed(X)).toBe(false)
    expect(await claimsOf(c).isClaimed(X)).toBe(true)
  })
})
