// History retention: the log keeps every entry that still has an effect, and the entries of versions long
// removed (and the expiries that removed them) for a while after, then prunes them, so a ledger under
// retention stays flat instead of growing with every commit it ever took. Like etcd's compaction, a
// snapshot from before what was pruned is refused rather than answered incomplete.
import { HistoryPruned } from '../domain/errors.js'
import type { CommitLog, HistoryHorizon } from '../domain/ports.js'

/** Entries examined per batch: one transaction of this many is a few milliseconds. */
export const HISTORY_PRUNE_BATCH = 1000

export class HistoryPruner {
  /** Where the next batch starts; each pass walks from the start of the log to the horizon once. */
  private afterSeq = 0

  constructor(
    private readonly log: Pick<CommitLog, 'pruneHistory' | 'historyHorizon'>,
    /** How long history outlives what it describes; 0 keeps all of it. */
    private readonly retentionSeconds: number,
  ) {}

  get isOn(): boolean {
    return this.retentionSeconds > 0
  }

  /** One batch; returns how many entries went. */
  async pruneBatch(now = Date.now()): Promise<number> {
    if (!this.isOn) return 0
    const before = new Date(now - this.retentionSeconds * 1000).toISOString()
    const result = await this.log.pruneHistory({ before, afterSeq: this.afterSeq, limit: HISTORY_PRUNE_BATCH })
    this.afterSeq = result.lastSeq
    return result.entries
  }

  /** Prunes until a pass reaches the horizon (tests, an operator); returns how many entries went. */
  async pruneAll(now = Date.now()): Promise<number> {
    if (!this.isOn) return 0
    this.afterSeq = 0
    let total = 0
    for (;;) {
      total += await this.pruneBatch(now)
      if (this.afterSeq === 0) return total
    }
  }

  horizon(): Promise<HistoryHorizon> {
    return this.log.historyHorizon()
  }

  /** Refuses a snapshot that pruning has made incomplete. */
  async assertSnapshot(atSeq: number | undefined): Promise<void> {
    if (atSeq === undefined) return
    const { completeSnapshotsFrom } = await this.log.historyHorizon()
    if (atSeq >= completeSnapshotsFrom) return
    throw new HistoryPruned(
      `the history before seq ${completeSnapshotsFrom} is pruned: a snapshot as of seq ${atSeq} would lack versions removed since, so it is not answered`,
      { atSeq, completeSnapshotsFrom },
    )
  }
}
