// Prepared statements (cached) and write transactions whose SQLite failures become the domain's.
import type { Statement } from 'better-sqlite3'
import { errnoOf, storageFailure } from '../files/io-errors.js'
import type { Db } from './ledger-db.js'

/** SQLite's own failures become the domain's: SQLITE_FULL → insufficient storage, the rest storage faults. */
export function toStorageFailure(step: string, error: unknown): unknown {
  return errnoOf(error)?.startsWith('SQLITE_') === true ? storageFailure(step, 'ledger.db', error) : error
}

export class SqlRunner {
  private readonly statements = new Map<string, Statement>()

  constructor(readonly db: Db) {}

  sql(text: string): Statement {
    let statement = this.statements.get(text)
    if (statement === undefined) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  /**
   * Runs a write transaction; a broken disk under the log is reported like one under a file
   * (SQLITE_FULL → 507, I/O errors → storage_fault).
   */
  write<T>(step: string, work: () => T): T {
    try {
      return this.db.transaction(work)()
    } catch (error) {
      throw toStorageFailure(step, error)
    }
  }

  now(): string {
    return new Date().toISOString()
  }
}
