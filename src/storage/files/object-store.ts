// Immutable content-addressed blobs at objects/sha256/ab/cdef…: every version of every artifact.
// Uploads are staged in objects/incoming, with the plain view's copy beside the object's when the view
// is on (staged-copies.ts).
import { close, closeSync, open, openSync, read, readSync, ReadStream } from 'node:fs'
import { promisify } from 'node:util'
import { readdir, stat } from 'node:fs/promises'
import { dirname, join, sep } from 'node:path'
import { ObjectCorrupt, ObjectMissing } from '../../domain/errors.js'
import type { ObjectCheck, ObjectStore, StagedContent, StageOptions, StoredEntry } from '../../domain/ports.js'
import { realFs, type DurableFs } from './fs-seam.js'
import { isNotFound, storageFailure } from './io-errors.js'
import { readLazily } from './lazy-read.js'
import { StagedCopies, type CopyLabel } from './staged-copies.js'
import { hashFile, removeTempFilesBelow, stageCopies, writeVerified } from './verified-write.js'

const SHA256_HEX = /^[0-9a-f]{64}$/

/** Objects up to this size are read (whole) with synchronous calls; see readSmall. */
const SYNC_READ_BYTES = 64 * 1024
const openAsync = promisify(open)
const readAsync = promisify(read)
const closeAsync = promisify(close)

/** A file in objects/ that is not an object, younger than this, may belong to a write in progress. */
export const LEFTOVER_GRACE_MS = 60_000

const VIEW_COPY: ReadonlySet<CopyLabel> = new Set(['plain'])

export interface FileObjectStoreOptions {
  fs?: DurableFs
  /** Stage a copy for the plain view beside each upload (FilePlainView.showStaged puts it in place). */
  stagesViewCopy: boolean
}

export class FileObjectStore implements ObjectStore {
  private readonly dir: string
  /** Streamed uploads land here until their digest, and so their name, is known. */
  private readonly incomingDir: string
  private readonly fs: DurableFs
  private readonly copies: CopyLabel[]

  constructor(
    private readonly root: string,
    options: FileObjectStoreOptions,
  ) {
    this.dir = join(root, 'objects', 'sha256')
    this.incomingDir = join(root, 'objects', 'incoming')
    this.fs = options.fs ?? realFs
    this.copies = options.stagesViewCopy ? ['object', 'plain'] : ['object']
  }

