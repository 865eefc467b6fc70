// Garbage collection's half in the memory log: the same meaning as SQLite's object-gc.ts, over maps.
import type { CollectableObject, GcRecord, GcTotals } from '../../domain/ports.js'
import type { LogData, MemoryLogState } from './log-state.js'

/** A live version (committed, not removed) or an unsettled entry refers to the object. */
function isLive(data: LogData, sha256: string): boolean {
  for (const entry of data.entries.values()) {
    for (const a of entry.artifacts) {
      if (a.sha256 === sha256 && ((a.version !== null && a.removedSeq === null) || entry.needsRecovery)) return true
    }
  }
  return false
}

function isCollectable(data: LogData, sha256: string, olderThan: string): boolean {
  const object = data.objects.get(sha256)
  return object !== undefined && !isLive(data, sha256) && object.createdAt < olderThan && (object.releasedAt === null || object.releasedAt < olderThan)
}

/** The garbage-collection half of MemoryBookkeeping, which extends it. */
export class MemoryObjectGc {
  constructor(protected readonly state: MemoryLogState) {}

  collectableObjects(olderThan: string, afterSha256: string | null, limit: number): Promise<{ objects: CollectableObject[]; examined: number; next: string | null }> {
    return this.state.run((data) => {
      const page = [...data.objects.keys()].filter((sha256) => sha256 > (afterSha256 ?? '')).sort().slice(0, limit)
      return {
        objects: page.filter((sha256) => isCollectable(data, sha256, olderThan)).map((sha256) => ({ sha256, size: data.objects.get(sha256)?.size ?? 0 })),
        examined: page.length,
        next: page.length < limit ? null : (page.at(-1) ?? null),
      }
    })
  }

  takeCollectable(objects: readonly CollectableObject[], olderThan: string): Promise<CollectableObject[]> {
    return this.state.run((data) => {
      const taken = objects.filter(({ sha256 }) => isCollectable(data, sha256, olderThan))
        .map(({ sha256 }) => ({ sha256, size: data.objects.get(sha256)?.size ?? 0 }))
      for (const { sha256 } of taken) {
        data.objects.delete(sha256)
        data.toCollect.add(sha256)
      }
      data.gcTotals.reclaimedObjects += taken.length
      data.gcTotals.reclaimedBytes += taken.reduce((sum, o) => sum + o.size, 0)
      return taken
    })
  }

  isObjectLive(sha256: string): Promise<boolean> {
    return this.state.run((data) => isLive(data, sha256))
  }

  removedVersions(sessionId?: string): Promise<{ deleted: number; expired: number }> {
    return this.state.run((data) => {
      const counts = { deleted: 0, expired: 0 }
      for (const entry of data.entries.values()) {
        if (sessionId !== undefined && entry.sessionId !== sessionId) continue
        for (const a of entry.artifacts) {
          const kind = a.removedSeq === null ? undefined : data.entries.get(a.removedSeq)?.kind
          if (kind === 'delete') counts.deleted++
          else if (kind === 'expire') counts.expired++
        }
      }
      return counts
    })
  }

  objectsToCollect(): Promise<string[]> {
    return this.state.run((data) => [...data.toCollect])
  }

  objectCollected(sha256: string): Promise<void> {
    return this.state.run((data) => {
      data.toCollect.delete(sha256)
    })
  }

  /** Nothing is kept on disk. */
  async reclaimSpace(): Promise<number> {
    return 0
  }

  recordGc(record: GcRecord): Promise<void> {
    return this.state.run((data) => {
      data.gcRuns = [...data.gcRuns, structuredClone(record)].slice(-100)
      data.gcTotals.runs++
    })
  }

  lastGc(): Promise<GcRecord | undefined> {
    return this.state.run((data) => data.gcRuns.at(-1))
  }

  gcTotals(): Promise<GcTotals> {
    return this.state.run((data) => data.gcTotals)
  }
}
