// Content-addressed objects in an S3 bucket, as GitLab's registry, distribution and lakeFS keep blobs:
// uploads stream to <prefix>/uploads/<uuid>, hashed as they go; publishing writes
// <prefix>/objects/sha256/ab/cdef… only if it is absent (or over the very version found damaged), then
// reads it back and hashes it. S3 is a dumb content store here: a good object is never overwritten, and
// nothing is deleted inline but the staging key of the content just published.
import { createHash, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import { ObjectCorrupt, ObjectMissing, PayloadTooLarge, ReadBackMismatch } from '../../domain/errors.js'
import type { ObjectCheck, ObjectStore, StagedContent, StageOptions, StoredEntry } from '../../domain/ports.js'
import { receive } from '../../domain/staging.js'
import { Bucket, openS3Client, type BucketOptions, type HashedKey } from './bucket.js'
import type { S3Location } from './location.js'

const SHA256_HEX = /^[0-9a-f]{64}$/
const OBJECTS = 'objects/sha256/'
const UPLOADS = 'uploads/'
/** A leftover younger than this may belong to a write in progress (as for the files). */
export const LEFTOVER_GRACE_MS = 60_000
/** A single PUT's limit: publish writes the content key in one conditional PUT. */
const LARGEST_SINGLE_PUT = 5 * 1024 * 1024 * 1024

export interface S3ObjectStoreOptions extends BucketOptions {
  /**
   * removeLeftovers removes only uploads older than this. 0 (the default) suits one ledger per bucket,
   * which removes them at start-up; replicas sharing a bucket must wait longer than their longest upload.
   */
  removeLeftoversOlderThanMs?: number
}

/** Content streamed to a staging key, hashed on the way; the key goes once it is published or discarded. */
class S3Staged implements StagedContent {
  constructor(
    readonly sha256: string,
    readonly size: number,
    readonly stagingKey: string,
  ) {}
}

export class S3ObjectStore implements ObjectStore {
  private readonly bucket: Bucket
  private readonly removeLeftoversOlderThanMs: number

  constructor(client: S3Client, bucketName: string, prefix: string, options: S3ObjectStoreOptions = {}) {
    this.bucket = new Bucket(client, bucketName, prefix, options)
    this.removeLeftoversOlderThanMs = options.removeLeftoversOlderThanMs ?? 0
  }

  /** A store on the bucket an `s3://` URL names (location.ts), with a client of its own. */
  static open(location: S3Location, options: S3ObjectStoreOptions = {}): S3ObjectStore {
    return new S3ObjectStore(openS3Client(location), location.bucket, location.prefix, options)
  }

  /** Throws unless the bucket answers within `timeoutMs` (readiness: storage-probes.ts). */
  checkReachable(timeoutMs = 5000): Promise<void> {
    return this.bucket.head(timeoutMs)
  }

  /** Closes the client's sockets. */
  close(): void {
    this.bucket.client.destroy()
  }

  private contentKey(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`)
    return `${OBJECTS}${sha256.slice(0, 2)}/${sha256.slice(2)}`
  }

  locationOf(sha256: string): string {
    return this.bucket.urlOf(this.contentKey(sha256))
  }

  async put(bytes: Uint8Array, sha256: string): Promise<void> {
    const actual = createHash('sha256').update(bytes).digest('hex')
    if (actual !== sha256) throw new ReadBackMismatch(`bytes to store hash to ${actual}, expected ${sha256}`, { path: this.locationOf(sha256) })
    await this.place(sha256, bytes.byteLength, async () => bytes)
  }

  async stage(source: Uint8Array | AsyncIterable<Uint8Array>, options: StageOptions): Promise<StagedContent> {
    const stagingKey = `${UPLOADS}${randomUUID()}`
    const hash = createHash('sha256')
    let size = 0
    async function* hashed(): AsyncGenerator<Uint8Array> {
      for await (const chunk of receive(source, options)) {
        hash.update(chunk)
        size += chunk.byteLength
        yield chunk
      }
    }
    await this.bucket.upload(stagingKey, hashed())
    const sha256 = hash.digest('hex')
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
      await this.bucket.delete(stagingKey)
      throw options.expectedMismatch?.(sha256) ?? new ReadBackMismatch(`received bytes hash to ${sha256}, expected ${options.expectedSha256}`, {})
    }
    return new S3Staged(sha256, size, stagingKey)
  }

  async publish(staged: StagedContent): Promise<void> {
    const mine = stagedHere(staged)
    await this.place(mine.sha256, mine.size, () => this.stagedBytes(mine))
    await this.bucket.delete(mine.stagingKey)
  }

  async discard(staged: StagedContent): Promise<void> {
    await this.bucket.delete(stagedHere(staged).stagingKey)
  }

  async restore(source: AsyncIterable<Uint8Array>, sha256: string): Promise<void> {
    const staged = stagedHere(await this.stage(source, {
      limit: { bytes: LARGEST_SINGLE_PUT, error: () => new PayloadTooLarge(`a restore of ${sha256} is larger than one PUT`) },
      expectedSha256: sha256, expectedMismatch: () => this.corrupt(sha256),
    }))
    try {
      await this.place(sha256, staged.size, () => this.stagedBytes(staged))
    } finally {
      await this.bucket.delete(staged.stagingKey)
    }
  }

  /**
   * Makes `sha256` readable from bytes already known to hash to it: an intact object is kept; an absent
   * one is written only if still absent (If-None-Match: *), a damaged one only over the version found
   * damaged (If-Match), so a racer's good copy is never overwritten; then the object is read back.
   * Crash: the object absent or whole under its digest (a PUT is atomic).
   */
  private async place(sha256: string, size: number, bytes: () => Promise<Uint8Array | AsyncIterable<Uint8Array>>): Promise<void> {
    if (size > LARGEST_SINGLE_PUT) throw new PayloadTooLarge(`${size} bytes are more than one PUT takes`, { sha256, size })
    const key = this.contentKey(sha256)
    const found = await this.bucket.hash(key)
    if (found?.sha256 === sha256) return
    const condition = found === undefined ? { ifAbsent: true as const } : found.etag === undefined ? undefined : { ifEtag: found.etag }
    // When the condition fails someone else wrote the key meanwhile: the read-back says with what.
    await this.bucket.put(key, await bytes(), size, condition)
    this.readBackOk(sha256, await this.bucket.hash(key))
  }

  private readBackOk(sha256: string, found: HashedKey | undefined): void {
    if (found?.sha256 === sha256) return
    const actual = found === undefined ? 'nothing' : `bytes hashing to ${found.sha256}`
    throw new ReadBackMismatch(`read back ${actual} from ${this.locationOf(sha256)}, expected ${sha256}`, { path: this.locationOf(sha256) })
  }

  /**
   * The staged bytes, read again from the store and hashed on the way: if they no longer hash to their
   * digest the stream fails before its last byte, so the PUT it feeds never completes.
   */
  private async stagedBytes(staged: S3Staged): Promise<AsyncIterable<Uint8Array>> {
    const found = await this.bucket.get(staged.stagingKey)
    if (found === undefined) throw new ObjectMissing(`staged content ${staged.sha256} is gone from ${this.bucket.urlOf(staged.stagingKey)}`, { sha256: staged.sha256 })
    const location = this.bucket.urlOf(staged.stagingKey)
    return (async function* verified(): AsyncGenerator<Uint8Array> {
      const hash = createHash('sha256')
      const chunks = found.body[Symbol.asyncIterator]()
      let next = await chunks.next()
      while (next.done !== true) {
        hash.update(next.value)
        const chunk = next.value
        next = await chunks.next()
        if (next.done === true && hash.digest('hex') !== staged.sha256) {
          throw new ReadBackMismatch(`staged content at ${location} no longer hashes to ${staged.sha256}`, { path: location })
        }
        yield chunk
      }
    })()
  }

  read(sha256: string, range?: { start: number; end: number }): NodeJS.ReadableStream {
    const key = this.contentKey(sha256)
    const bucket = this.bucket
    const location = this.locationOf(sha256)
    // Opened on the first read, like a file: a missing object is an error on the stream.
    return Readable.from((async function* opened(): AsyncGenerator<Uint8Array> {
      const found = await bucket.get(key, range)
      if (found === undefined) throw new ObjectMissing(`stored object ${sha256} is missing from ${location}`, { sha256 })
      yield* found.body
    })(), { objectMode: false })
  }

  /** One ranged GET of the first `size` bytes, collected: for objects read whole and checked by the caller. */
  async readSmall(sha256: string, size: number): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const chunk of this.read(sha256, size > 0 ? { start: 0, end: size - 1 } : undefined)) chunks.push(Buffer.from(chunk as Uint8Array))
    return Buffer.concat(chunks).subarray(0, size)
  }

  async check(sha256: string): Promise<ObjectCheck> {
    const found = await this.bucket.hash(this.contentKey(sha256))
    if (found === undefined) return 'missing'
    return found.sha256 === sha256 ? 'ok' : 'corrupt'
  }

  async remove(sha256: string): Promise<void> {
    await this.bucket.delete(this.contentKey(sha256))
  }

  /** Every key under objects/ (an object when its key is a digest), then every upload never finished. */
  async *list(): AsyncGenerator<StoredEntry> {
    const now = Date.now()
    const stale = (at: Date | undefined): boolean => at !== undefined && now - at.getTime() >= LEFTOVER_GRACE_MS
    for await (const { key, lastModified } of this.bucket.list(OBJECTS)) {
      const relative = this.bucket.relativeOf(key) ?? key
      const sha256 = relative.slice(OBJECTS.length).replace('/', '')
      const isObject = SHA256_HEX.test(sha256) && relative === this.contentKey(sha256)
      if (isObject) yield { kind: 'object', sha256, location: this.locationOf(sha256) }
      else yield { kind: 'leftover', location: `s3://${this.bucket.name}/${key}`, stale: stale(lastModified) }
    }
    for await (const { key, lastModified } of this.bucket.list(UPLOADS)) {
      yield { kind: 'leftover', location: `s3://${this.bucket.name}/${key}`, stale: stale(lastModified) }
    }
    for await (const pending of this.bucket.listMultipart(UPLOADS)) {
      yield { kind: 'leftover', location: `s3://${this.bucket.name}/${pending.key}?uploadId=${pending.uploadId}`, stale: stale(pending.initiated) }
    }
  }

  /** Aborts multipart uploads never completed and deletes staging keys never published, once old enough. */
  async removeLeftovers(): Promise<number> {
    const before = Date.now() - this.removeLeftoversOlderThanMs
    const oldEnough = (at: Date | undefined): boolean => this.removeLeftoversOlderThanMs === 0 || (at !== undefined && at.getTime() <= before)
    let removed = 0
    for await (const pending of this.bucket.listMultipart(UPLOADS)) {
      if (!oldEnough(pending.initiated)) continue
      await this.bucket.abortMultipart(pending)
      removed += 1
    }
    for await (const { key, lastModified } of this.bucket.list(UPLOADS)) {
      const relative = this.bucket.relativeOf(key)
      if (relative === undefined || !oldEnough(lastModified)) continue
      await this.bucket.delete(relative)
      removed += 1
    }
    return removed
  }

  private corrupt(sha256: string): ObjectCorrupt {
    return new ObjectCorrupt(`stored object ${sha256} no longer hashes to its name`, { sha256 })
  }
}

function stagedHere(staged: StagedContent): S3Staged {
  if (!(staged instanceof S3Staged)) throw new Error(`content ${staged.sha256} was not staged by the S3 object store`)
  return staged
}
