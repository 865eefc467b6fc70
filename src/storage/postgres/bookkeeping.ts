// Bookkeeping rows: object health, scrub results, and (object-gc.ts) garbage collection.
import type { ScrubRecord, StorageBookkeeping } from '../../domain/ports.js'
import { COUNTER_FAMILIES } from './pg-counters.js'
import { readCounters } from './log-queries.js'
import { PgObjectGc } from './object-gc.js'

export class PgBookkeeping extends PgObjectGc implements StorageBookkeeping {
  setObjectState(sha256: string, state: 'ok' | 'corrupt' | 'missing'): Promise<void> {
    return this.run.write('log-object-state', async (tx) => {
      await tx`UPDATE objects SET state = ${state}, checked_at = ${this.run.now()} WHERE sha256 = ${sha256}`
    })
  }

  objectState(sha256: string): Promise<'ok' | 'corrupt' | 'missing' | undefined> {
    return this.run.read('log-read', async (q) => (await q<{ state: 'ok' | 'corrupt' | 'missing' }[]>`SELECT state FROM objects WHERE sha256 = ${sha256}`)[0]?.state)
  }

  objectTotals(): Promise<{ count: number; bytes: number }> {
    return this.run.read('log-read', async (q) => {
      const totals = await readCounters(q, COUNTER_FAMILIES.objects)
      return { count: totals.get('count') ?? 0, bytes: totals.get('bytes') ?? 0 }
    })
  }

  /** The database's size on the server, as PostgreSQL keeps it (no scan). */
  databaseBytes(): Promise<number> {
    return this.run.read('log-read', async (q) => (await q<{ bytes: number }[]>`SELECT pg_database_size(current_database()) AS bytes`)[0]?.bytes ?? 0)
  }

  plainViewCheckpoint(): Promise<number | undefined> {
    return this.run.read('log-read', async (q) => (await readCounters(q, COUNTER_FAMILIES.plainView)).get('flushed_seq'))
  }

  setPlainViewCheckpoint(seq: number): Promise<void> {
    return this.run.write('log-checkpoint', async (tx) => {
      await tx`INSERT INTO counters (family, key, n) VALUES (${COUNTER_FAMILIES.plainView}, 'flushed_seq', ${seq})
        ON CONFLICT (family, key) DO UPDATE SET n = excluded.n`
    })
  }

  recordScrub(summary: ScrubRecord): Promise<void> {
    return this.run.write('log-scrub', async (tx) => {
      await tx`INSERT INTO scrub_runs (started_at, finished_at, ok, summary) VALUES (${summary.startedAt}, ${summary.finishedAt}, ${summary.ok}, ${JSON.stringify(summary)})`
      // Only the recent past matters for status; keep the table small.
      await tx`DELETE FROM scrub_runs WHERE id <= (SELECT MAX(id) - 100 FROM scrub_runs)`
    })
  }

  lastScrub(): Promise<ScrubRecord | undefined> {
    return this.run.read('log-read', async (q) => {
      const [row] = await q<{ summary: string }[]>`SELECT summary FROM scrub_runs ORDER BY id DESC LIMIT 1`
      return row === undefined ? undefined : (JSON.parse(row.summary) as ScrubRecord)
    })
  }
}
