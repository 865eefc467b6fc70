// The few S3 calls the object store is made of, each turning S3's errors into the domain's at this edge
// (s3-errors.ts). Keys are relative to the store's prefix; bodies always stream.
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import {
  AbortMultipartUploadCommand, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, ListMultipartUploadsCommand, ListObjectsV2Command,
  PutObjectCommand, S3Client, type PutObjectCommandInput,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import type { S3Location } from './location.js'
import { StorageFault } from '../../domain/errors.js'
import { isNotFound, isPreconditionFailed, s3Failure } from './s3-errors.js'

export interface BucketOptions {
  /** Bytes per multipart part (S3's minimum is 5 MiB); an upload holds about partSize × (queueSize + 1). */
  partSize?: number
  /** Parts of one upload in flight at once. */
  queueSize?: number
}

/** What hashing a stored key found: its digest and size, and the ETag that names this very version. */
export interface HashedKey {
  sha256: string
  size: number
  etag: string | undefined
}

export interface ListedKey {
  key: string
  lastModified: Date | undefined
}

export interface PendingMultipart {
  key: string
  uploadId: string
  initiated: Date | undefined
}

/** A conditional write: only if the key is absent, or only over the version with this ETag. */
export type WriteCondition = { ifAbsent: true } | { ifEtag: string }

const FIVE_MIB = 5 * 1024 * 1024

export function openS3Client(location: S3Location): S3Client {
  return new S3Client({
    region: location.region,
    forcePathStyle: true,
    ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }),
    ...(location.credentials === undefined ? {} : { credentials: location.credentials }),
    // No CRC trailers: neither RGW 16 nor s3rver checks them, and s3rver stores a streamed body's
    // aws-chunked framing as the object's bytes. The read-back hash is the check that matters.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // An unreachable store fails a request in seconds, not after the OS's TCP timeout.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 120_000 },
  })
}

export class Bucket {
  private readonly partSize: number
  private readonly queueSize: number

  constructor(
    readonly client: S3Client,
    readonly name: string,
    private readonly prefix: string,
    options: BucketOptions = {},
  ) {
    this.partSize = Math.max(FIVE_MIB, options.partSize ?? FIVE_MIB)
    this.queueSize = Math.max(1, options.queueSize ?? 2)
  }

  /** The full key of a key relative to the prefix. */
  keyOf(relative: string): string {
    return this.prefix === '' ? relative : `${this.prefix}/${relative}`
  }

  /** The key relative to the prefix, or undefined for a key outside it. */
  relativeOf(key: string): string | undefined {
    if (this.prefix === '') return key
    return key.startsWith(`${this.prefix}/`) ? key.slice(this.prefix.length + 1) : undefined
  }

  urlOf(relative: string): string {
    return `s3://${this.name}/${this.keyOf(relative)}`
  }

