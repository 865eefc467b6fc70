// Group commit: writes submitted while another write transaction runs share the next one, each in its own
// savepoint, and so one WAL flush and one turn of the log's write lock. A lone writer waits for nothing.
import { toStorageFailure } from './pg-errors.js'
import type { PgRunner, Tx } from './pg-runner.js'

interface Submitted {
  work: (tx: Tx) => Promise<unknown>
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown }

export class GroupCommit {
  private queue: Submitted[] = []
  private scheduled = false
  /** Transactions flushed and writes they carried, for the benchmark and metrics. */
  readonly stats = { flushes: 0, writes: 0 }

  constructor(private readonly run: PgRunner, private readonly step: string) {}

  /** Runs `work` inside the next shared transaction; resolves once that transaction is committed. */
  submit<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject })
      if (this.scheduled) return
      this.scheduled = true
      // Queued behind the writes already waiting: whatever is submitted until this one starts joins it.
      let batch: Submitted[] | undefined
      this.run.write(this.step, (tx) => {
        batch = this.take()
        return this.flush(tx, batch)
      }).then(
        (outcomes) => this.settle(batch ?? [], outcomes),
        // The shared transaction failed (the lock, the connection, its COMMIT): nothing in it is durable.
        (error: unknown) => {
          for (const item of batch ?? this.take()) item.reject(error)
        },
      )
    })
  }

  private take(): Submitted[] {
    const batch = this.queue
    this.queue = []
    this.scheduled = false
    return batch
  }

  /** Runs the batch in submission order, each member in a savepoint: one member's failure undoes only its own. */
  private async flush(tx: Tx, batch: readonly Submitted[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = []
    for (const item of batch) {
      try {
        outcomes.push({ ok: true, value: await tx.savepoint((inner) => item.work(inner)) })
      } catch (error) {
        outcomes.push({ ok: false, error: toStorageFailure(this.step, error) })
      }
    }
    return outcomes
  }

  private settle(batch: readonly Submitted[], outcomes: readonly Outcome[]): void {
    this.stats.flushes++
    this.stats.writes += batch.length
    batch.forEach((item, i) => {
      const outcome = outcomes[i]
      if (outcome?.ok === true) item.resolve(outcome.value)
      else item.reject(outcome?.error)
    })
  }
}
