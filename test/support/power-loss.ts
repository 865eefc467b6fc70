// A DurableFs that knows which files under one folder a power loss could still take: renamed into
// place but not yet fsynced (their data) and their folder entry not fsynced since. `powerLoss()` leaves
// each such file as a power loss may (empty, missing or holding old bytes), and `holdFsyncs()` stops
// every fsync from some point on, so a test can cut the power in the middle of a flush.
import { dirname } from 'node:path'
import { truncate, unlink, writeFile } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { realFs, type DurableFs } from '../../src/storage/files/fs-seam.js'

interface Published {
  data: boolean
  entry: boolean
}

export class PowerLossFs implements DurableFs {
  private readonly paths = new WeakMap<FileHandle, string>()
  private readonly syncedTemps = new Set<string>()
  private readonly atRisk = new Map<string, Published>()
  private held: { after: number; reached: () => void } | undefined
  /** Resolves when the first held fsync arrives. */
  reachedHold: Promise<void> = Promise.resolve()

  constructor(private readonly watched: string, private readonly inner: DurableFs = realFs) {}

  /** Files a power loss now could take, by path. */
  unflushed(): string[] {
    return [...this.atRisk.keys()].sort()
  }

  /** From the `after`+1-th fsync on (of a file or a folder), every fsync waits forever: the power goes mid-flush. */
  holdFsyncs(after: number): void {
    this.reachedHold = new Promise((resolve) => {
      this.held = { after, reached: resolve }
    })
  }

  /** Leaves every file at risk as a power loss may, in turn: empty, missing, old bytes. Returns their paths. */
  async powerLoss(): Promise<string[]> {
    const lost = this.unflushed()
    for (const [i, path] of lost.entries()) {
      if (i % 3 === 0) await truncate(path, 0)
      else if (i % 3 === 1) await unlink(path)
      else await writeFile(path, 'bytes from before the power went\n')
    }
    this.atRisk.clear()
    return lost
  }

  mkdirp(dir: string): Promise<string | undefined> {
    return this.inner.mkdirp(dir)
  }

  async openTemp(path: string): Promise<FileHandle> {
    const handle = await this.inner.openTemp(path)
    this.paths.set(handle, path)
    return handle
  }

  write(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
    return this.inner.write(handle, bytes, position)
  }

  async fsync(handle: FileHandle): Promise<void> {
    await this.waitIfHeld()
    await this.inner.fsync(handle)
    const path = this.paths.get(handle)
    if (path === undefined) return
    this.syncedTemps.add(path)
    this.update(path, (file) => (file.data = true))
  }

  close(handle: FileHandle): Promise<void> {
    return this.inner.close(handle)
  }

  async rename(from: string, to: string): Promise<void> {
    await this.inner.rename(from, to)
    if (to.startsWith(`${this.watched}/`)) this.atRisk.set(to, { data: this.syncedTemps.has(from), entry: false })
  }

  async fsyncDir(dir: string): Promise<void> {
    await this.waitIfHeld()
    await this.inner.fsyncDir(dir)
    for (const path of [...this.atRisk.keys()]) if (dirname(path) === dir) this.update(path, (file) => (file.entry = true))
  }

  async openRead(path: string): Promise<FileHandle> {
    const handle = await this.inner.openRead(path)
    this.paths.set(handle, path)
    return handle
  }

  async unlink(path: string): Promise<void> {
    await this.inner.unlink(path)
    this.atRisk.delete(path)
  }

  private update(path: string, change: (file: Published) => void): void {
    const file = this.atRisk.get(path)
    if (file === undefined) return
    change(file)
    if (file.data && file.entry) this.atRisk.delete(path)
  }

  private async waitIfHeld(): Promise<void> {
    const held = this.held
    if (held === undefined) return
    if (held.after > 0) {
      held.after--
      return
    }
    held.reached()
    await new Promise<never>(() => undefined)
  }
}
