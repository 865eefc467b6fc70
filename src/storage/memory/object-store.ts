// Objects held in memory: nothing survives the process. For tests and tools that need no durability,
// and the proof that the object port is backend-neutral: it passes the same contract suite as the files.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { ObjectCorrupt, ObjectMissing, ReadBackMismatch } from '../../domain/errors.js'
import type { ObjectCheck, ObjectStore, StagedContent, StageOptions, StoredEntry } from '../../domain/ports.js'
import { receive } from '../../domain/staging.js'

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

class MemoryStaged implements StagedContent {
  constructor(
    readonly sha256: string,
    readonly size: number,
    readonly bytes: Buffer,
  ) {}
}

export class MemoryObjectStore implements ObjectStore {
  private readonly staged = new Set<MemoryStaged>()

  /** `objects` may be shared with whoever made the store (a test that damages one on purpose). */
  constructor(private readonly objects = new Map<string, Buffer>()) {}

  locationOf(sha256: string): string {
    return `memory:sha256/${sha256}`
  }

  async put(bytes: Uint8Array, sha256: string): Promise<void> {
    const actual = sha256Of(bytes)
    if (actual !== sha256) throw new ReadBackMismatch(`written bytes hash to ${actual}, expected ${sha256}`, { path: this.locationOf(sha256) })
    // A copy: the caller may reuse its buffer.
    if ((await this.check(sha256)) !== 'ok') this.objects.set(sha256, Buffer.from(bytes))
  }

  async stage(source: Uint8Array | AsyncIterable<Uint8Array>, options: StageOptions): Promise<StagedContent> {
    const chunks: Buffer[] = []
    for await (const chunk of receive(source, options)) chunks.push(Buffer.from(chunk))
    const bytes = Buffer.concat(chunks)
    const sha256 = sha256Of(bytes)
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
      throw options.expectedMismatch?.(sha256) ?? new ReadBackMismatch(`received bytes hash to ${sha256}, expected ${options.expectedSha256}`, {})
    }
    const staged = new MemoryStaged(sha256, bytes.byteLength, bytes)
    this.staged.add(staged)
    return staged
  }

  async publish(staged: StagedContent): Promise<void> {
    const mine = this.stagedHere(staged)
    this.objects.set(mine.sha256, mine.bytes)
    this.staged.delete(mine)
  }

  async discard(staged: StagedContent): Promise<void> {
    this.staged.delete(this.stagedHere(staged))
  }

  private stagedHere(staged: StagedContent): MemoryStaged {
    if (!(staged instanceof MemoryStaged)) throw new Error(`content ${staged.sha256} was not staged by this store`)
    return staged
  }

  async restore(source: AsyncIterable<Uint8Array>, sha256: string): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of source) chunks.push(Buffer.from(chunk))
    const bytes = Buffer.concat(chunks)
    if (sha256Of(bytes) !== sha256) throw new ObjectCorrupt(`stored object ${sha256} no longer hashes to its name`, { sha256 })
    this.objects.set(sha256, bytes)
  }

  read(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    const bytes = this.objects.get(sha256)
    if (bytes === undefined) {
      // Lazily, like a file opened on first read: the error arrives on the stream.
      return new Readable({
        read() {
          this.destroy(new ObjectMissing(`stored object ${sha256} is missing from the store`, { sha256 }))
        },
      })
    }
    return Readable.from([range === undefined ? bytes : bytes.subarray(range.start, range.end + 1)], { objectMode: false })
  }

  async readSmall(sha256: string, size: number): Promise<Buffer> {
    const bytes = this.objects.get(sha256)
    if (bytes === undefined) throw new ObjectMissing(`stored object ${sha256} is missing from the store`, { sha256 })
    return Buffer.from(bytes.subarray(0, size))
  }

  async check(sha256: string): Promise<ObjectCheck> {
    const bytes = this.objects.get(sha256)
    if (bytes === undefined) return 'missing'
    return sha256Of(bytes) === sha256 ? 'ok' : 'corrupt'
  }

  async remove(sha256: string): Promise<void> {
    this.objects.delete(sha256)
  }

  async *list(): AsyncGenerator<StoredEntry> {
    for (const sha256 of [...this.objects.keys()]) yield { kind: 'object', sha256, location: this.locationOf(sha256) }
    // Staged content is in flight until published or discarded: a leftover, never stale.
    for (const staged of [...this.staged]) yield { kind: 'leftover', location: `memory:staged/${staged.sha256}`, stale: false }
  }

  async removeLeftovers(): Promise<number> {
    const count = this.staged.size
    this.staged.clear()
    return count
  }
}
