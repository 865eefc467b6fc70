// Group commit: writes submitted in the same event-loop turn share one SQLite transaction, and so
// one WAL fsync, the way PostgreSQL batches WAL flushes. A lone writer waits for nothing.
import type { Db } from './ledger-db.js'
import type { SqlRunner } from './sql-runner.js'

interface Submitted {
  work: () => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

export class GroupCommit {
  private queue: Submitted[] = []
  private scheduled = false
  /** Transactions flushed and writes they carried, for the benchmark and metrics. */
  readonly stats = { flushes: 0, writes: 0 }

  private readonly db: Db

  constructor(
    private readonly run: Pick<SqlRunner, 'db' | 'isFree' | 'whenFree'>,
    /** Maps a failure of the shared COMMIT (disk full, I/O error) to what every member is told. */
    private readonly commitFailure: (error: unknown) => unknown,
  ) {
    this.db = run.db
  }

  /** Runs `work` inside the next shared transaction; resolves once that transaction is durable. */
  submit<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      if (this.scheduled) return
      this.scheduled = true
      // setImmediate runs after the I/O callbacks of this turn: everything that became ready
      // while the previous fsync blocked the loop joins this batch.
      setImmediate(() => {
        this.flush()
      })
    })
  }

  private flush(): void {
    if (!this.run.isFree) {
      // A unit of work holds the connection: this batch would run inside its transaction. After it.
      void this.run.whenFree().then(() => this.flush())
      return
    }
    this.scheduled = false
    const batch = this.queue
    this.queue = []
    const outcomes: Outcome[] = []
    try {
      this.db.transaction(() => {
        for (const item of batch) {
          // Each member in its own savepoint: one member's failure does not undo the others.
          try {
            outcomes.push({ ok: true, value: this.db.transaction(item.work)() })
          } catch (error) {
            // SQLITE_FULL or an I/O error can roll back the whole transaction, not just the savepoint;
            // running the rest would then autocommit them one by one. Stop: the whole batch fails.
            if (!this.db.inTransaction) throw error
            outcomes.push({ ok: false, error })
          }
        }
      })()
    } catch (error) {
      // The shared COMMIT failed: nothing in this batch is durable, so every member fails.
      const failure = this.commitFailure(error)
      for (const item of batch) item.reject(failure)
      return
    }
    this.stats.flushes++
    this.stats.writes += batch.length
    batch.forEach((item, i) => {
      const outcome = outcomes[i]
      if (outcome?.ok === true) item.resolve(outcome.value)
      else item.reject(outcome?.error)
    })
  }
}
