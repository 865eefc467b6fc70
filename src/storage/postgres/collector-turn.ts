// Garbage collection's turn among the replicas of one PostgreSQL log: a session-level advisory lock
// (LOCKS.collector) held on a connection reserved for the run, so the server lets go of it the moment that
// connection goes (the replica died or lost the network). The lock only spares duplicate work: a run that
// starts beside one whose connection went deletes nothing another needs, since each deletion is guarded on
// its own (object-claims.ts).
import type { ExclusiveRun, TurnOutcome } from '../../domain/ports.js'
import { toStorageFailure } from './pg-errors.js'
import { LOCKS, type PgSql } from './pg-runner.js'

/** How often a run that waits for the turn asks again: one try-lock per interval, abortable between tries. */
const RETRY_MS = 200

export class PgCollectorTurn implements ExclusiveRun {
  constructor(private readonly sql: PgSql) {}

  async run<T>(work: () => Promise<T>, options: { wait: boolean; signal?: AbortSignal }): Promise<TurnOutcome<T>> {
    let reserved
    try {
      reserved = await this.sql.reserve()
      for (;;) {
        const [row] = await reserved<{ got: boolean }[]>`SELECT pg_try_advisory_lock(${LOCKS.app}::int, ${LOCKS.collector}::int) AS got`
        if (row?.got === true) break
        if (!options.wait) {
          reserved.release()
          return { ran: false }
        }
        // Polled rather than a blocking pg_advisory_lock: stopping the service must not wait for another replica's run.
        options.signal?.throwIfAborted()
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
      }
    } catch (error) {
      reserved?.release()
      throw toStorageFailure('collector-turn', error)
    }
    try {
      return { ran: true, value: await work() }
    } finally {
      try {
        await reserved`SELECT pg_advisory_unlock(${LOCKS.app}::int, ${LOCKS.collector}::int)`
      } catch {
        // Only a connection gone during the run fails here, and its lock went with it: nothing to let go.
      } finally {
        reserved.release()
      }
    }
  }
}
