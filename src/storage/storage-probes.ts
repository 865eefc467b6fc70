// Readiness probes of the real storage: a verified write, a database write lock, free space.
import { constants } from 'node:fs'
import { access, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { StorageProbes } from '../domain/ports.js'
import { realFs, type DurableFs } from './files/fs-seam.js'
import { writeVerified } from './files/verified-write.js'
import type { Db } from './sqlite/ledger-db.js'

export class RealStorageProbes implements StorageProbes {
  constructor(
    private readonly root: string,
    private readonly db: Db,
    private readonly fs: DurableFs = realFs,
  ) {}

  async probeWrite(): Promise<void> {
    const bytes = Buffer.from(`probe ${new Date().toISOString()}\n`)
    await writeVerified(join(this.root, 'health', 'probe'), bytes, { fs: this.fs, root: this.root })
  }

  checkDatabase(): void {
    // BEGIN IMMEDIATE takes the write lock: it fails when the file is read-only, locked or broken.
    this.db.exec('BEGIN IMMEDIATE; ROLLBACK')
  }

  async checkDataDir(): Promise<void> {
    await access(this.root, constants.W_OK)
  }

  async diskSpace(): Promise<{ freeBytes: number; totalBytes: number }> {
    const stats = await statfs(this.root)
    return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize }
  }
}
