// What the contract suite cannot show of the S3 adapter: multipart streaming with flat memory, racing
// publishers, staged bytes damaged in the bucket, leftovers kept for other replicas (only old ones removed
// as a replica starts), and an unreachable
// store reported as the domain's StorageFault. On RGW (test/support/rgw.ts), one cluster for the file.
import { createHash } from 'node:crypto'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { InvalidContent, PayloadTooLarge, ReadBackMismatch, StorageFault } from '../../../src/domain/errors.js'
import type { StageOptions, StoredEntry } from '../../../src/domain/ports.js'
import { DEFAULT_LEFTOVER_AGE_MS } from '../../../src/storage/open-storage.js'
import { S3ObjectStore } from '../../../src/storage/s3/object-store.js'
import { textOf } from '../../contract/ports/fixture.js'
import { sha256 } from '../../support/factories.js'
import { skipReason, skipWithoutRgw, useRgw } from '../../support/rgw.js'
import { flipLastByteOf, s3StoreOn, type S3TestStore } from '../../support/s3.js'

const MIB = 1024 * 1024
const NO_LIMIT: StageOptions = { limit: { bytes: 1 << 30, error: () => new PayloadTooLarge('too large') } }

/** `total` bytes in 64 KiB chunks, each filled with its own index, made as they are asked for. */
async function* generated(total: number, failAfter?: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0, index = 0; offset < total; offset += 64 * 1024, index += 1) {
    if (failAfter !== undefined && offset >= failAfter) throw new Error('socket hang up')
    yield Buffer.alloc(Math.min(64 * 1024, total - offset), index % 251)
  }
}

function digestOf(total: number): string {
  const hash = createHash('sha256')
  for (let offset = 0, index = 0; offset < total; offset += 64 * 1024, index += 1) hash.update(Buffer.alloc(Math.min(64 * 1024, total - offset), index % 251))
  return hash.digest('hex')
}

async function entries(store: S3ObjectStore): Promise<StoredEntry[]> {
  const found: StoredEntry[] = []
  for await (const entry of store.list()) found.push(entry)
  return found
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

describe('S3ObjectStore with the object store unreachable', () => {
  it('reports every operation as a StorageFault naming the step', async () => {
    const location = { bucket: 'ledger', prefix: 'p', endpoint: `http://127.0.0.1:${await closedPort()}`, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }
    const store = S3ObjectStore.open(location)
    try {
      await expect(store.put(Buffer.from('x'), sha256('x'))).rejects.toThrow(/the object store is unreachable \(ECONNREFUSED during get\)/)
      await expect(store.check(sha256('x'))).rejects.toBeInstanceOf(StorageFault)
      await expect(store.stage(Buffer.from('x'), NO_LIMIT)).rejects.toThrow(/unreachable \(ECONNREFUSED during upload\)/)
      await expect(textOf(store.read(sha256('x')))).rejects.toBeInstanceOf(StorageFault)
      await expect(entries(store)).rejects.toBeInstanceOf(StorageFault)
      await expect(store.checkReachable()).rejects.toThrow(/unreachable \(ECONNREFUSED during head-bucket\)/)
    } finally {
      store.close()
    }
  })
})

const rgw = useRgw()

describe.skipIf(skipWithoutRgw)('S3ObjectStore on RGW', () => {
  const open = (options = {}): S3TestStore => s3StoreOn(rgw(), options)

  it('streams an upload in parts with flat memory: what it holds does not grow with the size', async () => {
    const s3 = open()
    try {
      const total = 96 * MIB
      let peak = 0
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers)
      }, 10)
      const before = process.memoryUsage().arrayBuffers
      const staged = await s3.store.stage(generated(total), NO_LIMIT).finally(() => clearInterval(sampler))
      // 5 MiB parts, two in flight, plus garbage not yet collected: measured at about 40 MiB for 40 MiB
      // and for 120 MiB alike. Holding the upload would take all 96.
      expect(peak - before).toBeLessThan(64 * MIB)
      expect(staged).toMatchObject({ sha256: digestOf(total), size: total })
      await s3.store.discard(staged)
      expect(await entries(s3.store)).toEqual([])
    } finally {
      await s3.close()
    }
  })

  it('publishes a multipart upload and reads a range across its parts', async () => {
    const s3 = open()
    try {
      const staged = await s3.store.stage(generated(12 * MIB), NO_LIMIT)
      await s3.store.publish(staged)
      expect(await s3.store.check(digestOf(12 * MIB))).toBe('ok')
      // Chunk 79 ends at 5 MiB, where the first part ends too.
      const across = await textOf(s3.store.read(staged.sha256, { start: 5 * MIB - 2, end: 5 * MIB + 1 }))
      expect(Buffer.from(across, 'latin1')).toEqual(Buffer.from([79, 79, 80, 80]))
      expect(await entries(s3.store)).toEqual([{ kind: 'object', sha256: staged.sha256, location: s3.store.locationOf(staged.sha256) }])
    } finally {
      await s3.close()
    }
  })

  it('leaves no multipart upload behind when the limit or the source fails past the first part', async () => {
    const s3 = open()
    try {
      const limit = { bytes: 12 * MIB, error: () => new PayloadTooLarge('over 12 MiB') }
      await expect(s3.store.stage(generated(20 * MIB), { limit })).rejects.toThrow('over 12 MiB')
      const sourceFailure = (error: unknown): InvalidContent => new InvalidContent(`source: ${(error as Error).message}`)
      await expect(s3.store.stage(generated(20 * MIB, 11 * MIB), { ...NO_LIMIT, sourceFailure })).rejects.toThrow('source: socket hang up')
      expect(await entries(s3.store)).toEqual([])
    } finally {
      await s3.close()
    }
  })

  it('lets racing publishers of the same content all succeed on one intact object', async () => {
    const s3 = open()
    try {
      const staged = await Promise.all(Array.from({ length: 10 }, () => s3.store.stage(Buffer.from('raced'), NO_LIMIT)))
      await Promise.all(staged.map((each) => s3.store.publish(each)))
      expect(await s3.store.check(sha256('raced'))).toBe('ok')
      expect(await entries(s3.store)).toEqual([{ kind: 'object', sha256: sha256('raced'), location: s3.store.locationOf(sha256('raced')) }])
    } finally {
      await s3.close()
    }
  })

  it('refuses to publish staged bytes damaged in the bucket, and publishes nothing', async () => {
    const s3 = open()
    try {
      const staged = await s3.store.stage(Buffer.from('staged, then damaged'), NO_LIMIT)
      const [leftover] = await entries(s3.store)
      if (leftover === undefined) throw new Error('the staged upload is not listed')
      await flipLastByteOf(s3, leftover.location.replace(`s3://${s3.bucket}/`, ''))
      await expect(s3.store.publish(staged)).rejects.toBeInstanceOf(ReadBackMismatch)
      expect(await s3.store.check(staged.sha256)).toBe('missing')
    } finally {
      await s3.close()
    }
  })

  it('keeps young leftovers when told other writers may own them', async () => {
    const s3 = open({ removeLeftoversOlderThanMs: 60_000 })
    try {
      await s3.store.stage(Buffer.from('in flight elsewhere'), NO_LIMIT)
      expect(await s3.store.removeLeftovers()).toBe(0)
      expect(await entries(s3.store)).toEqual([expect.objectContaining({ kind: 'leftover', stale: false })])
    } finally {
      await s3.close()
    }
  })
})

