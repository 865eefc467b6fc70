// The default object store: small content inside ledger.db (sqlite/inline-objects.ts), the rest as
// files under objects/ (files/object-store.ts), behind the one ObjectStore port with the same digests.
// Where new content goes is decided by its size; content already stored stays where it is, so a
// change of INLINE_OBJECT_MAX_BYTES never leaves two copies that disagree about which one is read.
import { Readable } from 'node:stream'
import type { ObjectCheck, ObjectStore, StagedContent, StageOptions, StoredEntry } from '../domain/ports.js'
import type { FileObjectStore } from './files/object-store.js'
import type { InlineObjects } from './sqlite/inline-objects.js'

export class TieredObjectStore implements ObjectStore {
  constructor(
    private readonly inline: InlineObjects,
    private readonly files: FileObjectStore,
    /** Content of at most this many bytes is kept inline; 0 keeps everything in files. */
    private readonly inlineMaxBytes: number,
  ) {}

  private goesInline(sha256: string, size: number): boolean {
    // The size first: small content goes inline without a lookup (a commit asks this twice per artifact).
    return (size <= this.inlineMaxBytes && this.inlineMaxBytes > 0) || this.inline.has(sha256)
  }

  /** Inline content is written through the log's group commit: begun with a log write, it shares that transaction. */
  joinsLogTransaction(sha256: string, size: number): boolean {
    return this.goesInline(sha256, size)
  }

  /** Content that goes to a file is staged with the plain view's copy when the file store stages one. */
  stagesPlainCopy(sha256: string, size: number): boolean {
    return !this.goesInline(sha256, size) && this.files.stagesPlainCopy()
  }

  locationOf(sha256: string): string {
    return this.inline.has(sha256) ? this.inline.locationOf(sha256) : this.files.locationOf(sha256)
  }

  put(bytes: Uint8Array, sha256: string): Promise<void> {
    return this.goesInline(sha256, bytes.byteLength) ? this.inline.put(bytes, sha256) : this.files.put(bytes, sha256)
  }

  /**
   * Streamed uploads stay files: the plain view's copy is staged beside the object's and both are put
   * in place and read back together (files/staged-copies.ts), a pass an inline row cannot join.
   */
  stage(source: Uint8Array | AsyncIterable<Uint8Array>, options: StageOptions): Promise<StagedContent> {
    return this.files.stage(source, options)
  }

  publish(staged: StagedContent): Promise<void> {
    return this.files.publish(staged)
  }

  discard(staged: StagedContent): Promise<void> {
    return this.files.discard(staged)
  }

  /** Inline when it fits (or is inline already): the source is gathered up to the threshold, then handed on. */
  async restore(source: AsyncIterable<Uint8Array>, sha256: string): Promise<void> {
    if (this.inlineMaxBytes === 0 && !this.inline.has(sha256)) return this.files.restore(source, sha256)
    const limit = this.inline.has(sha256) ? Number.POSITIVE_INFINITY : this.inlineMaxBytes
    const head: Buffer[] = []
    let size = 0
    const iterator = source[Symbol.asyncIterator]()
    for (;;) {
      const next = await iterator.next()
      if (next.done === true) return this.inline.restore(Buffer.concat(head, size), sha256)
      head.push(Buffer.from(next.value))
      size += next.value.byteLength
      if (size > limit) break
    }
    async function* rest(): AsyncGenerator<Uint8Array> {
      yield* head
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value
    }
    return this.files.restore(rest(), sha256)
  }

  /** An inline object is served from its row (a range sliced from it); anything else is the file's stream. */
  read(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    let bytes: Buffer | undefined
    try {
      bytes = this.inline.bytesOf(sha256)
    } catch (error) {
      // Like a file that fails to open: an error on the stream, which the reader reports.
      const failed = new Readable({ read() {} })
      process.nextTick(() => failed.destroy(error as Error))
      return failed
    }
    if (bytes === undefined) return this.files.read(sha256, range)
    return Readable.from([range === undefined ? bytes : bytes.subarray(range.start, range.end + 1)], { objectMode: false })
  }

  /** The object's bytes as a source for another write (the plain view's). */
  async readSmall(sha256: string, size: number): Promise<Buffer> {
    const bytes = this.inline.bytesOf(sha256)
    return bytes === undefined ? this.files.readSmall(sha256, size) : bytes.subarray(0, size)
  }

  contentOf(sha256: string): AsyncIterable<Uint8Array> {
    const bytes = this.inline.bytesOf(sha256)
    return bytes === undefined ? this.files.contentOf(sha256) : Readable.from([bytes], { objectMode: false })
  }

  async check(sha256: string): Promise<ObjectCheck> {
    const inline = this.inline.check(sha256)
    return inline === 'missing' ? this.files.check(sha256) : inline
  }

  /** Both places: an object written as a file under an earlier threshold may also have been written inline. */
  async remove(sha256: string): Promise<void> {
    await this.inline.remove(sha256)
    await this.files.remove(sha256)
  }

  async *list(): AsyncGenerator<StoredEntry> {
    for await (const entry of this.files.list()) {
      // A file copy of an inline object (written under an earlier threshold) is not the object read.
      if (entry.kind === 'object' && this.inline.has(entry.sha256)) continue
      yield entry
    }
    for await (const sha256 of this.inline.list()) yield { kind: 'object', sha256, location: this.inline.locationOf(sha256) }
  }

  removeLeftovers(): Promise<number> {
    return this.files.removeLeftovers()
  }
}