  /**
   * Streams the source to `relative` with a multipart upload when it outgrows one part: memory stays at
   * about partSize × (queueSize + 1) whatever the size. A failed upload is aborted (no parts stay) and
   * rejects with the source's own error when the source failed.
   */
  async upload(relative: string, source: AsyncIterable<Uint8Array>): Promise<void> {
    let sourceError: { error: unknown } | undefined
    async function* watched(): AsyncGenerator<Uint8Array> {
      try {
        yield* source
      } catch (error) {
        sourceError = { error }
        throw error
      }
    }
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.name, Key: this.keyOf(relative), Body: Readable.from(watched(), { objectMode: false }) },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    })
    try {
      await upload.done()
    } catch (error) {
      if (sourceError !== undefined) throw sourceError.error
      throw s3Failure('upload', this.keyOf(relative), error)
    }
  }

  /**
   * One PUT of a known length (up to 5 GiB), streamed, under a condition; false when the condition failed.
   * A streamed body that fails (its bytes no longer hash right) cuts the request short, so the server
   * never completes the object, and the PUT rejects with the body's own error.
   */
  async put(relative: string, body: Uint8Array | AsyncIterable<Uint8Array>, size: number, condition?: WriteCondition): Promise<boolean> {
    const input: PutObjectCommandInput = { Bucket: this.name, Key: this.keyOf(relative), ContentLength: size }
    const cutShort = new AbortController()
    let bodyFailure: { error: unknown } | undefined
    if (body instanceof Uint8Array) {
      input.Body = body
      input.ContentMD5 = createHash('md5').update(body).digest('base64')
    } else {
      const stream = Readable.from(body, { objectMode: false })
      // The SDK pipes the body into the request, and a pipe neither ends nor aborts on a source error.
      stream.once('error', (error) => {
        bodyFailure = { error }
        cutShort.abort()
      })
      input.Body = stream
    }
    if (condition !== undefined && 'ifAbsent' in condition) input.IfNoneMatch = '*'
    // Bare: RGW 16.2 compares If-Match with the unquoted ETag and answers 412 to the quoted form.
    if (condition !== undefined && 'ifEtag' in condition) input.IfMatch = condition.ifEtag.replace(/^"|"$/g, '')
    try {
      await this.client.send(new PutObjectCommand(input), { abortSignal: cutShort.signal })
      return true
    } catch (error) {
      if (bodyFailure !== undefined) throw bodyFailure.error
      if (condition !== undefined && isPreconditionFailed(error)) return false
      throw s3Failure('put', this.keyOf(relative), error)
    }
  }

  /** The bytes of a key (or a range, `end` inclusive) as they arrive; undefined when the key is absent. */
  async get(relative: string, range?: { start: number; end: number }): Promise<{ body: AsyncIterable<Uint8Array>; etag: string | undefined } | undefined> {
    const key = this.keyOf(relative)
    try {
      const answer = await this.client.send(new GetObjectCommand({
        Bucket: this.name, Key: key, ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end}` }),
      }))
      const body = answer.Body as (Readable & AsyncIterable<Uint8Array>) | undefined
      return { body: withErrorsMapped(body ?? Readable.from([]), key), etag: answer.ETag }
    } catch (error) {
      if (isNotFound(error)) return undefined
      throw s3Failure('get', key, error)
    }
  }

  /** Reads a key whole and hashes it; undefined when the key is absent. */
  async hash(relative: string): Promise<HashedKey | undefined> {
    const found = await this.get(relative)
    if (found === undefined) return undefined
    const hash = createHash('sha256')
    let size = 0
    for await (const chunk of found.body) {
      hash.update(chunk)
      size += chunk.byteLength
    }
    return { sha256: hash.digest('hex'), size, etag: found.etag }
  }

  /** Deletes a key; nothing when it is absent (S3's DELETE is idempotent). */
  /**
   * A HEAD of the bucket within `timeoutMs`: readiness asks it, and a store that accepts connections but never
   * answers must fail the check in time, not after the client's two-minute request timeout.
   */
  async head(timeoutMs: number): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.name }), { abortSignal: AbortSignal.timeout(timeoutMs) })
    } catch (error) {
      const failure = s3Failure('head-bucket', this.name, error)
      if (failure !== error) throw failure
      throw new StorageFault(`the object store did not answer a HEAD of bucket ${this.name} within ${timeoutMs} ms`, { step: 'head-bucket', path: this.name }, { cause: error })
    }
  }

  async delete(relative: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: this.keyOf(relative) }))
    } catch (error) {
      if (isNotFound(error)) return
      throw s3Failure('delete', this.keyOf(relative), error)
    }
  }

  /** Every key under a relative folder, a page of ListObjectsV2 at a time. */
  async *list(folder: string): AsyncGenerator<ListedKey> {
    let token: string | undefined
    do {
      let page
      try {
        page = await this.client.send(new ListObjectsV2Command({
          Bucket: this.name, Prefix: this.keyOf(folder), ...(token === undefined ? {} : { ContinuationToken: token }),
        }))
      } catch (error) {
        throw s3Failure('list', this.keyOf(folder), error)
      }
      for (const item of page.Contents ?? []) if (item.Key !== undefined) yield { key: item.Key, lastModified: item.LastModified }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  /** Multipart uploads begun under a relative folder and neither completed nor aborted. */
  async *listMultipart(folder: string): AsyncGenerator<PendingMultipart> {
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    for (;;) {
      let page
      try {
        page = await this.client.send(new ListMultipartUploadsCommand({
          Bucket: this.name, Prefix: this.keyOf(folder),
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }), ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
        }))
      } catch (error) {
        throw s3Failure('list-multipart', this.keyOf(folder), error)
      }
      for (const item of page.Uploads ?? []) {
        if (item.Key !== undefined && item.UploadId !== undefined) yield { key: item.Key, uploadId: item.UploadId, initiated: item.Initiated }
      }
      if (page.IsTruncated !== true) return
      keyMarker = page.NextKeyMarker
      uploadIdMarker = page.NextUploadIdMarker
    }
  }

  async abortMultipart(pending: PendingMultipart): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.name, Key: pending.key, UploadId: pending.uploadId }))
    } catch (error) {
      if (isNotFound(error)) return
      throw s3Failure('abort-multipart', pending.key, error)
    }
  }
}

/** A response body whose failure mid-way (the connection reset) is the domain's, like the request's. */
async function* withErrorsMapped(body: AsyncIterable<Uint8Array>, key: string): AsyncGenerator<Uint8Array> {
  try {
    yield* body
  } catch (error) {
    throw s3Failure('get', key, error)
  }
}
