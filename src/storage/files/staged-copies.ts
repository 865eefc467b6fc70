// A streamed upload staged in objects/incoming as identical copies from one pass over the body: the
// object's and, while the plain view is on, the plain file's, so the upload is neither copied nor
// hashed a second time. Each copy is put in place by its own port (ObjectStore.publish,
// PlainView.showStaged); once every copy is renamed and its folder fsynced, one pass reads them all
// back: the first hashed, the others compared with it.
import type { StagedContent } from '../../domain/ports.js'
import { discardStaged, placeStaged, readBackCopies, type StagedFile, type WriteOptions, type WrittenFile } from './verified-write.js'

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
   */
  async place(label: CopyLabel, target: string): Promise<void> {
    const temp = this.temps.get(label)
    if (temp === undefined || this.placements.has(label)) throw new Error(`no ${label} copy left to place for ${this.sha256}`)
    const placing = placeStaged({ tempPath: temp, sha256: this.sha256, size: this.size }, target, this.options)
    this.placements.set(label, placing.then((file) => (this.placed.add(label), file)))
    if (this.placements.size === this.temps.size) {
      // In label order, and only once every placement has settled: no rename is left running behind.
      this.startReadBack(settleAll([...this.temps.keys()].map((each) => this.placements.get(each) ?? placing)))
    }
    await this.readBack
  }

  /** Removes every copy that was not put in place: a replay, a refused precondition, a fault. */
  async discard(): Promise<void> {
    const left = [...this.temps].filter(([label]) => !this.placed.has(label))
    await settleAll(left.map(([, tempPath]) => discardStaged({ tempPath, sha256: this.sha256, size: this.size } satisfies StagedFile, this.options)))
  }
}

/** Waits for every promise to settle, then throws the first failure (in order), if any. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed !== undefined) throw failed.reason as unknown
  return results.map((r) => (r as PromiseFulfilledResult<T>).value)
}
