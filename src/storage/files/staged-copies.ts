// A streamed upload staged in objects/incoming as identical copies from one pass over the body: the
// object's and, while the plain view is on, the plain file's, so the upload is neither copied nor
// hashed a second time. Each copy is put in place by its own port (ObjectStore.publish,
// PlainView.showStaged); once every copy is renamed and its folder fsynced, one pass reads them all
// back: the first hashed, the others compared with it. The plain view's copy is staged without an
// fsync: the view flushes it in a batch after it is placed, or fsyncs it before placing it.
import type { StagedContent } from '../../domain/ports.js'
import { settleAll } from '../../domain/settle-all.js'
import { discardStaged, fsyncPublished, placeStaged, readBackCopies, type StagedFile, type WriteOptions, type WrittenFile } from './verified-write.js'

export type CopyLabel = 'object' | 'plain'

export class StagedCopies implements StagedContent {
  private readonly placements = new Map<CopyLabel, Promise<WrittenFile>>()
  private readonly placed = new Set<CopyLabel>()
  private readonly readBack: Promise<void>
  private startReadBack!: (files: Promise<WrittenFile[]>) => void

  constructor(
    readonly sha256: string,
    readonly size: number,
    /** Temp files by label, in the order they are read back (the first is hashed). */
    private readonly temps: ReadonlyMap<CopyLabel, string>,
    private readonly options: WriteOptions,
    /** Copies staged without an fsync. */
    private readonly unsynced: ReadonlySet<CopyLabel> = new Set(),
  ) {
    this.readBack = new Promise<WrittenFile[]>((resolve) => {
      this.startReadBack = (files) => resolve(files)
    }).then((files) => readBackCopies(files, options))
  }

  hasCopy(label: CopyLabel): boolean {
    return this.temps.has(label)
  }

  /**
   * Renames one copy to `target` and fsyncs its folder, then waits for the read-back of every copy:
   * it starts once the last copy is placed, and fails with the first placement's failure, if any.
   * With `deferFlush` neither the copy nor its folder is fsynced here (the caller flushes them later);
   * without it, a copy staged unsynced is fsynced before its rename.
   */
  async place(label: CopyLabel, target: string, placement: { deferFlush?: boolean } = {}): Promise<void> {
    const temp = this.temps.get(label)
    if (temp === undefined || this.placements.has(label)) throw new Error(`no ${label} copy left to place for ${this.sha256}`)
    const staged = { tempPath: temp, sha256: this.sha256, size: this.size }
    const deferFlush = placement.deferFlush === true
    const placing = (async () => {
      if (this.unsynced.has(label) && !deferFlush) await this.syncTemp(staged)
      return placeStaged(staged, target, { ...this.options, deferFlush })
    })()
    this.placements.set(label, placing.then((file) => (this.placed.add(label), file)))
    if (this.placements.size === this.temps.size) {
      // In label order, and only once every placement has settled: no rename is left running behind.
      this.startReadBack(settleAll([...this.temps.keys()].map((each) => this.placements.get(each) ?? placing)))
    }
    await this.readBack
  }

  /** fsyncs a copy staged unsynced; on failure it goes (a failed fsync is not retried on the same file). */
  private async syncTemp(staged: StagedFile): Promise<void> {
    try {
      await fsyncPublished(staged.tempPath, this.options.root, this.options.fs)
    } catch (error) {
      // The fsync's failure is what the caller must hear; a temp the discard could not remove is a
      // leftover that removeLeftovers takes at start-up, never a readable file.
      await discardStaged(staged, this.options).catch(() => undefined)
      throw error
    }
  }

  /** Removes every copy that was not put in place: a replay, a refused precondition, a fault. */
  async discard(): Promise<void> {
    const left = [...this.temps].filter(([label]) => !this.placed.has(label))
    await settleAll(left.map(([, tempPath]) => discardStaged({ tempPath, sha256: this.sha256, size: this.size } satisfies StagedFile, this.options)))
  }
}
