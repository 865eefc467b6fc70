// The one SQLite connection: prepared statements (cached), reads and write transactions whose
// SQLite failures become the domain's, and units of work that hold the connection while they run.
import type { Statement } from 'better-sqlite3'
import type { Db } from './ledger-db.js'
import { UnitGate } from '../unit-gate.js'
import { toStorageFailure } from './sqlite-errors.js'

export class SqlRunner {
  private readonly statements = new Map<string, Statement>()
  /** Held by a unit of work: everything else waits, or it would run inside that transaction. */
  private readonly gate = new UnitGate()

  constructor(readonly db: Db) {}

  /**
   * The prepared statement for `text`, cached and shared by every caller of the same text, so it is
   * handed out in the default mode each time: a caller that wants one column (`.pluck()`), arrays
   * (`.raw()`) or tables (`.expand()`) asks for it itself and never leaves the statement that way for
   * the next caller. (The history pruner once left its horizon lookup plucking, and every
   * `since=<time>` listing after its first pass came back empty.)
   */
  sql(text: string): Statement {
    let statement = this.statements.get(text)
    if (statement === undefined) {
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement.reader ? statement.pluck(false).raw(false).expand(false) : statement
  }

  /** Resolves once no unit of work holds the connection: a hint for callers that check `isFree` again. */
  whenFree(): Promise<void> {
    return this.gate.whenFree(() => undefined)
  }

  get isFree(): boolean {
    return this.gate.isFree
  }

  /** Runs statements that only read, once the connection is free. */
  read<T>(step: string, work: () => T): Promise<T> {
    return this.gate.whenFree(() => {
      try {
        return work()
      } catch (error) {
        throw toStorageFailure(step, error)
      }
    })
  }

  /** Runs a write transaction once the connection is free; durable (synchronous = FULL) when it resolves. */
  write<T>(step: string, work: () => T): Promise<T> {
    return this.gate.whenFree(() => this.writeNow(step, work))
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
  unitOfWork<T>(step: string, work: () => Promise<T>): Promise<T> {
    return this.gate.hold(async () => {
      try {
        this.sql('BEGIN').run()
        const result = await work()
        this.sql('COMMIT').run()
        return result
      } catch (error) {
        // A failed COMMIT may have rolled back already (SQLITE_FULL): only an open transaction is undone.
        if (this.db.inTransaction) this.sql('ROLLBACK').run()
        throw toStorageFailure(step, error)
      }
    })
  }

  /** Closes the connection once no unit of work holds it. */
  close(): Promise<void> {
    return this.gate.whenFree(() => this.db.close()).then(() => undefined)
  }

  now(): string {
    return new Date().toISOString()
  }
}
