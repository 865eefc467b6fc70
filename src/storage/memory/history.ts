// History pruning in the memory log: the same rules as SQLite's history.ts, over maps.
import type { HistoryHorizon, HistoryPruneQuery, HistoryPruneResult } from '../../domain/ports.js'
import { CANARY_SESSION_ID } from '../../domain/session.js'
import type { EntryRow, LogData } from './log-state.js'

function highestVersion(data: LogData, sessionId: string, name: string): number {
  let highest = 0
  for (const entry of data.entries.values()) {
    if (entry.sessionId !== sessionId) continue
    for (const a of entry.artifacts) if (a.name === name && a.version !== null) highest = Math.max(highest, a.version)
  }
  return highest
}

function commitPrunable(data: LogData, entry: EntryRow, horizonSeq: number): boolean {
  return entry.artifacts.every((a) => {
    if (a.version === null) return true
    const objectWaits = a.sha256 !== null && (data.objects.get(a.sha256)?.releasedAt ?? null) !== null
    if (a.removedSeq === null || data.entries.get(a.removedSeq)?.needsRecovery !== false) return false
    return a.removedSeq < horizonSeq && a.version < highestVersion(data, entry.sessionId, a.name) && !objectWaits
  })
}

function isReferencedByVersion(data: LogData, seq: number): boolean {
  for (const entry of data.entries.values()) if (entry.artifacts.some((a) => a.removedSeq === seq)) return true
  return false
}

function deleteEntry(data: LogData, entry: EntryRow): void {
  data.entries.delete(entry.seq)
  for (const [key, stored] of data.idempotency) if (stored.commitSeq === entry.seq) data.idempotency.delete(key)
  data.pruned.entries++
  if (entry.kind === 'artifacts' && entry.sessionId !== CANARY_SESSION_ID) {
    data.pruned.commitsByState[entry.state] = (data.pruned.commitsByState[entry.state] ?? 0) + 1
  }
}

export function pruneHistory(data: LogData, query: HistoryPruneQuery): HistoryPruneResult {
  const ordered = [...data.entries.values()].sort((a, b) => a.seq - b.seq)
  const horizonSeq = ordered.find((e) => e.createdAt >= query.before)?.seq ?? (ordered.at(-1)?.seq ?? 0) + 1
  const candidates = ordered.filter((e) => e.seq > query.afterSeq && e.seq < horizonSeq && !e.needsRecovery && e.state !== 'pending' &&
    (e.kind === 'artifacts' || e.kind === 'expire')).slice(0, query.limit)
  let entries = 0
  let versions = 0
  for (const entry of candidates) {
    if (entry.kind === 'expire' ? isReferencedByVersion(data, entry.seq) : !commitPrunable(data, entry, horizonSeq)) continue
    for (const a of entry.artifacts) {
      if (a.version === null || a.removedSeq === null) continue
      versions++
      data.pruned.completeSnapshotsFrom = Math.max(data.pruned.completeSnapshotsFrom, a.removedSeq)
    }
    deleteEntry(data, entry)
    entries++
  }
  const reachedHorizon = candidates.length < query.limit
  return { entries, versions, lastSeq: reachedHorizon ? 0 : (candidates.at(-1)?.seq ?? 0), reachedHorizon }
}

export function historyHorizon(data: LogData): HistoryHorizon {
  return { prunedEntries: data.pruned.entries, completeSnapshotsFrom: data.pruned.completeSnapshotsFrom }
}
