// Bookkeeping rows: object health, objects queued for deletion, scrub results, garbage collection.
import type { ScrubRecord, StorageBookkeeping } from '../../domain/ports.js'
import { COUNTER_FAMILIES } from './counters.js'
import { readCounters } from './log-queries.js'
import { SqliteObjectGc } from './object-gc.js'

export class SqliteBookkeeping extends SqliteObjectGc implements StorageBookkeeping {
  setObjectState(sha256: string, state: 'ok' | 'corrupt' | 'missing'): Promise<void> {
    return this.run.write('log-object-state', () => {
      this.run.sql('UPDATE objects SET state = ?, checked_at = ? WHERE sha256 = ?').run(state, this.run.now(), sha256)
    })
  }

  objectState(sha256: string): Promise<'ok' | 'corrupt' | 'missing' | undefined> {
    return this.run.read('log-read', () => (this.run.sql('SELECT state FROM objects WHERE sha256 = ?').get(sha256) as { state: 'ok' | 'corrupt' | 'missing' } | undefined)?.state)
  }

  objectTotals(): Promise<{ count: number; bytes: number }> {
    return this.run.read('log-read', () => {
      const totals = readCounters(this.run, COUNTER_FAMILIES.objects)
      return { count: totals.get('count') ?? 0, bytes: totals.get('bytes') ?? 0 }
    })
  }

  databaseBytes(): Promise<number> {
    return this.run.read('log-read', () => {
      const pages = this.run.db.pragma('page_count', { simple: true }) as number
      const size = this.run.db.pragma('page_size', { simple: true }) as number
      return pages * size
    })
  }

  plainViewCheckpoint(): Promise<number | undefined> {
    return this.run.read('log-read', () => readCounters(this.run, COUNTER_FAMILIES.plainView).get('flushed_seq'))
  }

  setPlainViewCheckpoint(seq: number): Promise<void> {
    return this.run.write('log-checkpoint', () => {
      this.run.sql(`INSERT INTO counters (family, key, n) VALUES ('${COUNTER_FAMILIES.plainView}', 'flushed_seq', ?)
        ON CONFLICT (family, key) DO UPDATE SET n = excluded.n`).run(seq)
    })
  }

  recordScrub(summary: ScrubRecord): Promise<void> {
    return this.run.write('log-scrub', () => {
      this.run.sql('INSERT INTO scrub_runs (started_at, finished_at, ok, summary) VALUES (?, ?, ?, ?)')
        .run(summary.startedAt, summary.finishedAt, summary.ok ? 1 : 0, JSON.stringify(summary))
      // Only the recent past matters for status; keep the table small.
      this.run.sql('DELETE FROM scrub_runs WHERE id <= (SELECT MAX(id) - 100 FROM scrub_runs)').run()
    })
  }

  lastScrub(): Promise<ScrubRecord | undefined> {
    return this.run.read('log-read', () => {
      const row = this.run.sql('SELECT summary FROM scrub_runs ORDER BY id DESC LIMIT 1').get() as { summary: string } | undefined
      return row === undefined ? undefined : (JSON.parse(row.summary) as ScrubRecord)
    })
  }
}
