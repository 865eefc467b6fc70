// The one wiring place of storage: ledger.db, objects/, sessions/ under DATA_DIR, the probes over
// them, and in-process coordination (one writer per data dir).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { LedgerPorts } from '../domain/ports.js'
import { realFs, type DurableFs } from './files/fs-seam.js'
import { FileFailureJournal } from './files/failure-journal.js'
import { FileObjectStore } from './files/object-store.js'
import { FilePlainView } from './files/plain-view.js'
import { inProcessCoordination } from './in-process/coordination.js'
import { SqliteBookkeeping } from './sqlite/bookkeeping.js'
import { SqliteCommitLog } from './sqlite/commit-log.js'
import { openLedgerDb, type Db } from './sqlite/ledger-db.js'
import { SqliteLogProbe } from './sqlite/log-probe.js'
import { SqliteSessionStore } from './sqlite/session-store.js'
import { SqlRunner } from './sqlite/sql-runner.js'
import { RealStorageProbes } from './storage-probes.js'

/** The storage a ledger runs on, plus the database handle for tools and tests that need it. */
export function openStorage(dataDir: string, fs: DurableFs = realFs): LedgerPorts & { db: Db } {
  mkdirSync(dataDir, { recursive: true })
  const db = openLedgerDb(join(dataDir, 'ledger.db'))
  // The plain view is on: uploads stage its copy beside the object's, in the same pass.
  const objects = new FileObjectStore(dataDir, { fs, stagesViewCopy: true })
  const run = new SqlRunner(db)
  const sessions = new SqliteSessionStore(run)
  return {
    db,
    log: new SqliteCommitLog(run, sessions),
    sessions,
    bookkeeping: new SqliteBookkeeping(run),
    objects,
    view: new FilePlainView(dataDir, (sha256) => objects.contentOf(sha256), fs),
    probes: new RealStorageProbes(dataDir, new SqliteLogProbe(run), fs),
    failureJournal: new FileFailureJournal(dataDir),
    coordination: inProcessCoordination(),
  }
}
