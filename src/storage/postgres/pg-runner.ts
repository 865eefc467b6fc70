// The pool of connections to the log, and how work runs on it: reads on any connection; writes one at a
// time per process (a local queue, so waiting writes hold no connection) and, across processes, under the
// log's write lock, a transaction-level advisory lock taken first in every write transaction. That lock is
// what keeps the port's rules that SQLite keeps by having one connection: seqs become visible in the order
// they are handed out (rule 1), units of work run one at a time and see each other whole, and the counter
// rows every transaction updates are never locked in two orders. Replicas take turns on it, and the group
// commit (group-commit.ts) shares each turn among a replica's writers; docs/scale-out.md measures the cost.
import postgres from 'postgres'
import { toStorageFailure } from './pg-errors.js'

/** int8 (seqs, sizes, counts) as a number: every one stays far below 2^53. */
const TYPES = {
  bigint: { from: [20], parse: (raw: string): number => Number(raw) },
}

/**
 * Per-object locks (OBJECT_LOCKS, hashtext(sha256)): taken exclusively by a deletion of the object, shared by
 * the transaction that inserts a pending entry naming it (object-claims.ts). A hash collision only makes two
 * objects share a lock.
 */
export const OBJECT_LOCKS = 0x4c454f // "LEO"

/** Advisory lock keys of the log (two int4 keys: the first names this application). */
export const LOCKS = {
  app: 0x4c4544, // "LED"
  migrate: 1,
  write: 2,
  /** Held while recovering the entries that record no owner replica (written before owners were recorded). */
  ownerless: 3,
  /** Held by the replica whose garbage collector runs (collector-turn.ts): one collector at a time. */
  collector: 4,
} as const

export type PgTypes = { bigint: number }
/** A connection or a transaction: what the queries run on. */
export type Q = postgres.ISql<PgTypes>
export type Tx = postgres.TransactionSql<PgTypes>
export type PgSql = postgres.Sql<PgTypes>

/**
 * A pool to the log. `replica` names this process (replica.ts): every entry it inserts records it as its
 * owner (the column's default reads the setting), and pg_stat_activity shows it in application_name.
 */
export function connect(url: string, options: { max?: number; replica?: string } = {}): PgSql {
  const replica = options.replica === undefined ? {} : { 'ledger.replica': options.replica }
  return postgres(url, {
    max: options.max ?? 10,
    types: TYPES,
    onnotice: false,
    // A dead server or network must fail the request that waits on it, not hang it.
    connect_timeout: 10,
    // Durable when resolved (rule 3): a commit returns only once its WAL is flushed, whatever the server's default.
    connection: {
      application_name: options.replica === undefined ? 'artifact-ledger' : `artifact-ledger/${options.replica}`, synchronous_commit: 'on', ...replica,
    },
  })
}

export class PgRunner {
  /** The tail of this process's queue of write transactions. */
  private tail: Promise<unknown> = Promise.resolve()

  constructor(readonly sql: PgSql) {}

  /** Statements that only read, on any connection of the pool. */
  async read<T>(step: string, work: (q: Q) => Promise<T>): Promise<T> {
    try {
      return await work(this.sql)
    } catch (error) {
      throw toStorageFailure(step, error)
    }
  }

  /**
   * One write transaction, after this process's earlier ones and under the log's write lock: all of it
   * lands (durably: synchronous_commit is on) when it resolves, none of it when it rejects.
   */
  write<T>(step: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    const run = this.tail.then(async () => {
      try {
        return await this.sql.begin(async (tx) => {
          // The visibility guarantee for readers (SPEC "Scale-out mode", rule 1): every insert into commits runs
          // here (insertPending through the group commit, recordEnded, session entries, deletions and expiry; the
          // replica sweep only updates), so its seq is handed out under this lock, and PostgreSQL makes a
          // transaction visible before it lets go of its locks. Seq order is therefore visibility order, across
          // replicas: a reader paging by seq never passes a seq that a later commit fills in
          // (test/http/postgres-seq-order.test.ts). A write path that appended without this lock would break it.
          await tx`SELECT pg_advisory_xact_lock(${LOCKS.app}::int, ${LOCKS.write}::int)`
          return work(tx)
        })
      } catch (error) {
        throw toStorageFailure(step, error)
      }
    })
    // The caller gets `run`'s rejection; the queue only needs to know it ended, so the next write may start.
    // The catch also marks `run` handled, so a caller that holds it across other awaits is not an unhandled
    // rejection in between (a shared gate such as UnitGate does not: the coordination contract showed it).
    this.tail = run.catch(() => undefined)
    return run
  }

  /** Work to do on the pool before it ends (the replica leaves: replica.ts). */
  private readonly closing: (() => Promise<void>)[] = []

  atClose(work: () => Promise<void>): void {
    this.closing.push(work)
  }

  /** Ends the pool once every queued write has settled; nothing is called after it. */
  async close(): Promise<void> {
    await this.tail
    for (const work of this.closing.splice(0)) await work()
    await this.sql.end({ timeout: 5 })
  }

  now(): string {
    return new Date().toISOString()
  }
}
