// The one SQLite connection: prepared statements (cached), reads and write transactions whose
// SQLite failures become the domain's, and units of work that hold the connection while they run.
import type { Statement } from 'better-sqlite3'
import type { Db } from './ledger-db.js'
import { toStorageFailure } from './sqlite-errors.js'

export class SqlRunner {
  private readonly statements = new Map<string, Statement>()
  /** Set while a unit of work holds the connection: everything else waits, or it would run inside that transaction. */
  private held: Promise<void> | undefined

  constructor(readonly db: Db) {}

  sql(text: string): Statement {
    let statement = this.statements.get(text)
    if (statement === undefined) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  /** Resolves once no unit of work holds the connection. */
  async whenFree(): Promise<void> {
    while (this.held !== undefined) await this.held
  }

  get isFree(): boolean {
    return this.held === undefined
  }

  /** Runs statements that only read, once the connection is free. */
  async read<T>(step: string, work: () => T): Promise<T> {
    if (this.held !== undefined) await this.whenFree()
    try {
      return work()
    } catch (error) {
      throw toStorageFailure(step, error)
    }
  }

  /** Runs a write transaction once the connection is free; durable (synchronous = FULL) when it resolves. */
  async write<T>(step: string, work: () => T): Promise<T> {
    if (this.held !== undefined) await this.whenFree()
    return this.writeNow(step, work)
  }

  /**
   * A write transaction, now: for callers that already own the connection (a group commit's flush, a
   * unit of work). A broken disk under the log is reported like one under a file (SQLITE_FULL → 507,
   * I/O errors → storage_fault).
   */
  writeNow<T>(step: string, work: () => T): T {
    try {
      return this.db.transaction(work)()
    } catch (error) {
      throw toStorageFailure(step, error)
    }
  }

  /**
   * One transaction around async work: BEGIN, `work`, COMMIT, or ROLLBACK when it throws. Nothing else
   * runs on the connection meanwhile, so `work` must only use the statements it is given and decide.
   */
  async unitOfWork<T>(step: string, work: () => Promise<T>): Promise<T> {
    await this.whenFree()
    let release!: () => void
    this.held = new Promise<void>((resolve) => {
      release = resolve
    })
    try {
      this.sql('BEGIN').run()
      const result = await work()
      this.sql('COMMIT').run()
      return result
    } catch (error) {
      // A failed COMMIT may have rolled back already (SQLITE_FULL): only an open transaction is undone.
      if (this.db.inTransaction) this.sql('ROLLBACK').run()
      throw toStorageFailure(step, error)
    } finally {
      this.held = undefined
      release()
    }
  }

  now(): string {
    return new Date().toISOString()
  }
}
