// Every log adapter against the one contract: SQLite (ledger.db under DATA_DIR), and memory.
import { join } from 'node:path'
import { MemoryCommitLog } from '../../../src/storage/memory/commit-log.js'
import { MemoryLogState } from '../../../src/storage/memory/log-state.js'
import { MemoryBookkeeping, MemorySessionStore } from '../../../src/storage/memory/session-store.js'
import { SqliteBookkeeping } from '../../../src/storage/sqlite/bookkeeping.js'
import { SqliteCommitLog } from '../../../src/storage/sqlite/commit-log.js'
import { openLedgerDb } from '../../../src/storage/sqlite/ledger-db.js'
import { SqliteSessionStore } from '../../../src/storage/sqlite/session-store.js'
import { SqlRunner } from '../../../src/storage/sqlite/sql-runner.js'
import { makeDataDir } from '../../support/start-ledger.js'
import { logCountersContract } from './log-counters.suite.js'
import { logIdempotencyContract } from './log-idempotency.suite.js'
import { logContract, type LogFixture } from './log.suite.js'

function openSqlite(dataDir: string): LogFixture {
  const run = new SqlRunner(openLedgerDb(join(dataDir, 'ledger.db')))
  const sessions = new SqliteSessionStore(run)
  const log = new SqliteCommitLog(run, sessions)
  return {
    log,
    sessions,
    bookkeeping: new SqliteBookkeeping(run),
    reopen: async () => {
      await log.close()
      return openSqlite(dataDir)
    },
    close: () => log.close(),
  }
}

function openMemory(): LogFixture {
  const state = new MemoryLogState()
  const log = new MemoryCommitLog(state)
  return { log, sessions: new MemorySessionStore(state), bookkeeping: new MemoryBookkeeping(state), close: () => log.close() }
}

for (const contract of [logContract, logCountersContract, logIdempotencyContract]) {
  contract('SQLite', async () => openSqlite(await makeDataDir()))
  contract('memory', async () => openMemory())
}