  private pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`)
    return join(this.dir, sha256.slice(0, 2), sha256.slice(2))
  }

  locationOf(sha256: string): string {
    return `objects/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`
  }

  /** Stores bytes whose digest is already known; an intact existing copy is reused, a bad one replaced. */
  async put(bytes: Uint8Array, sha256: string): Promise<void> {
    if (await this.isIntact(sha256)) return
    await writeVerified(this.pathOf(sha256), bytes, { fs: this.fs, root: this.root, expectedSha256: sha256 })
  }

  /** Streams bytes into objects/incoming as identical copies while hashing them; nothing is named until published. */
  async stage(source: Uint8Array | AsyncIterable<Uint8Array>, options: StageOptions): Promise<StagedCopies> {
    // The view's copy is not fsynced here: the view flushes it in a batch, or fsyncs it as it places it.
    const files = await stageCopies(this.incomingDir, source, this.copies, { fs: this.fs, root: this.root, ...options }, VIEW_COPY)
    const [first] = files
    if (first === undefined || files.length !== this.copies.length) throw new Error('staging returned fewer copies than asked for')
    const temps = new Map(files.map((file, i) => [this.copies[i] ?? 'object', file.tempPath]))
    return new StagedCopies(first.sha256, first.size, temps, { fs: this.fs, root: this.root }, VIEW_COPY)
  }

  stagesPlainCopy(): boolean {
    return this.copies.includes('plain')
  }

  /** Names a staged upload by its digest: rename, fsync the folder, read back (with the view's copy, if staged). */
  async publish(staged: StagedContent): Promise<void> {
    await asStagedHere(staged).place('object', this.pathOf(staged.sha256))
  }

  async discard(staged: StagedContent): Promise<void> {
    await asStagedHere(staged).discard()
  }

  async restore(source: AsyncIterable<Uint8Array>, sha256: string): Promise<void> {
    await writeVerified(this.pathOf(sha256), source, {
      fs: this.fs, root: this.root, expectedSha256: sha256, expectedMismatch: () => this.corrupt(sha256),
    })
  }

  /** The object's bytes (or a range); a missing object is an ObjectMissing error on the stream. */
  read(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    return new ObjectReadStream(this.pathOf(sha256), range ?? {}, sha256)
  }

  /**
   * An object whole: open, one read of `size` bytes (more only after a short read), close. Up to
   * SYNC_READ_BYTES (64 KiB) synchronously: three syscalls on the event loop cost less than three
   * thread-pool round trips (a ReadStream makes four, and its stream machinery more), and the log's own
   * reads are synchronous the same way. Larger reads go through the thread pool, so a read from disk
   * never holds the loop for long. Measured: docs/performance.md, "Issue 15: reads near nginx".
   */
  async readSmall(sha256: string, size: number): Promise<Buffer> {
    const location = this.locationOf(sha256)
    const sync = size <= SYNC_READ_BYTES
    let fd: number
    try {
      fd = sync ? openSync(this.pathOf(sha256), 'r') : await openAsync(this.pathOf(sha256), 'r')
    } catch (error) {
      if (isNotFound(error)) throw new ObjectMissing(`stored object ${sha256} is missing from disk`, { sha256 }, { cause: error })
      throw storageFailure('open', location, error)
    }
    try {
      const buffer = Buffer.allocUnsafe(size)
      let filled = 0
      while (filled < size) {
        const got = sync
          ? readSync(fd, buffer, filled, size - filled, filled)
          : (await readAsync(fd, buffer, filled, size - filled, filled)).bytesRead
        if (got === 0) break
        filled += got
      }
      return buffer.subarray(0, filled)
    } catch (error) {
      throw storageFailure('read', location, error)
    } finally {
      // Read-only: closing cannot lose data, and a failure to close must not hide the read's outcome.
      if (sync) closeQuietlySync(fd)
      else await closeAsync(fd).catch(() => undefined)
    }
  }

  /** The object's bytes as a source for another write (the plain view's), opened lazily. */
  contentOf(sha256: string): AsyncIterable<Uint8Array> {
    return readLazily(this.pathOf(sha256), this.locationOf(sha256))
  }

  /** True when the object exists and still hashes to its name. */
  private async isIntact(sha256: string): Promise<boolean> {
    return (await this.check(sha256)) === 'ok'
  }

  /** Hashes a stored object and says what is wrong with it, if anything. */
  async check(sha256: string): Promise<ObjectCheck> {
    try {
      const { sha256: actual } = await hashFile(this.pathOf(sha256), this.root, this.fs)
      return actual === sha256 ? 'ok' : 'corrupt'
    } catch (error) {
      if (isNotFound((error as { cause?: unknown }).cause)) return 'missing'
      throw error
    }
  }

  async remove(sha256: string): Promise<void> {
    const path = this.pathOf(sha256)
    try {
      await this.fs.unlink(path)
    } catch (error) {
      if (isNotFound(error)) return
      throw storageFailure('unlink', this.locationOf(sha256), error)
    }
    try {
      await this.fs.fsyncDir(dirname(path))
    } catch (error) {
      throw storageFailure('fsync-dir', this.locationOf(sha256), error)
    }
  }

  async removeLeftovers(): Promise<number> {
    return removeTempFilesBelow(join(this.root, 'objects'), this.root, this.fs)
  }

  private corrupt(sha256: string): ObjectCorrupt {
    return new ObjectCorrupt(`stored object ${sha256} no longer hashes to its name`, { sha256 })
  }

  /** Every file under objects/: content objects by digest, and anything else as a leftover, stale once old enough. */
  async *list(): AsyncGenerator<StoredEntry> {
    const now = Date.now()
    for (const prefix of await readdirOrEmpty(this.dir)) {
      for (const rest of await readdirOrEmpty(join(this.dir, prefix))) {
        const sha256 = `${prefix}${rest}`
        const location = `objects/sha256/${prefix}/${rest}`
        if (SHA256_HEX.test(sha256)) yield { kind: 'object', location, sha256 }
        else yield await this.leftover(join(this.dir, prefix, rest), location, now)
      }
    }
    for (const name of await readdirOrEmpty(this.incomingDir)) {
      yield await this.leftover(join(this.incomingDir, name), `objects/incoming/${name}`, now)
    }
  }

  /** A leftover untouched for LEFTOVER_GRACE_MS is stale; one gone meanwhile is not. */
  private async leftover(path: string, location: string, now: number): Promise<StoredEntry> {
    try {
      return { kind: 'leftover', location, stale: now - (await stat(path)).mtimeMs >= LEFTOVER_GRACE_MS }
    } catch (error) {
      if (isNotFound(error)) return { kind: 'leftover', location, stale: false }
      throw storageFailure('stat', location, error)
    }
  }
}

/** Staged content reaching a file store came from a file store: the ledger wires one pair (open-storage.ts). */
export function asStagedHere(staged: StagedContent): StagedCopies {
  if (!(staged instanceof StagedCopies)) throw new Error(`content ${staged.sha256} was not staged by the file object store`)
  return staged
}

// fs.ReadStream's constructor, which @types/node leaves undeclared.
const FileReadStream = ReadStream as unknown as new (path: string, options: { start?: number; end?: number; highWaterMark?: number }) => ReadStream

/**
 * Chunks of a streamed object: four times fs's default 64 KiB, so a 1 MiB GET is four reads, four socket
 * writes and four hash updates instead of sixteen. Measured: docs/performance.md, "Reads near nginx".
 */
const READ_CHUNK_BYTES = 256 * 1024

/** fs.ReadStream whose failure to find the file is the domain's ObjectMissing (the file opens lazily, on first read). */
class ObjectReadStream extends FileReadStream {
  constructor(path: string, range: { start?: number; end?: number }, private readonly sha256: string) {
    super(path, { ...range, highWaterMark: READ_CHUNK_BYTES })
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    super._destroy(error, (failure) => {
      callback(isNotFound(failure) ? new ObjectMissing(`stored object ${this.sha256} is missing from disk`, { sha256: this.sha256 }, { cause: failure }) : failure)
    })
  }
}

function closeQuietlySync(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // Nothing was written through it; the read's own outcome is what the caller needs.
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await readdir(dir)
  } catch (error) {
    if (isNotFound(error) || (error as { code?: string }).code === 'ENOTDIR') return []
    throw storageFailure('readdir', dir.split(sep).slice(-3).join('/'), error)
  }
}