describe.skipIf(skipWithoutRgw)('S3ObjectStore beside other replicas of the bucket', () => {
  it('removes, as a replica starts, only leftovers older than the bound: young uploads in flight elsewhere stay', async () => {
    const s3 = s3StoreOn(rgw())
    let resume!: () => void
    const stalled = new Promise<void>((resolve) => {
      resume = resolve
    })
    // More than one part, then the source waits: a multipart upload in flight, as on another replica.
    async function* stallingAfterAPart(): AsyncGenerator<Uint8Array> {
      yield* generated(6 * MIB)
      await stalled
      throw new Error('socket hang up')
    }
    let inFlight: Promise<unknown> | undefined
    try {
      await s3.store.stage(Buffer.from('abandoned long ago'), NO_LIMIT)
      // S3 times have whole seconds: 4 s here against a 3 s bound leaves the old one old and the young ones young.
      await new Promise((resolve) => setTimeout(resolve, 4000))
      inFlight = s3.store.stage(stallingAfterAPart(), NO_LIMIT).catch((error: unknown) => error)
      const multipart = (found: StoredEntry[]): boolean => found.some((entry) => entry.location.includes('?uploadId='))
      while (!multipart(await entries(s3.store))) await new Promise((resolve) => setTimeout(resolve, 50))
      await s3.store.stage(Buffer.from('staged elsewhere just now'), NO_LIMIT)
      expect(await entries(s3.store)).toHaveLength(3)

      // A second store on the same prefix, as a replica starting: the service's default bound (a day) keeps all…
      expect(await new S3ObjectStore(s3.client, s3.bucket, s3.prefix, { removeLeftoversOlderThanMs: DEFAULT_LEFTOVER_AGE_MS }).removeLeftovers()).toBe(0)
      // …and a 3 s bound takes only the old one.
      expect(await new S3ObjectStore(s3.client, s3.bucket, s3.prefix, { removeLeftoversOlderThanMs: 3000 }).removeLeftovers()).toBe(1)
      const left = await entries(s3.store)
      expect(left).toHaveLength(2)
      expect(multipart(left)).toBe(true)
    } finally {
      resume()
      await inFlight
      await s3.close()
    }
  }, 60_000)
})

if (skipWithoutRgw) {
  describe('S3ObjectStore on RGW', () => {
    it.skip(skipReason, () => {})
  })
}
