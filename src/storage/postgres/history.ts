// History pruning in PostgreSQL: the rows of entries that no longer have any effect, older than the horizon,
// deleted a batch at a time in one transaction. Same rules as ../sqlite/history.ts: what stays is everything a
// read can still reach (live versions, the highest version of every name, delete, close, expect and session entries).
import type { HistoryHorizon, HistoryPruneQuery, HistoryPruneResult } from '../../domain/ports.js'
import { COUNTER_FAMILIES } from './pg-counters.js'
import { readCounters } from './log-queries.js'
import type { Q } from './pg-runner.js'

interface VersionRow {
  version: number | null
  removed_seq: number | null
  highest: number | null
  /** True when the version's object was released and is not reclaimed yet: its row stays until it is. */
  object_waits: boolean
  /** True while the entry that removed it is unsettled: recovery finds the names to settle through these rows. */
  removal_unsettled: boolean | null
}

/** A commit's rows can go when each is a failed write, or a removed, settled version before the horizon that is not its name's highest and whose object is not waiting for the GC. */
async function commitPrunable(q: Q, seq: number, horizonSeq: number): Promise<VersionRow[] | undefined> {
  const rows = await q<VersionRow[]>`SELECT ca.version AS version, ca.removed_seq AS removed_seq,
      (SELECT MAX(x.version) FROM commit_artifacts x WHERE x.session_id = ca.session_id AND x.name = ca.name AND x.version IS NOT NULL) AS highest,
      EXISTS (SELECT 1 FROM objects o WHERE o.sha256 = ca.sha256 AND o.released_at IS NOT NULL) AS object_waits,
      (SELECT r.needs_recovery FROM commits r WHERE r.seq = ca.removed_seq) AS removal_unsettled
    FROM commit_artifacts ca WHERE ca.commit_seq = ${seq}`
  const prunable = rows.every((row) => row.version === null || (
    row.removed_seq !== null && row.removed_seq < horizonSeq && row.highest !== null && row.version < row.highest && !row.object_waits && row.removal_unsettled === false))
  return prunable ? rows : undefined
}

async function deleteEntry(q: Q, seq: number): Promise<void> {
  await q`DELETE FROM transitions WHERE commit_seq = ${seq}`
  await q`DELETE FROM idempotency_keys WHERE commit_seq = ${seq}`
  await q`DELETE FROM commit_artifacts WHERE commit_seq = ${seq}`
  await q`DELETE FROM commits WHERE seq = ${seq}`
}

/** One batch, inside the caller's write transaction. */
export async function pruneHistory(q: Q, query: HistoryPruneQuery): Promise<HistoryPruneResult> {
  // The horizon as a seq: the first entry created at or after `before` (entries are appended in time order).
  const [first] = await q<{ seq: number }[]>`SELECT seq FROM commits WHERE created_at >= ${query.before} ORDER BY created_at, seq LIMIT 1`
  const [last] = await q<{ seq: number }[]>`SELECT COALESCE(MAX(seq), 0) AS seq FROM commits`
  const horizonSeq = first?.seq ?? (last?.seq ?? 0) + 1
  const candidates = await q<{ seq: number; kind: 'artifacts' | 'expire' }[]>`SELECT seq, kind FROM commits
    WHERE seq > ${query.afterSeq} AND seq < ${horizonSeq} AND NOT needs_recovery AND state <> 'pending' AND kind IN ('artifacts', 'expire')
    ORDER BY seq LIMIT ${query.limit}`
  let entries = 0
  let versions = 0
  let snapshotsFrom = 0
  for (const { seq, kind } of candidates) {
    if (kind === 'expire') {
      // Its versions' rows went with their commits (earlier in this pass or before): nothing refers to it.
      if ((await q`SELECT 1 FROM commit_artifacts WHERE removed_seq = ${seq} LIMIT 1`).length > 0) continue
    } else {
      const rows = await commitPrunable(q, seq, horizonSeq)
      if (rows === undefined) continue
      for (const row of rows) {
        if (row.version === null || row.removed_seq === null) continue
        versions++
        // A snapshot before the removal would have listed this version: from now on it would not.
        snapshotsFrom = Math.max(snapshotsFrom, row.removed_seq)
      }
    }
    await deleteEntry(q, seq)
    entries++
  }
  if (snapshotsFrom > 0) {
    await q`INSERT INTO counters (family, key, n) VALUES (${COUNTER_FAMILIES.history}, 'completeSnapshotsFrom', ${snapshotsFrom})
      ON CONFLICT (family, key) DO UPDATE SET n = GREATEST(counters.n, EXCLUDED.n)`
  }
  const reachedHorizon = candidates.length < query.limit
  return { entries, versions, lastSeq: reachedHorizon ? 0 : (candidates.at(-1)?.seq ?? 0), reachedHorizon }
}

export async function historyHorizon(q: Q): Promise<HistoryHorizon> {
  const counters = await readCounters(q, COUNTER_FAMILIES.history)
  return { prunedEntries: counters.get('prunedEntries') ?? 0, completeSnapshotsFrom: counters.get('completeSnapshotsFrom') ?? 0 }
}
