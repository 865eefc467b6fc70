// Deletion and expiry in the memory log: the same meaning as SQLite's removals.ts, over maps. One entry
// per removal, the removed versions marked with its seq, nothing deleted; objects only stamped released.
import type { DeleteChange, EntryChange, ExpireChange, RemovalKind } from '../../domain/model.js'
import type { ExpiryCandidate, ExpiryQuery } from '../../domain/ports.js'
import { effectiveRetention } from '../../domain/session.js'
import { appendSessionEntry, mustSession, type LogData, type MemoryArtifact } from './log-state.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** Every live version of a session, each with the entry that holds it. */
function* liveArtifacts(data: LogData, sessionId: string): Generator<{ seq: number; finishedAt: string; artifact: MemoryArtifact }> {
  for (const entry of data.entries.values()) {
    if (entry.sessionId !== sessionId || entry.kind !== 'artifacts') continue
    for (const artifact of entry.artifacts) {
      if (artifact.version !== null && artifact.removedSeq === null) yield { seq: entry.seq, finishedAt: entry.finishedAt ?? entry.createdAt, artifact }
    }
  }
}

function remove(data: LogData, sessionId: string, kind: RemovalKind, change: EntryChange, artifacts: readonly MemoryArtifact[], at: string): number {
  const entry = appendSessionEntry(data, sessionId, kind, change, at, true)
  for (const artifact of artifacts) artifact.removedSeq = entry.seq
  const latest = data.latest.get(sessionId)
  const live = [...liveArtifacts(data, sessionId)]
  for (const name of new Set(artifacts.map((a) => a.name))) {
    const seq = latest?.get(name)
    const stillLatest = live.some((v) => v.seq === seq && v.artifact.name === name)
    if (!stillLatest) latest?.delete(name)
  }
  for (const sha256 of new Set(artifacts.map((a) => a.sha256))) {
    if (sha256 === null) continue
    const referenced = [...data.entries.values()].some((e) => e.artifacts.some((a) => a.sha256 === sha256 && a.version !== null && a.removedSeq === null))
    const object = data.objects.get(sha256)
    if (!referenced && object !== undefined) object.releasedAt ??= at
  }
  return entry.seq
}

export function deleteArtifact(data: LogData, sessionId: string, name: string, change: Omit<DeleteChange, 'removedVersions'>, at: string): number {
  const artifacts = [...liveArtifacts(data, sessionId)].filter((v) => v.artifact.name === name).map((v) => v.artifact)
  return remove(data, sessionId, 'delete', { delete: { ...change, removedVersions: artifacts.length } }, artifacts, at)
}

export function deleteSession(data: LogData, sessionId: string, change: Omit<DeleteChange, 'removedVersions'>, at: string): number {
  const artifacts = [...liveArtifacts(data, sessionId)].map((v) => v.artifact)
  const seq = remove(data, sessionId, 'delete', { delete: { ...change, removedVersions: artifacts.length } }, artifacts, at)
  Object.assign(mustSession(data, sessionId), { state: 'deleted', updatedAt: at })
  return seq
}

export function expireVersions(data: LogData, sessionId: string, change: ExpireChange, at: string): number | undefined {
  const live = [...liveArtifacts(data, sessionId)]
  const found = change.versions.flatMap((ref) => {
    const hit = live.find((v) => v.artifact.name === ref.name && v.artifact.version === ref.version)
    return hit === undefined ? [] : [{ ref, artifact: hit.artifact }]
  })
  if (found.length === 0) return undefined
  const expire = { retention: change.retention, versions: found.map((f) => f.ref) }
  return remove(data, sessionId, 'expire', { expire }, found.map((f) => f.artifact), at)
}

export function expirable(data: LogData, query: ExpiryQuery): ExpiryCandidate[] {
  const now = Date.parse(query.now)
  const found: (ExpiryCandidate & { seq: number })[] = []
  for (const session of data.sessions.values()) {
    if (session.hold || session.state === 'deleted') continue
    const retention = effectiveRetention(session.retention, query.defaults)
    const highest = new Map<string, number>()
    for (const entry of data.entries.values()) {
      if (entry.sessionId !== session.id) continue
      for (const a of entry.artifacts) if (a.version !== null) highest.set(a.name, Math.max(highest.get(a.name) ?? 0, a.version))
    }
    for (const { seq, finishedAt, artifact } of liveArtifacts(data, session.id)) {
      const version = artifact.version ?? 0
      const beyondKeep = retention.keepVersions !== undefined && version <= (highest.get(artifact.name) ?? 0) - retention.keepVersions
      const tooOld = retention.deleteAfterDays !== undefined && Date.parse(finishedAt) < now - retention.deleteAfterDays * DAY_MS
      if (beyondKeep || tooOld) found.push({ seq, sessionId: session.id, name: artifact.name, version, retention })
    }
  }
  return found.sort((a, b) => a.seq - b.seq).slice(0, query.limit).map(({ seq, ...candidate }) => candidate)
}
