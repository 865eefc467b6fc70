// Opens the log on PostgreSQL: connects, migrates, announces this process as a replica (replica.ts), and
// returns the log-side ports over one pool.
import { randomUUID } from 'node:crypto'
import { PgBookkeeping } from './bookkeeping.js'
import { PgCommitLog } from './commit-log.js'
import { PgLogProbe } from './log-probe.js'
import { toStorageFailure } from './pg-errors.js'
import { connect, PgRunner } from './pg-runner.js'
import { migrate } from './pg-schema.js'
import { PgReplica } from './replica.js'
import { PgSessionStore } from './session-store.js'

export interface PostgresLog {
  log: PgCommitLog
  sessions: PgSessionStore
  bookkeeping: PgBookkeeping
  probe: PgLogProbe
  run: PgRunner
  /** This process as a replica of the log: the recovery scope of its coordination. */
  replica: PgReplica
}

export async function openPostgresLog(url: string, options: { max?: number } = {}): Promise<PostgresLog> {
  const replica = randomUUID()
  // One connection more than asked: the replica keeps one of its own for its life.
  const sql = connect(url, { max: (options.max ?? 10) + 1, replica })
  const run = new PgRunner(sql)
  const self = new PgReplica(replica, sql)
  try {
    await migrate(sql)
    await self.announce(run.now())
  } catch (error) {
    await sql.end({ timeout: 1 })
    throw toStorageFailure('log-migrate', error)
  }
  run.atClose(() => self.close())
  return { log: new PgCommitLog(run), sessions: new PgSessionStore(run), bookkeeping: new PgBookkeeping(run), probe: new PgLogProbe(run), run, replica: self }
}
