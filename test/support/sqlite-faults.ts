// Faults of the SQLite adapter itself, for the tests that are about it: a database that may not grow
// (a real SQLITE_FULL), and another connection holding the write lock. Pass `open` as startLedger's storage.
import Database from 'better-sqlite3'
import { join } from 'node:path'
import type { LedgerPorts } from '../../src/domain/ports.js'
import type { DurableFs } from '../../src/storage/files/fs-seam.js'
import { openLocalStorage } from '../../src/storage/open-storage.js'
import type { Db } from '../../src/storage/sqlite/ledger-db.js'

export class SqliteFaults {
  private db: Db | undefined
  private dataDir: string | undefined

  /** Opens the service's own storage and keeps its database connection for the faults below. */
  readonly open = (dataDir: string, fs?: DurableFs): LedgerPorts => {
    const { ports, db } = openLocalStorage(dataDir, fs)
    this.db = db
    this.dataDir = dataDir
    return ports
  }

  private get connection(): Db {
    if (this.db === undefined) throw new Error('open the storage through SqliteFaults.open first')
    return this.db
  }

  /** The database may grow no further: every write transaction that needs a page fails with SQLITE_FULL. */
  fill(): void {
    this.connection.pragma(`max_page_count = ${this.connection.pragma('page_count', { simple: true }) as number}`)
  }

  makeRoom(): void {
    this.connection.pragma('max_page_count = 1073741823')
  }

  /** Another connection takes the write lock, as a wedged or read-only database would; returns the release. */
  holdWriteLock(): () => void {
    const other = new Database(join(this.dataDir ?? '', 'ledger.db'))
    other.pragma('busy_timeout = 0')
    this.connection.pragma('busy_timeout = 0')
    other.exec('BEGIN IMMEDIATE')
    return () => {
      other.exec('ROLLBACK')
      other.close()
    }
  }
}
