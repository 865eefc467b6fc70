// Readiness probes of the real storage: a verified file write, a durable log write, free space.
import { constants } from 'node:fs'
import { access, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { StorageProbes } from '../domain/ports.js'
import { realFs, type DurableFs } from './files/fs-seam.js'
import { storageFailure } from './files/io-errors.js'
import { removeTempFiles, writeVerified } from './files/verified-write.js'

/** What readiness asks of the log, whichever database holds it (sqlite/log-probe.ts, postgres/log-probe.ts). */
export interface LogProbe {
  /** One durable row rewritten: after a fault, the log must take writes again. */
  probeWrite(at: string): Promise<void>
  /** Fails when a write transaction cannot run at all. */
  checkWritable(): Promise<void>
}

/** What readiness asks of an object store kept elsewhere (s3/object-store.ts): whether it answers. */
export interface ObjectStoreProbe {
  checkReachable(): Promise<void>
}

export class RealStorageProbes implements StorageProbes {
  /** Present only when the objects are not under the data dir. */
  readonly checkObjectStore?: () => Promise<void>

  constructor(
    private readonly root: string,
    private readonly log: LogProbe,
    private readonly fs: DurableFs = realFs,
    objectStore?: ObjectStoreProbe,
  ) {
    if (objectStore !== undefined) this.checkObjectStore = () => objectStore.checkReachable()
  }

  /** Probe writes go to health/, whose temps only a crash in the middle of a probe leaves behind. */
  removeLeftovers(): Promise<number> {
    return removeTempFiles(join(this.root, 'health'), this.root, this.fs)
  }

  /** A verified file write and a durable database write: after a fault, both paths must work again. */
  async probeWrite(): Promise<void> {
    const at = new Date().toISOString()
    await writeVerified(join(this.root, 'health', 'probe'), Buffer.from(`probe ${at}\n`), { fs: this.fs, root: this.root })
    await this.log.probeWrite(at)
  }

  checkDatabase(): Promise<void> {
    return this.log.checkWritable()
  }

  async checkDataDir(): Promise<void> {
    try {
      await access(this.root, constants.W_OK)
    } catch (error) {
      throw storageFailure('check-data-dir', '.', error)
    }
  }

  /** A statfs that fails is not a fault of the stored data: it passes as it is, an unexpected error. */
  async diskSpace(): Promise<{ freeBytes: number; totalBytes: number }> {
    const stats = await statfs(this.root)
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize }
  }
}
