// History pruning in SQLite: the rows of entries that no longer have any effect, older than the horizon,
// deleted a batch at a time in one transaction. What stays is everything a read can still reach: live
// versions, the highest version of every name, delete, close, expect and session entries.
import type { HistoryHorizon, HistoryPruneQuery, HistoryPruneResult } from '../../domain/ports.js'
import { COUNTER_FAMILIES } from './counters.js'
import { readCounters } from './log-queries.js'
import type { SqlRunner } from './sql-runner.js'

interface Candidate {
  seq: number
  kind: 'artifacts' | 'expire'
}

interface VersionRow {
  version: number | null
  removed_seq: number | null
  highest: number | null
  /** 1 when the version's object was released and is not reclaimed yet: its row stays until it is. */
  object_waits: number
  /** 1 while the entry that removed it is unsettled: recovery finds the names to settle through these rows. */
  removal_unsettled: number | null
}

/**
 * A commit's rows can go when each is a failed write (no version), or a version removed by an entry before
 * the horizon and settled (recovery finds what to settle through these rows), not its name's highest (the
 * next version is numbered from it), and whose object the garbage collector has reclaimed or a live version
 * still holds (verify and recovery tell an object "removed" from "orphaned" by these rows).
 */
function commitPrunable(run: SqlRunner, seq: number, horizonSeq: number): VersionRow[] | undefined {
  const rows = run.sql(`SELECT ca.version AS version, ca.removed_seq AS removed_seq,
      (SELECT MAX(x.version) FROM commit_artifacts x WHERE x.session_id = ca.session_id AND x.name = ca.name AND x.version IS NOT NULL) AS highest,
      EXISTS (SELECT 1 FROM objects o WHERE o.sha256 = ca.sha256 AND o.released_at IS NOT NULL) AS object_waits,
      (SELECT r.needs_recovery FROM commits r WHERE r.seq = ca.removed_seq) AS removal_unsettled
    FROM commit_artifacts ca WHERE ca.commit_seq = ?`).all(seq) as VersionRow[]
  const prunable = rows.every((row) => row.version === null || (
    row.removed_seq !== null && row.removed_seq < horizonSeq && row.highest !== null && row.version < row.highest && row.object_waits === 0 && row.removal_unsettled === 0))
  return prunable ? rows : undefined
}

function deleteEntry(run: SqlRunner, seq: number): void {
  run.sql('DELETE FROM transitions WHERE commit_seq = ?').run(seq)
  run.sql('DELETE FROM idempotency_keys WHERE commit_seq = ?').run(seq)
  run.sql('DELETE FROM commit_artifacts WHERE commit_seq = ?').run(seq)
  run.sql('DELETE FROM commits WHERE seq = ?').run(seq)
}

/** One batch, inside the caller's write transaction. */
export function pruneHistory(run: SqlRunner, query: HistoryPruneQuery): HistoryPruneResult {
  // The horizon as a seq: the first entry created at or after `before` (entries are appended in time order).
  const horizonSeq = (run.sql('SELECT seq FROM commits WHERE created_at >= ? ORDER BY created_at, seq LIMIT 1').pluck().get(query.before) as number | undefined)
    ?? ((run.sql('SELECT MAX(seq) FROM commits').pluck().get() as number | null) ?? 0) + 1
  // In seq order along the table itself (+kind keeps SQLite off the kind index, which would collect and sort the whole range).
  const candidates = run.sql(`SELECT seq, kind FROM commits WHERE seq > ? AND seq < ? AND needs_recovery = 0 AND state != 'pending'
    AND +kind IN ('artifacts', 'expire') ORDER BY seq LIMIT ?`).all(query.afterSeq, horizonSeq, query.limit) as Candidate[]
  let entries = 0
  let versions = 0
  let snapshotsFrom = 0
  for (const { seq, kind } of candidates) {
    if (kind === 'expire') {
      // Its versions' rows went with their commits (earlier in this pass or before): nothing refers to it.
      if (run.sql('SELECT 1 FROM commit_artifacts WHERE removed_seq = ? LIMIT 1').get(seq) !== undefined) continue
    } else {
      const rows = commitPrunable(run, seq, horizonSeq)
      if (rows === undefined) continue
      for (const row of rows) {
        if (row.version === null || row.removed_seq === null) continue
        versions++
        // A snapshot before the removal would have listed this version: from now on it would not.
        snapshotsFrom = Math.max(snapshotsFrom, row.removed_seq)
      }
    }
    deleteEntry(run, seq)
    entries++
  }
  if (snapshotsFrom > 0) {
    run.sql(`INSERT INTO counters (family, key, n) VALUES ('${COUNTER_FAMILIES.history}', 'completeSnapshotsFrom', ?)
      ON CONFLICT (family, key) DO UPDATE SET n = MAX(n, excluded.n)`).run(snapshotsFrom)
  }
  const reachedHorizon = candidates.length < query.limit
  return { entries, versions, lastSeq: reachedHorizon ? 0 : (candidates.at(-1)?.seq ?? 0), reachedHorizon }
}

export function historyHorizon(run: SqlRunner): HistoryHorizon {
  const counters = readCounters(run, COUNTER_FAMILIES.history)
  return { prunedEntries: counters.get('prunedEntries') ?? 0, completeSnapshotsFrom: counters.get('completeSnapshotsFrom') ?? 0 }
}
