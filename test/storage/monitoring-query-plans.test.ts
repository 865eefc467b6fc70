// Monitoring at any size: every statement GET /v1/status, /metrics and /health/* run on ledger.db is a
// lookup in an index (or a bounded table), never a scan of a table that grows with the log. The
// statements are the ones the routes really run, caught as the SQLite adapter prepares them.
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { LedgerPorts } from '../../src/domain/ports.js'
import type { DurableFs } from '../../src/storage/files/fs-seam.js'
import { openLocalStorage } from '../../src/storage/open-storage.js'
import type { Db } from '../../src/storage/sqlite/ledger-db.js'
import { SqlRunner } from '../../src/storage/sqlite/sql-runner.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

/** Plans that cost O(1) or O(log n): a search through a key or an index; scrub_runs and gc_runs, kept to 100 rows. */
const BOUNDED_PLAN = [
  /^SEARCH \w+ USING (COVERING INDEX|INDEX|PRIMARY KEY|INTEGER PRIMARY KEY)\b/,
  /^SCAN scrub_runs$/,
  /^SCAN gc_runs$/,
]
const TRANSACTION_CONTROL = /^(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/

let t: TestLedger | undefined
afterEach(async () => {
  vi.restoreAllMocks()
  await t?.cleanup()
  t = undefined
})

/** The plan of a statement, one line per step, its parameters bound to NULL (plans do not depend on them here). */
function planOf(db: Db, sql: string): string[] {
  const parameters = (sql.match(/\?/g) ?? []).map(() => null)
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...parameters) as { detail: string }[]).map((row) => row.detail)
}

describe('the statements behind status, metrics and health', () => {
  it('read ledger.db only through keys and indexes, and liveness does not read it at all', async () => {
    let db: Db | undefined
    let ports: LedgerPorts | undefined
    t = await startLedger({
      storage: (dataDir: string, fs?: DurableFs) => {
        ;({ db, ports } = openLocalStorage(dataDir, fs))
        return ports
      },
      // The plain-view flusher's timer reads the log on its own (its checkpoint): an hour apart, so every
      // statement recorded below is one a request made.
      settings: { plainViewFlushMs: 3_600_000 },
    })
    const { app } = t
    const commit = (sid: string, name: string) => app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: [{ name, text: 'one' }] } })
    expect((await commit('s1', 'a.txt')).statusCode).toBe(201)
    expect((await commit('s1', '../bad')).statusCode).toBe(422)
    expect((await t.app.inject({ method: 'POST', url: '/v1/sessions/s2/complete', payload: { error: { type: 'E', message: 'm' } } })).statusCode).toBe(200)
    // A session past its deadline: status closes it first, so that path is in the plans too.
    await ports?.sessions.withTransaction((tx) => tx.updateSession('due', { expectedArtifacts: ['x'] }, { newSessionDeadline: '2000-01-01T00:00:00.000Z' }))

    const prepared = vi.spyOn(SqlRunner.prototype, 'sql')
    expect((await t.app.inject('/health/live')).statusCode).toBe(200)
    expect(prepared).not.toHaveBeenCalled()
    for (const url of ['/v1/status', '/metrics', '/health/ready']) expect((await t.app.inject(url)).statusCode, url).toBe(200)

    const statements = [...new Set(prepared.mock.calls.map(([sql]) => sql.replace(/\s+/g, ' ').trim()))].filter((sql) => !TRANSACTION_CONTROL.test(sql))
    // The reads status is made of: counters (and the newest commit and failure they name), recent closed sessions, the last scrub.
    for (const expected of ['FROM counters', 'FROM commits WHERE seq = ?', 'sessions_recently_closed', 'scrub_runs', 'gc_runs', 'gc_totals']) {
      expect(statements.some((sql) => sql.includes(expected) || planOf(db as Db, sql).some((line) => line.includes(expected))), expected).toBe(true)
    }
    const unbounded = statements.flatMap((sql) => planOf(db as Db, sql)
      .filter((line) => !BOUNDED_PLAN.some((ok) => ok.test(line)))
      .map((line) => `${sql}\n    → ${line}`))
    expect(unbounded).toEqual([])
  })
})
