// Puts the objects a snapshot refers to into the backup: hard-linked on the same filesystem, else copied.
import { link, mkdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { LedgerError } from '../../domain/errors.js'
import { realFs } from '../files/fs-seam.js'
import { errnoOf } from '../files/io-errors.js'
import { readLazily } from '../files/lazy-read.js'
import { hashFile, writeVerified } from '../files/verified-write.js'

export type Placement = 'linked' | 'copied' | 'missing' | 'corrupt'

/** Errors of link(2) that mean "not here": another filesystem, or one without hard links. */
const CANNOT_LINK = new Set(['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK'])

class DigestDiffers extends LedgerError {
  readonly code = 'object_corrupt'
}

export function objectPath(root: string, sha256: string): string {
  return join(root, 'objects', 'sha256', sha256.slice(0, 2), sha256.slice(2))
}

/**
 * One per backup. Objects are immutable once named (the service replaces one only by renaming a new
 * file over it), so a hard link is a snapshot of its bytes: a later replacement or GC leaves it alone.
 */
export class ObjectCopier {
  /** Falls to false at the first link the filesystem refuses, and stays there. */
  private linking = true
  private readonly madeDirs = new Set<string>()

  constructor(
    private readonly sourceRoot: string,
    private readonly targetRoot: string,
  ) {}

  get usesLinks(): boolean {
    return this.linking
  }

  /** Links or copies one object. A copy is verified as it is written; a link must still be hashed (checkLinked). */
  async place(sha256: string): Promise<Placement> {
    const source = objectPath(this.sourceRoot, sha256)
    const target = objectPath(this.targetRoot, sha256)
    if (this.linking) {
      await this.ensureDir(dirname(target))
      try {
        await link(source, target)
        return 'linked'
      } catch (error) {
        const errno = errnoOf(error)
        if (errno === 'ENOENT') return 'missing'
        if (errno === undefined || !CANNOT_LINK.has(errno)) throw error
        this.linking = false
      }
    }
    return this.copy(source, target, sha256)
  }

  /** Hashes a linked object; one that no longer hashes to its name is taken out of the backup. */
  async checkLinked(sha256: string): Promise<'ok' | 'corrupt'> {
    const target = objectPath(this.targetRoot, sha256)
    const { sha256: actual } = await hashFile(target, this.targetRoot)
    if (actual === sha256) return 'ok'
    await realFs.unlink(target)
    return 'corrupt'
  }

  /** Every folder the links were made in, made durable: a link is in the backup only once its entry is. */
  async syncDirs(): Promise<void> {
    const parents = new Set<string>()
    for (const dir of this.madeDirs) {
      await realFs.fsyncDir(dir)
      for (let up = dirname(dir); up.length >= this.targetRoot.length; up = dirname(up)) parents.add(up)
    }
    for (const dir of parents) await realFs.fsyncDir(dir)
  }

  private async copy(source: string, target: string, sha256: string): Promise<Placement> {
    try {
      // Temp beside the target, fsync, rename, fsync the folder, read back: the service's own writer.
      await writeVerified(target, readLazily(source, `objects/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`), {
        root: this.targetRoot,
        expectedSha256: sha256,
        expectedMismatch: (actual) => new DigestDiffers(`object ${sha256} hashes to ${actual}`, { sha256, actual }),
      })
      return 'copied'
    } catch (error) {
      if (error instanceof DigestDiffers) return 'corrupt'
      if (errnoOf((error as { cause?: unknown }).cause) === 'ENOENT') return 'missing'
      throw error
    }
  }

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return
    await mkdir(dir, { recursive: true })
    this.madeDirs.add(dir)
  }
}
