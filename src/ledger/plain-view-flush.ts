// The plain view flushed in batches behind a durable checkpoint. A commit publishes its plain files
// atomically and reads them back before its 2xx, but does not fsync them: this flusher does, for every
// file shown since its last batch, then records in the log the highest seq whose plain files are all on
// disk. Start-up recovery re-checks only the plain files of entries after that checkpoint.
import type { FlushFailure, LedgerPorts, UnflushedFile } from '../domain/ports.js'

export type PlainViewFlushParts = Pick<LedgerPorts, 'log' | 'bookkeeping' | 'view' | 'coordination'>

export interface PlainViewFlushEvents {
  /** A batch that could not flush every file, or rewrite one whose flush failed, or record its checkpoint. */
  onError: (error: unknown) => void
  /** A batch that flushed everything and recorded its checkpoint. */
  onSuccess: () => void
}

/** The highest seq at or below which no entry is pending: every plain file such an entry wrote is already shown. */
export async function settledPrefix(log: PlainViewFlushParts['log']): Promise<number> {
  // lastSeq first: an entry that is pending now but was not when lastSeq was read ended before the
  // flush that follows starts, so its files are in that flush; a later one has a greater seq.
  const last = await log.lastSeq()
  const [firstPending] = await log.pendingCommits()
  return firstPending !== undefined && firstPending.seq <= last ? firstPending.seq - 1 : last
}

export class PlainViewFlusher {
  private timer: NodeJS.Timeout | undefined
  /** The batch running now, if any; batches run one at a time. */
  private running: Promise<void> | undefined
  /**
   * Files whose flush failed, by session and name. Each is written again from the log's latest version
   * (a new file: a failed fsync is never retried on the same one) before the checkpoint may move.
   */
  private readonly owed = new Map<string, UnflushedFile>()
  /** The checkpoint this process last recorded, so an idle batch writes nothing. */
  private recorded: number | undefined
  /**
   * Set once start-up recovery is done: before, a batch would record a checkpoint past entries a
   * previous process left unflushed and this one has not re-checked yet (a failed start, stopped).
   */
  private started = false

  constructor(
    private readonly parts: PlainViewFlushParts,
    private readonly events: PlainViewFlushEvents,
  ) {}

  /** Plain files whose flush failed and that are not written again yet: readiness fails while there are any. */
  get owedRewrites(): number {
    return this.owed.size
  }

  /** Flushes every `intervalMs` (0: no timer; `flush()` and `stop()` still run a batch). */
  start(intervalMs: number): void {
    this.started = true
    if (intervalMs <= 0 || this.timer !== undefined) return
    this.timer = setInterval(() => {
      // A tick during a batch is skipped: the next tick takes everything shown meanwhile. A failed batch
      // was reported by runBatch (onError) before rejecting, and the next tick tries again.
      if (this.running === undefined) this.flush().catch(() => undefined)
    }, intervalMs)
    this.timer.unref()
  }

  /**
   * One batch, after the one running (a file shown during that one is not in it). Resolves once the
   * checkpoint covers every entry ended before the call; rejects (after reporting) when it could not.
   */
  flush(): Promise<void> {
    const previous = this.running ?? Promise.resolve()
    const batch = previous.then(() => this.runBatch(), () => this.runBatch())
    const tracked = batch.finally(() => {
      if (this.running === tracked) this.running = undefined
    })
    this.running = tracked
    return tracked
  }

  /** Stops the timer, then flushes what is left and records the final checkpoint (the commits have drained). */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    // A failed last batch was reported by runBatch (onError) and leaves the checkpoint where it was, so
    // start-up recovery re-checks those files: stopping goes on.
    await this.flush().catch(() => undefined)
  }

  private async runBatch(): Promise<void> {
    if (!this.started) return
    try {
      const rewriteFailure = await this.rewriteOwed()
      const upTo = await settledPrefix(this.parts.log)
      const failures = await this.parts.view.flush()
      for (const failure of failures) this.owed.set(keyOf(failure), { sessionId: failure.sessionId, name: failure.name })
      const [failure] = failures
      if (failure !== undefined) throw flushError(failure, failures)
      if (rewriteFailure !== undefined) throw rewriteFailure.error
      // Every file of every entry up to `upTo` was shown before the flush began, and all of them are on disk.
      if (upTo !== this.recorded) {
        await this.parts.bookkeeping.setPlainViewCheckpoint(upTo)
        this.recorded = upTo
      }
    } catch (error) {
      this.events.onError(error)
      throw error
    }
    this.events.onSuccess()
  }

  /** Writes every owed file again, under its session's lock, as the log has it now. Returns the first failure. */
  private async rewriteOwed(): Promise<{ error: unknown } | undefined> {
    let first: { error: unknown } | undefined
    const { log, view, coordination } = this.parts
    for (const [key, { sessionId, name }] of [...this.owed]) {
      try {
        await coordination.sessions.withLock(sessionId, async () => {
          const latest = await log.latestVersion(sessionId, name)
          if (latest === undefined) await view.remove(sessionId, name)
          // Batched again: this batch's flush, which follows, fsyncs the new file.
          else await view.show(sessionId, name, { sha256: latest.sha256 }, { batched: true })
        })
        this.owed.delete(key)
      } catch (error) {
        first ??= { error }
      }
    }
    return first
  }
}

function keyOf(file: UnflushedFile): string {
  return `${file.sessionId}\u0000${file.name}`
}

/** The first failure, naming how many files of the batch were not flushed. */
function flushError(first: FlushFailure, all: FlushFailure[]): unknown {
  if (all.length > 1 && first.error instanceof Error) {
    Object.assign(first.error, { unflushedFiles: all.length })
  }
  return first.error
}
