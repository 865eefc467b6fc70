// Opens the log on PostgreSQL: connects, migrates, and returns the log-side ports over one pool.
import { PgBookkeeping } from './bookkeeping.js'
import { PgCommitLog } from './commit-log.js'
import { PgLogProbe } from './log-probe.js'
import { toStorageFailure } from './pg-errors.js'
import { connect, PgRunner } from './pg-runner.js'
import { migrate } from './pg-schema.js'
import { PgSessionStore } from './session-store.js'

export interface PostgresLog {
  log: PgCommitLog
  sessions: PgSessionStore
  bookkeeping: PgBookkeeping
  probe: PgLogProbe
  run: PgRunner
}

export async function openPostgresLog(url: string, options: { max?: number } = {}): Promise<PostgresLog> {
  const sql = connect(url, options)
  try {
    await migrate(sql)
  } catch (error) {
    await sql.end({ timeout: 1 })
    throw toStorageFailure('log-migrate', error)
  }
  const run = new PgRunner(sql)
  return { log: new PgCommitLog(run), sessions: new PgSessionStore(run), bookkeeping: new PgBookkeeping(run), probe: new PgLogProbe(run), run }
}
