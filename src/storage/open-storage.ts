// Opens everything under DATA_DIR: ledger.db, objects/, sessions/, and the probes over them.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { LedgerPorts } from '../domain/ports.js'
import { realFs, type DurableFs } from './files/fs-seam.js'
import { FileFailureJournal } from './files/failure-journal.js'
import { ObjectStore } from './files/object-store.js'
import { PlainView } from './files/plain-view.js'
import { Bookkeeping } from './sqlite/bookkeeping.js'
import { SqliteCommitLog } from './sqlite/commit-log.js'
import { SessionRows } from './sqlite/session-rows.js'
import { SqlRunner } from './sqlite/sql-runner.js'
import { openLedgerDb, type Db } from './sqlite/ledger-db.js'
import { inProcessCoordination } from './in-process/coordination.js'
import { RealStorageProbes } from './storage-probes.js'

/** The storage a ledger runs on, plus the database handle for tools and tests that need it. */
export function openStorage(dataDir: string, fs: DurableFs = realFs): LedgerPorts & { db: Db } {
  mkdirSync(dataDir, { recursive: true })
  const db = openLedgerDb(join(dataDir, 'ledger.db'))
  const objects = new ObjectStore(dataDir, fs)
  const run = new SqlRunner(db)
  const sessions = new SessionRows(run)
  return {
    db,
    log: new SqliteCommitLog(db, run, sessions),
    sessions,
    bookkeeping: new Bookkeeping(run),
    objects,
    plain: new PlainView(dataDir, objects, fs),
    probes: new RealStorageProbes(dataDir, db, fs),
    failureJournal: new FileFailureJournal(dataDir),
    coordination: inProcessCoordination(),
  }
}
