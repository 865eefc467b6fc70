// Garbage collection: mark-and-sweep of objects that nothing live refers to any more (their versions
// deleted or expired), once a grace period has passed, so that deletion and retention give space back.
import type { CollectableObject, GcRecord, LedgerPorts } from '../domain/ports.js'
import { BackgroundRun } from './background-run.js'
import { describeError } from './describe-error.js'
import { removeIfUnneeded } from './recovery.js'

export type GcParts = Pick<LedgerPorts, 'log' | 'bookkeeping' | 'objects' | 'coordination'>

export interface GcSettings {
  /**
   * An object is taken only when its upload and its release (its last live version removed) are both
   * older than this: a commit still in flight never loses its object, and a backup that links objects
   * within this time after its snapshot finds every one it needs.
   */
  graceSeconds: number
  /** Candidates checked per log read; the loop yields between pages, so commits never wait long. */
  batchSize: number
  /** Bytes of free log pages handed back to the filesystem per run. */
  reclaimDatabaseBytes: number
}

export const DEFAULT_GC_SETTINGS: GcSettings = { graceSeconds: 60 * 60, batchSize: 500, reclaimDatabaseBytes: 64 * 1024 * 1024 }

const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * One run. Each step leaves the ledger consistent if the process dies after it: the log first takes an
 * object out of the objects table and queues it (one transaction), then its file goes (unless a commit
 * has claimed or referenced it since), then the queue forgets it. Start-up finishes whatever is queued.
 */
async function collect(parts: GcParts, settings: GcSettings, signal: AbortSignal): Promise<GcRecord> {
  const { bookkeeping } = parts
  const startedAt = new Date().toISOString()
  const olderThan = new Date(Date.now() - settings.graceSeconds * 1000).toISOString()
  let examined = 0
  const reclaimed = { objects: 0, bytes: 0 }
  const sweep = async (objects: readonly CollectableObject[]): Promise<void> => {
    for (const object of objects) {
      await removeIfUnneeded(parts, object.sha256, (sha256) => bookkeeping.isObjectLive(sha256))
      await bookkeeping.objectCollected(object.sha256)
    }
  }
  // What an earlier run (or a crash in the middle of one) left queued goes first.
  const queued = await bookkeeping.objectsToCollect()
  await sweep(queued.map((sha256) => ({ sha256, size: 0 })))
  let after: string | null = null
  do {
    signal.throwIfAborted()
    const page = await bookkeeping.collectableObjects(olderThan, after, settings.batchSize)
    examined += page.examined
    const taken = await bookkeeping.takeCollectable(page.objects, olderThan)
    await sweep(taken)
    reclaimed.objects += taken.length
    reclaimed.bytes += taken.reduce((sum, o) => sum + o.size, 0)
    after = page.next
    await breathe()
  } while (after !== null)
  const reclaimedDatabaseBytes = await bookkeeping.reclaimSpace(settings.reclaimDatabaseBytes)
  return {
    startedAt, finishedAt: new Date().toISOString(), ok: true,
    examinedObjects: examined, reclaimedObjects: reclaimed.objects, reclaimedBytes: reclaimed.bytes, reclaimedDatabaseBytes, error: null,
  }
}

export interface CollectorEvents {
  onResult: (record: GcRecord) => void
  onError: (error: unknown) => void
  /** A timed run found another process collecting and left it to that one. */
  onSkipped?: () => void
}

/**
 * Runs collection on a timer and on demand; concurrent callers share the run in flight (one collector at a
 * time in this process), and among processes sharing the log one holds the turn (Coordination.collector): a
 * timed run finds another collecting and skips, a run asked for waits for that one to end and then runs, so
 * its record always covers a whole run begun after it was asked for.
 */
export class GarbageCollector extends BackgroundRun<GcRecord | undefined> {
  constructor(
    private readonly parts: GcParts,
    private readonly settings: GcSettings,
    private readonly events: CollectorEvents,
  ) {
    super(events.onError)
  }

  /** A run now (POST /v1/gc): joins this process's run in flight, or waits for another process's turn. */
  async collectNow(): Promise<GcRecord> {
    for (;;) {
      const record = await this.runOnce()
      if (record !== undefined) return record
      // It joined a timed run that found another process collecting: this one waits its turn.
    }
  }

  protected run(): Promise<GcRecord | undefined> {
    return this.inTurn(true)
  }

  protected override tick(): Promise<unknown> {
    return this.share(() => this.inTurn(false))
  }

  /** Undefined when it did not wait and another process held the turn. */
  private async inTurn(wait: boolean): Promise<GcRecord | undefined> {
    const outcome = await this.parts.coordination.collector.run(() => this.collectAndRecord(), { wait, signal: this.stopping.signal })
    if (outcome.ran) return outcome.value
    this.events.onSkipped?.()
    return undefined
  }

  /** A run that fails is recorded too (`ok: false`, why), so status shows it until the next one succeeds. */
  private async collectAndRecord(): Promise<GcRecord> {
    const startedAt = new Date().toISOString()
    try {
      const record = await collect(this.parts, this.settings, this.stopping.signal)
      await this.parts.bookkeeping.recordGc(record)
      this.events.onResult(record)
      return record
    } catch (error) {
      const { code, detail } = describeError(error)
      const record: GcRecord = {
        startedAt, finishedAt: new Date().toISOString(), ok: false,
        examinedObjects: 0, reclaimedObjects: 0, reclaimedBytes: 0, reclaimedDatabaseBytes: 0, error: `${code}: ${detail}`,
      }
      // The log may be what failed; the error is what matters and is reported either way.
      await this.parts.bookkeeping.recordGc(record).catch((recordError: unknown) => this.events.onError(recordError))
      throw error
    }
  }
}
