// One throwaway PostgreSQL per test file (scripts/postgres.mjs), a fresh database per fixture. Without
// PostgreSQL installed the suites that need it skip, saying why, unless REQUIRE_POSTGRES=1 (CI) makes that a failure.
import { afterAll, afterEach, beforeAll, describe, it } from 'vitest'
import { createDatabase, postgresUnavailable, startPostgres, type ThrowawayPostgres } from '../../scripts/postgres.mjs'
import { openPostgresLog, type PostgresLog } from '../../src/storage/postgres/open-postgres-log.js'

const required = process.env.REQUIRE_POSTGRES === '1'
let databases = 0

/**
 * Declares `define` inside a describe that starts PostgreSQL before its tests and stops it after; `server()`
 * gives the running one. Skips (or, with REQUIRE_POSTGRES=1, fails) when PostgreSQL cannot run here.
 */
export function withPostgres(title: string, define: (server: () => ThrowawayPostgres) => void): void {
  const unavailable = postgresUnavailable()
  if (unavailable !== undefined) {
    if (required) {
      describe(title, () => {
        it('needs PostgreSQL (REQUIRE_POSTGRES=1)', () => {
          throw new Error(`PostgreSQL is required but unavailable: ${unavailable}`)
        })
      })
    } else {
      console.warn(`skipping ${title}: ${unavailable}; set REQUIRE_POSTGRES=1 to make this a failure`)
      describe.skip(title, () => define(() => {
        throw new Error('unreachable')
      }))
    }
    return
  }
  describe(title, () => {
    let running: ThrowawayPostgres | undefined
    beforeAll(async () => {
      running = await startPostgres()
    })
    afterAll(async () => {
      await running?.stop()
    })
    define(() => {
      if (running === undefined) throw new Error('PostgreSQL did not start')
      return running
    })
  })
}

/** A fresh, empty database on the server: its url. */
export function freshDatabase(server: ThrowawayPostgres): Promise<string> {
  return createDatabase(server.adminUrl, `t_${process.pid}_${++databases}`)
}

/**
 * For a describe of withPostgres: opens PostgreSQL logs (replicas, each with its pool) and closes every one
 * after each test. A close that fails is dropped: tests end replicas as a crash would (their connections
 * terminated), and such a pool has nothing left to close.
 */
export function openLogs(): (url: string) => Promise<PostgresLog> {
  const opened: PostgresLog[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((pg) => pg.log.close().catch(() => undefined)))
  })
  return async (url) => {
    const pg = await openPostgresLog(url)
    opened.push(pg)
    return pg
  }
}
