// S3 object stores on a test server (test/support/rgw.ts): each under a fresh prefix of the shared
// bucket, so tests of one file share a cluster without seeing one another's keys.
import { randomUUID } from 'node:crypto'
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { openS3Client } from '../../src/storage/s3/bucket.js'
import { S3ObjectStore, type S3ObjectStoreOptions } from '../../src/storage/s3/object-store.js'
import type { Rgw } from '../../scripts/rgw.mjs'

export interface S3TestStore {
  store: S3ObjectStore
  /** A client of its own, to reach behind the store's back. */
  client: S3Client
  bucket: string
  prefix: string
  close: () => Promise<void>
}

export function s3StoreOn(rgw: Rgw, options: S3ObjectStoreOptions = {}): S3TestStore {
  const location = {
    bucket: rgw.bucket, prefix: `test-${randomUUID()}`, endpoint: rgw.endpoint, region: rgw.region,
    credentials: { accessKeyId: rgw.accessKeyId, secretAccessKey: rgw.secretAccessKey },
  }
  const store = S3ObjectStore.open(location, options)
  const client = openS3Client(location)
  return {
    store, client, bucket: rgw.bucket, prefix: location.prefix,
    close: async () => {
      store.close()
      client.destroy()
    },
  }
}

/** The full key of an object in a test store. */
export function contentKeyOf(s3: S3TestStore, sha256: string): string {
  return `${s3.prefix}/objects/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`
}

/** Overwrites a key's bytes through the S3 API with its last byte flipped (or one byte, when it is empty), as a bad disk would. */
export async function flipLastByteOf(s3: S3TestStore, key: string): Promise<void> {
  const answer = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
  const bytes = Buffer.from((await answer.Body?.transformToByteArray()) ?? [])
  const damaged = bytes.byteLength === 0 ? Buffer.from([0xff]) : Buffer.from(bytes)
  if (bytes.byteLength > 0) damaged[damaged.byteLength - 1] = (damaged[damaged.byteLength - 1] ?? 0) ^ 0xff
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: damaged }))
}
