import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GroupCommit } from '../../src/storage/sqlite/group-commit.js'
import { openLedgerDb, type Db } from '../../src/storage/sqlite/ledger-db.js'
import { SqlRunner } from '../../src/storage/sqlite/sql-runner.js'
import { makeDataDir } from '../support/start-ledger.js'

let db: Db
let group: GroupCommit
beforeEach(async () => {
  db = openLedgerDb(join(await makeDataDir(), 'ledger.db'))
  db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)')
  group = new GroupCommit(new SqlRunner(db), (error) => new Error(`commit failed: ${String(error)}`))
})
afterEach(() => {
  db.close()
})

const insert = (k: string) => () => db.prepare('INSERT INTO t (k, v) VALUES (?, ?)').run(k, 'x'.repeat(2000)).changes

describe('group commit', () => {
  it('lets writes submitted together share one transaction', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => group.submit(insert(`k${i}`))))
    expect(results).toEqual(Array(50).fill(1))
    expect(group.stats).toEqual({ flushes: 1, writes: 50 })
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(50)
  })

  it('does not make a lone writer wait for a batch', async () => {
    await group.submit(insert('alone'))
    await group.submit(insert('again'))
    expect(group.stats).toEqual({ flushes: 2, writes: 2 })
  })

  it('fails only the member that failed, keeping the others of its batch', async () => {
    await group.submit(insert('dup'))
    const outcomes = await Promise.allSettled([group.submit(insert('a')), group.submit(insert('dup')), group.submit(insert('b'))])
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((db.prepare("SELECT COUNT(*) AS n FROM t WHERE k IN ('a', 'b')").get() as { n: number }).n).toBe(2)
  })

  it('fails every member, and keeps none of their writes, when the database is full', async () => {
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`)
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => group.submit(insert(`full${i}`))))
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true)
    db.pragma('max_page_count = 1073741823')
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(0)
  })
})
