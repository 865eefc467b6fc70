// Immutable content-addressed blobs at objects/sha256/ab/cdef…: every version of every artifact.
import { ReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { ObjectCorrupt, ObjectMissing } from '../../domain/errors.js'
import type { ObjectFiles } from '../../domain/ports.js'
import { realFs, type DurableFs } from './fs-seam.js'
import { isNotFound, storageFailure } from './io-errors.js'
import { discardStaged, hashFile, placeStaged, readBackCopies, removeTempFilesBelow, stageCopies, writeVerified, type StagedFile, type WriteOptions, type WrittenFile } from './verified-write.js'

export type StageOptions = Pick<WriteOptions, 'limit' | 'expectedSha256' | 'expectedMismatch' | 'sourceFailure'>

const SHA256_HEX = /^[0-9a-f]{64}$/

export class ObjectStore implements ObjectFiles {
  readonly dir: string
  /** Streamed uploads land here until their digest, and so their name, is known. */
  readonly incomingDir: string

  constructor(
    readonly root: string,
    private readonly fs: DurableFs = realFs,
  ) {
    this.dir = join(root, 'objects', 'sha256')
    this.incomingDir = join(root, 'objects', 'incoming')
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`)
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2))
  }

  relativePathOf(sha256: string): string {
    return `objects/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`
  }

  /** Stores bytes whose digest is already known; an intact existing copy is reused, a bad one replaced. */
  async putBytes(bytes: Uint8Array, sha256: string): Promise<WrittenFile> {
    const path = this.pathOf(sha256)
    if (await this.isIntact(sha256)) return { path, sha256, size: bytes.byteLength }
    return writeVerified(path, bytes, { fs: this.fs, root: this.root, expectedSha256: sha256 })
  }

  /** Streams bytes into objects/incoming as identical copies while hashing them; nothing is named until published. */
  async stageCopies(source: Uint8Array | AsyncIterable<Uint8Array>, labels: string[], options: StageOptions): Promise<StagedFile[]> {
    return stageCopies(this.incomingDir, source, labels, { fs: this.fs, root: this.root, ...options })
  }

  /** Names a staged upload by its digest: rename, fsync the folder. `readBack` must follow. */
  async place(staged: StagedFile): Promise<WrittenFile> {
    return placeStaged(staged, this.pathOf(staged.sha256), { fs: this.fs, root: this.root })
  }

  /** Reads placed copies of one content back in one pass: the first is hashed, the rest compared with it. */
  async readBack(files: WrittenFile[]): Promise<void> {
    await readBackCopies(files, { fs: this.fs, root: this.root })
  }

  async discard(staged: StagedFile): Promise<void> {
    await discardStaged(staged, { fs: this.fs, root: this.root })
  }

  async restore(source: AsyncIterable<Uint8Array>, sha256: string): Promise<void> {
    await writeVerified(this.pathOf(sha256), source, {
      fs: this.fs, root: this.root, expectedSha256: sha256, expectedMismatch: () => this.corrupt(sha256),
    })
  }

  /** True when the object exists and still hashes to its name. */
  async isIntact(sha256: string): Promise<boolean> {
    try {
      return (await hashFile(this.pathOf(sha256), this.root, this.fs)).sha256 === sha256
    } catch (error) {
      if (isNotFound((error as { cause?: unknown }).cause)) return false
      throw error
    }
  }

  /** Hashes a stored object and says what is wrong with it, if anything. */
  async check(sha256: string): Promise<'ok' | 'missing' | 'corrupt'> {
    try {
      const { sha256: actual } = await hashFile(this.pathOf(sha256), this.root, this.fs)
      return actual === sha256 ? 'ok' : 'corrupt'
    } catch (error) {
      if (isNotFound((error as { cause?: unknown }).cause)) return 'missing'
      throw error
    }
  }

  /** The object's bytes (or a range); a missing object is an ObjectMissing error on the stream. */
  readStream(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    return new ObjectReadStream(this.pathOf(sha256), range ?? {}, sha256)
  }

  async remove(sha256: string): Promise<void> {
    const path = this.pathOf(sha256)
    try {
      await this.fs.unlink(path)
    } catch (error) {
      if (isNotFound(error)) return
      throw storageFailure('unlink', this.relativePathOf(sha256), error)
    }
    try {
      await this.fs.fsyncDir(dirname(path))
    } catch (error) {
      throw storageFailure('fsync-dir', this.relativePathOf(sha256), error)
    }
  }

  async removeAbandonedTemps(): Promise<number> {
    return removeTempFilesBelow(join(this.root, 'objects'), this.root, this.fs)
  }

  corrupt(sha256: string): ObjectCorrupt {
    return new ObjectCorrupt(`stored object ${sha256} no longer hashes to its name`, { sha256 })
  }

  /** Every file under objects/: content objects by digest, and anything else that does not belong. */
  async *walk(): AsyncGenerator<{ relativePath: string; sha256: string | undefined; modifiedMs?: number }> {
    for (const prefix of await readdirOrEmpty(this.dir)) {
      for (const rest of await readdirOrEmpty(join(this.dir, prefix))) {
        const sha256 = `${prefix}${rest}`
        if (SHA256_HEX.test(sha256)) yield { relativePath: `objects/sha256/${prefix}/${rest}`, sha256 }
        else yield await this.strayEntry(join(this.dir, prefix, rest), `objects/sha256/${prefix}/${rest}`)
      }
    }
    for (const name of await readdirOrEmpty(this.incomingDir)) {
      yield await this.strayEntry(join(this.incomingDir, name), `objects/incoming/${name}`)
    }
  }

  private async strayEntry(path: string, relativePath: string): Promise<{ relativePath: string; sha256: undefined; modifiedMs?: number }> {
    try {
      return { relativePath, sha256: undefined, modifiedMs: (await stat(path)).mtimeMs }
    } catch (error) {
      if (isNotFound(error)) return { relativePath, sha256: undefined }
      throw storageFailure('stat', relativePath, error)
    }
  }
}

// fs.ReadStream's constructor, which @types/node leaves undeclared.
const FileReadStream = ReadStream as unknown as new (path: string, options: { start?: number; end?: number }) => ReadStream

/** fs.ReadStream whose failure to find the file is the domain's ObjectMissing (the file opens lazily, on first read). */
class ObjectReadStream extends FileReadStream {
  constructor(path: string, range: { start?: number; end?: number }, private readonly sha256: string) {
    super(path, range)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    super._destroy(error, (failure) => {
      callback(isNotFound(failure) ? new ObjectMissing(`stored object ${this.sha256} is missing from disk`, { sha256: this.sha256 }, { cause: failure }) : failure)
    })
  }
}

export async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    if (isNotFound(error) || (error as { code?: string }).code === 'ENOTDIR') return []
    throw storageFailure('readdir', dir.split(sep).slice(-3).join('/'), error)
  }
}
