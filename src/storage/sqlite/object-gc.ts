// Garbage collection's half in the log: which objects nothing live refers to, taking them out of the
// objects table into the deletion queue, the reclaimed totals, the run records and the vacuum.
import type { CollectableObject, GcRecord, GcTotals } from '../../domain/ports.js'
import type { SqlRunner } from './sql-runner.js'

// Live: a committed version not removed by a deletion or expiry, or an entry whose files are not settled
// yet (a commit in flight, or one recovery has still to settle).
const IS_LIVE = `EXISTS (
  SELECT 1 FROM commit_artifacts AS ca JOIN commits AS c ON c.seq = ca.commit_seq
  WHERE ca.sha256 = o.sha256 AND ((ca.version IS NOT NULL AND ca.removed_seq IS NULL) OR c.needs_recovery = 1))`

interface CandidateRow {
  sha256: string
  size: number
  created_at: string
  released_at: string | null
  live: 0 | 1
}

function isCollectable(row: CandidateRow, olderThan: string): boolean {
  return row.live === 0 && row.created_at < olderThan && (row.released_at === null || row.released_at < olderThan)
}

/** The garbage-collection half of SqliteBookkeeping, which extends it. */
export class SqliteObjectGc {
  constructor(protected readonly run: SqlRunner) {}

  /** Every object is examined (mark), in digest order and pages, whatever its history: none can leak. */
  collectableObjects(olderThan: string, afterSha256: string | null, limit: number): Promise<{ objects: CollectableObject[]; examined: number; next: string | null }> {
    return this.run.read('log-gc', () => {
      const rows = this.run.sql(`SELECT o.sha256, o.size, o.created_at, o.released_at, ${IS_LIVE} AS live
        FROM objects AS o WHERE o.sha256 > ? ORDER BY o.sha256 LIMIT ?`).all(afterSha256 ?? '', limit) as CandidateRow[]
      return {
        objects: rows.filter((row) => isCollectable(row, olderThan)).map(({ sha256, size }) => ({ sha256, size })),
        examined: rows.length,
        next: rows.length < limit ? null : (rows.at(-1)?.sha256 ?? null),
      }
    })
  }

  takeCollectable(objects: readonly CollectableObject[], olderThan: string): Promise<CollectableObject[]> {
    if (objects.length === 0) return Promise.resolve([])
    return this.run.write('log-gc', () => {
      const taken: CollectableObject[] = []
      for (const { sha256 } of objects) {
        // Checked again inside the transaction: a commit may have come to refer to it since the mark.
        const row = this.run.sql(`SELECT o.sha256, o.size, o.created_at, o.released_at, ${IS_LIVE} AS live FROM objects AS o WHERE o.sha256 = ?`)
          .get(sha256) as CandidateRow | undefined
        if (row === undefined || !isCollectable(row, olderThan)) continue
        this.run.sql('DELETE FROM objects WHERE sha256 = ?').run(sha256)
        this.run.sql('INSERT OR IGNORE INTO object_gc (sha256) VALUES (?)').run(sha256)
        taken.push({ sha256, size: row.size })
      }
      this.run.sql('UPDATE gc_totals SET reclaimed_objects = reclaimed_objects + ?, reclaimed_bytes = reclaimed_bytes + ? WHERE id = 1')
        .run(taken.length, taken.reduce((sum, o) => sum + o.size, 0))
      return taken
    })
  }

  isObjectLive(sha256: string): Promise<boolean> {
    return this.run.read('log-gc', () => (this.run.sql(`SELECT ${IS_LIVE} AS live FROM (SELECT ? AS sha256) AS o`).get(sha256) as { live: 0 | 1 }).live === 1)
  }

  removedVersions(sessionId?: string): Promise<{ deleted: number; expired: number }> {
    return this.run.read('log-read', () => {
      const rows = this.run.sql(`SELECT c.kind AS kind, COUNT(*) AS count FROM commit_artifacts AS ca JOIN commits AS c ON c.seq = ca.removed_seq
        WHERE ca.removed_seq IS NOT NULL AND (? IS NULL OR ca.session_id = ?) GROUP BY c.kind`).all(sessionId ?? null, sessionId ?? null) as { kind: string; count: number }[]
      return { deleted: rows.find((r) => r.kind === 'delete')?.count ?? 0, expired: rows.find((r) => r.kind === 'expire')?.count ?? 0 }
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

  /** Only a log created with auto_vacuum = INCREMENTAL can give pages back without a full VACUUM. */
  reclaimSpace(maxBytes: number): Promise<number> {
    return this.run.write('log-vacuum', () => {
      const { db } = this.run
      if (db.pragma('auto_vacuum', { simple: true }) !== 2) return 0
      const pageSize = db.pragma('page_size', { simple: true }) as number
      const pages = Math.min(db.pragma('freelist_count', { simple: true }) as number, Math.floor(maxBytes / pageSize))
      if (pages <= 0) return 0
      db.pragma(`incremental_vacuum(${pages})`)
      return pages * pageSize
    })
  }

  recordGc(record: GcRecord): Promise<void> {
    return this.run.write('log-gc', () => {
      this.run.sql('INSERT INTO gc_runs (record) VALUES (?)').run(JSON.stringify(record))
      this.run.sql('UPDATE gc_totals SET runs = runs + 1 WHERE id = 1').run()
      // Only the recent past matters for status; keep the table small.
      this.run.sql('DELETE FROM gc_runs WHERE id <= (SELECT MAX(id) - 100 FROM gc_runs)').run()
    })
  }

  lastGc(): Promise<GcRecord | undefined> {
    return this.run.read('log-read', () => {
      const row = this.run.sql('SELECT record FROM gc_runs ORDER BY id DESC LIMIT 1').get() as { record: string } | undefined
      return row === undefined ? undefined : (JSON.parse(row.record) as GcRecord)
    })
  }

  gcTotals(): Promise<GcTotals> {
    return this.run.read('log-read', () => {
      const row = this.run.sql('SELECT runs, reclaimed_objects, reclaimed_bytes FROM gc_totals WHERE id = 1').get() as
        { runs: number; reclaimed_objects: number; reclaimed_bytes: number } | undefined
      return { runs: row?.runs ?? 0, reclaimedObjects: row?.reclaimed_objects ?? 0, reclaimedBytes: row?.reclaimed_bytes ?? 0 }
    })
  }
}
