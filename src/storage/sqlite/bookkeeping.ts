// Bookkeeping rows: object health, objects queued for deletion, scrub results, history pruning.
import type { ScrubRecord, StorageBookkeeping } from '../../domain/ports.js'
import { COUNTER_FAMILIES } from './counters.js'
import { readCounters } from './log-queries.js'
import type { SqlRunner } from './sql-runner.js'

export class SqliteBookkeeping implements StorageBookkeeping {
  constructor(private readonly run: SqlRunner) {}

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

  objectsToCollect(): Promise<string[]> {
    return this.run.read('log-read', () => (this.run.sql('SELECT sha256 FROM object_gc').all() as { sha256: string }[]).map((r) => r.sha256))
  }

  objectCollected(sha256: string): Promise<void> {
    return this.run.write('log-object-gc', () => {
      this.run.sql('DELETE FROM object_gc WHERE sha256 = ?').run(sha256)
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

  pruneSessionHistory(sessionId: string, keep: number): Promise<string[]> {
    return this.run.write('log-prune', () => {
      const cutoff = this.run.sql('SELECT seq FROM commits WHERE session_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?').get(sessionId, keep - 1) as { seq: number } | undefined
      if (cutoff === undefined) return []
      const old = this.run.sql('SELECT seq FROM commits WHERE session_id = ? AND seq < ? AND needs_recovery = 0').all(sessionId, cutoff.seq) as { seq: number }[]
      const digests = new Set<string>()
      for (const { seq } of old) {
        for (const { sha256 } of this.run.sql('SELECT sha256 FROM commit_artifacts WHERE commit_seq = ? AND sha256 IS NOT NULL').all(seq) as { sha256: string }[]) digests.add(sha256)
        this.run.sql('DELETE FROM transitions WHERE commit_seq = ?').run(seq)
        this.run.sql('DELETE FROM commit_artifacts WHERE commit_seq = ?').run(seq)
        this.run.sql('DELETE FROM idempotency_keys WHERE commit_seq = ?').run(seq)
        this.run.sql('DELETE FROM commits WHERE seq = ?').run(seq)
      }
      const orphaned = [...digests].filter((sha256) => this.run.sql('SELECT 1 FROM commit_artifacts WHERE sha256 = ? LIMIT 1').get(sha256) === undefined)
      for (const sha256 of orphaned) {
        this.run.sql('DELETE FROM objects WHERE sha256 = ?').run(sha256)
        this.run.sql('INSERT OR IGNORE INTO object_gc (sha256) VALUES (?)').run(sha256)
      }
      return orphaned
    })
  }
}
