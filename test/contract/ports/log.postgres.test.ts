// The log contract and the counters contract on PostgreSQL: a throwaway server for this file, a fresh
// database per test, `reopen` a new pool over the same database.
import { openPostgresLog } from '../../../src/storage/postgres/open-postgres-log.js'
import { freshDatabase, withPostgres } from '../../support/postgres.js'
import { logCountersContract } from './log-counters.suite.js'
import { logIdempotencyContract } from './log-idempotency.suite.js'
import { logContract, type LogFixture } from './log.suite.js'

async function openPostgres(url: string): Promise<LogFixture> {
  const { log, sessions, bookkeeping } = await openPostgresLog(url)
  return {
    log,
    sessions,
    bookkeeping,
    reopen: async () => {
      await log.close()
      return openPostgres(url)
    },
    close: () => log.close(),
  }
}

withPostgres('PostgreSQL log adapter', (server) => {
  for (const contract of [logContract, logCountersContract, logIdempotencyContract]) {
    contract('PostgreSQL', async () => openPostgres(await freshDatabase(server())))
  }
})
