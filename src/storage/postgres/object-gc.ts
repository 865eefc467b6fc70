// Garbage collection's half in the log: which objects nothing live refers to, taking them out of the objects
// table into the deletion queue, the reclaimed totals and the run records. Same meaning as ../sqlite/object-gc.ts.
import type { CollectableObject, GcRecord, GcTotals } from '../../domain/ports.js'
import type { PgRunner, Q } from './pg-runner.js'

// Live: a committed version not removed by a deletion or expiry, or an entry whose files are not settled
// yet (a commit in flight, or one recovery has still to settle).
const IS_LIVE = `EXISTS (
  SELECT 1 FROM commit_artifacts AS ca JOIN commits AS c ON c.seq = ca.commit_seq
  WHERE ca.sha256 = o.sha256 AND ((ca.version IS NOT NULL AND ca.removed_seq IS NULL) OR c.needs_recovery))`

interface CandidateRow {
  sha256: string
  size: number
  created_at: string
  released_at: string | null
  live: boolean
}

function isCollectable(row: CandidateRow, olderThan: string): boolean {
  return !row.live && row.created_at < olderThan && (row.released_at === null || row.released_at < olderThan)
}

function candidates(q: Q, where: string, params: (string | number)[]): Promise<CandidateRow[]> {
  return q.unsafe(`SELECT o.sha256, o.size, o.created_at, o.released_at, ${IS_LIVE} AS live FROM objects AS o ${where}`, params, { prepare: true }) as unknown as Promise<CandidateRow[]>
}

/** The garbage-collection half of PgBookkeeping, which extends it. */
export class PgObjectGc {
  constructor(protected readonly run: PgRunner) {}

  /** Every object is examined (mark), in digest order and pages, whatever its history: none can leak. */
  collectableObjects(olderThan: string, afterSha256: string | null, limit: number): Promise<{ objects: CollectableObject[]; examined: number; next: string | null }> {
    return this.run.read('log-gc', async (q) => {
      const rows = await candidates(q, 'WHERE o.sha256 > $1 ORDER BY o.sha256 LIMIT $2', [afterSha256 ?? '', limit])
      return {
        objects: rows.filter((row) => isCollectable(row, olderThan)).map(({ sha256, size }) => ({ sha256, size })),
        examined: rows.length,
        next: rows.length < limit ? null : (rows.at(-1)?.sha256 ?? null),
      }
    })
  }

  takeCollectable(objects: readonly CollectableObject[], olderThan: string): Promise<CollectableObject[]> {
    if (objects.length === 0) return Promise.resolve([])
    return this.run.write('log-gc', async (tx) => {
      const taken: CollectableObject[] = []
      for (const { sha256 } of objects) {
        // Checked again inside the transaction: a commit may have come to refer to it since the mark.
        const [row] = await candidates(tx, 'WHERE o.sha256 = $1 FOR UPDATE', [sha256])
        if (row === undefined || !isCollectable(row, olderThan)) continue
        await tx`DELETE FROM objects WHERE sha256 = ${sha256}`
        await tx`INSERT INTO object_gc (sha256) VALUES (${sha256}) ON CONFLICT (sha256) DO NOTHING`
        taken.push({ sha256, size: row.size })
      }
      await tx`UPDATE gc_totals SET reclaimed_objects = reclaimed_objects + ${taken.length},
        reclaimed_bytes = reclaimed_bytes + ${taken.reduce((sum, o) => sum + o.size, 0)} WHERE id = 1`
      return taken
    })
  }

  isObjectLive(sha256: string): Promise<boolean> {
    return this.run.read('log-gc', async (q) =>
      ((await q.unsafe(`SELECT ${IS_LIVE} AS live FROM (SELECT $1::text AS sha256) AS o`, [sha256], { prepare: true })) as unknown as { live: boolean }[])[0]?.live === true)
  }

  removedVersions(sessionId?: string): Promise<{ deleted: number; expired: number }> {
    return this.run.read('log-read', async (q) => {
      const rows = await q<{ kind: string; count: number }[]>`SELECT c.kind AS kind, COUNT(*) AS count FROM commit_artifacts AS ca JOIN commits AS c ON c.seq = ca.removed_seq
        WHERE ca.removed_seq IS NOT NULL AND (${sessionId ?? null}::text IS NULL OR ca.session_id = ${sessionId ?? null}::text) GROUP BY c.kind`
      return { deleted: rows.find((r) => r.kind === 'delete')?.count ?? 0, expired: rows.find((r) => r.kind === 'expire')?.count ?? 0 }
    })
  }

  objectsToCollect(): Promise<string[]> {
    return this.run.read('log-read', async (q) => (await q<{ sha256: string }[]>`SELECT sha256 FROM object_gc ORDER BY sha256`).map((r) => r.sha256))
  }

  objectCollected(sha256: string): Promise<void> {
    return this.run.write('log-object-gc', async (tx) => {
      await tx`DELETE FROM object_gc WHERE sha256 = ${sha256}`
    })
  }

  /** PostgreSQL's autovacuum makes dead rows' room reusable; handing pages back to the filesystem takes VACUUM FULL, never run from here. */
  async reclaimSpace(_maxBytes: number): Promise<number> {
    return 0
  }

  recordGc(record: GcRecord): Promise<void> {
    return this.run.write('log-gc', async (tx) => {
      await tx`INSERT INTO gc_runs (record) VALUES (${JSON.stringify(record)})`
      await tx`UPDATE gc_totals SET runs = runs + 1 WHERE id = 1`
      // Only the recent past matters for status; keep the table small.
      await tx`DELETE FROM gc_runs WHERE id <= (SELECT MAX(id) - 100 FROM gc_runs)`
    })
  }

  lastGc(): Promise<GcRecord | undefined> {
    return this.run.read('log-read', async (q) => {
      const [row] = await q<{ record: string }[]>`SELECT record FROM gc_runs ORDER BY id DESC LIMIT 1`
      return row === undefined ? undefined : (JSON.parse(row.record) as GcRecord)
    })
  }

  gcTotals(): Promise<GcTotals> {
    return this.run.read('log-read', async (q) => {
      const [row] = await q<{ runs: number; reclaimed_objects: number; reclaimed_bytes: number }[]>`SELECT runs, reclaimed_objects, reclaimed_bytes FROM gc_totals WHERE id = 1`
      return { runs: row?.runs ?? 0, reclaimedObjects: row?.reclaimed_objects ?? 0, reclaimedBytes: row?.reclaimed_bytes ?? 0 }
    })
  }
}
