// The contract every ObjectStore adapter passes before anything else runs on it (after unstorage's
// testDriver and Litestream's RunWithReplicaClient): content in, the same content out, by digest.
import { describe, expect, it } from 'vitest'
import { InvalidContent, ObjectCorrupt, ObjectMissing, PayloadTooLarge, ReadBackMismatch } from '../../../src/domain/errors.js'
import type { ObjectStore, StageOptions, StoredEntry } from '../../../src/domain/ports.js'
import { sha256 } from '../../support/factories.js'
import { eachFixture, textOf as bytesOf } from './fixture.js'

export interface ObjectStoreFixture {
  store: ObjectStore
  /** Changes the stored bytes of an object behind the store's back, as a bad disk would. */
  damage(sha256: string): Promise<void>
  close(): Promise<void>
}

const NO_LIMIT: StageOptions = { limit: { bytes: 1 << 30, error: () => new PayloadTooLarge('too large') } }

async function* chunksOf(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part)
}

async function entries(store: ObjectStore): Promise<StoredEntry[]> {
  const found: StoredEntry[] = []
  for await (const entry of store.list()) found.push(entry)
  return found
}

export function objectStoreContract(adapter: string, open: () => Promise<ObjectStoreFixture>): void {
  describe(`ObjectStore contract: ${adapter}`, () => {
    let fixture: ObjectStoreFixture
    let store: ObjectStore
    eachFixture(open, (opened) => {
      fixture = opened
      store = opened.store
    })

    it('puts bytes under their digest and reads them back whole and by range', async () => {
      await store.put(Buffer.from('hello, ledger'), sha256('hello, ledger'))
      expect(await bytesOf(store.read(sha256('hello, ledger')))).toBe('hello, ledger')
      expect(await bytesOf(store.read(sha256('hello, ledger'), { start: 7, end: 12 }))).toBe('ledger')
      expect(await store.check(sha256('hello, ledger'))).toBe('ok')
    })

    it('reads a small object whole in one buffer: its first `size` bytes, fewer when it is shorter', async () => {
      await store.put(Buffer.from('hello, ledger'), sha256('hello, ledger'))
      expect((await store.readSmall(sha256('hello, ledger'), 13)).toString()).toBe('hello, ledger')
      expect((await store.readSmall(sha256('hello, ledger'), 5)).toString()).toBe('hello')
      expect((await store.readSmall(sha256('hello, ledger'), 20)).toString()).toBe('hello, ledger')
      await store.put(new Uint8Array(0), sha256(''))
      expect((await store.readSmall(sha256(''), 0)).byteLength).toBe(0)
      await expect(store.readSmall(sha256('never stored'), 5)).rejects.toBeInstanceOf(ObjectMissing)
    })

    it('stores empty content', async () => {
      await store.put(new Uint8Array(0), sha256(''))
      expect(await bytesOf(store.read(sha256('')))).toBe('')
      expect(await store.check(sha256(''))).toBe('ok')
    })

    it('refuses bytes that do not hash to the digest given, and stores nothing under it', async () => {
      await expect(store.put(Buffer.from('what was sent'), sha256('what was meant'))).rejects.toBeInstanceOf(ReadBackMismatch)
      expect(await store.check(sha256('what was meant'))).toBe('missing')
    })

    it('keeps an intact copy when the same bytes are put again, and replaces a damaged one', async () => {
      const digest = sha256('same bytes')
      await store.put(Buffer.from('same bytes'), digest)
      await Promise.all([store.put(Buffer.from('same bytes'), digest), store.put(Buffer.from('same bytes'), digest)])
      expect(await store.check(digest)).toBe('ok')
      await fixture.damage(digest)
      expect(await store.check(digest)).toBe('corrupt')
      await store.put(Buffer.from('same bytes'), digest)
      expect(await bytesOf(store.read(digest))).toBe('same bytes')
    })

    it('stages a stream while hashing it, and makes it readable under its digest only once published', async () => {
      const staged = await store.stage(chunksOf('stream', 'ed ', 'bytes'), NO_LIMIT)
      expect(staged).toMatchObject({ sha256: sha256('streamed bytes'), size: 14 })
      expect(await store.check(staged.sha256)).toBe('missing')
      await store.publish(staged)
      expect(await bytesOf(store.read(staged.sha256))).toBe('streamed bytes')
      // Harmless after a publish: nothing of it is left to drop.
      await store.discard(staged)
      expect(await store.check(staged.sha256)).toBe('ok')
    })

    it('stages bytes given whole', async () => {
      const staged = await store.stage(Buffer.from('whole'), NO_LIMIT)
      await store.publish(staged)
      expect(await bytesOf(store.read(sha256('whole')))).toBe('whole')
    })

    it('lists staged content as a leftover, not stale, until it is published or discarded', async () => {
      const kept = await store.stage(chunksOf('kept'), NO_LIMIT)
      const dropped = await store.stage(chunksOf('dropped'), NO_LIMIT)
      expect((await entries(store)).filter((e) => e.kind === 'leftover')).toEqual([
        expect.objectContaining({ stale: false }), expect.objectContaining({ stale: false }),
      ])
      await store.publish(kept)
      await store.discard(dropped)
      expect(await entries(store)).toEqual([{ kind: 'object', sha256: sha256('kept'), location: store.locationOf(sha256('kept')) }])
    })

    it('refuses a stream past the limit with the limit\'s error, leaving nothing behind', async () => {
      const limit = { bytes: 8, error: () => new PayloadTooLarge('over 8 bytes') }
      await expect(store.stage(chunksOf('12345', '67890'), { limit })).rejects.toThrow('over 8 bytes')
      await expect(store.stage(Buffer.from('1234567890'), { limit })).rejects.toBeInstanceOf(PayloadTooLarge)
      expect(await entries(store)).toEqual([])
    })

    it('refuses a stream that does not hash to the digest announced, with the caller\'s error', async () => {
      const options: StageOptions = {
        ...NO_LIMIT, expectedSha256: sha256('announced'), expectedMismatch: (actual) => new InvalidContent(`got ${actual}`),
      }
      await expect(store.stage(chunksOf('received'), options)).rejects.toThrow(`got ${sha256('received')}`)
      expect(await entries(store)).toEqual([])
    })

    it('reports a source that fails with the error sourceFailure makes of it', async () => {
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('half')
        throw new Error('socket hang up')
      }
      const options: StageOptions = { ...NO_LIMIT, sourceFailure: (error) => new InvalidContent(`source: ${(error as Error).message}`) }
      await expect(store.stage(failing(), options)).rejects.toThrow('source: socket hang up')
      expect(await entries(store)).toEqual([])
    })

    it('answers a missing object with ObjectMissing on the stream, and check says missing', async () => {
      const digest = sha256('never stored')
      await expect(bytesOf(store.read(digest))).rejects.toBeInstanceOf(ObjectMissing)
      expect(await store.check(digest)).toBe('missing')
    })

    it('removes an object, and removing it again does nothing', async () => {
      await store.put(Buffer.from('short-lived'), sha256('short-lived'))
      await store.remove(sha256('short-lived'))
      expect(await store.check(sha256('short-lived'))).toBe('missing')
      await store.remove(sha256('short-lived'))
    })

    it('lists every object with its own location', async () => {
      for (const text of ['one', 'two', 'three']) await store.put(Buffer.from(text), sha256(text))
      const listed = await entries(store)
      expect(listed.map((e) => (e.kind === 'object' ? e.sha256 : e.location)).sort()).toEqual(['one', 'two', 'three'].map(sha256).sort())
      expect(new Set(listed.map((e) => e.location)).size).toBe(3)
      for (const entry of listed) if (entry.kind === 'object') expect(entry.location).toBe(store.locationOf(entry.sha256))
    })

    it('restores a damaged object from a good copy, and refuses a copy that does not hash to it', async () => {
      const digest = sha256('precious')
      await store.put(Buffer.from('precious'), digest)
      await fixture.damage(digest)
      await expect(store.restore(chunksOf('forgery'), digest)).rejects.toBeInstanceOf(ObjectCorrupt)
      expect(await store.check(digest)).toBe('corrupt')
      await store.restore(chunksOf('prec', 'ious'), digest)
      expect(await store.check(digest)).toBe('ok')
    })

    it('removes the leftovers of staging that was never finished', async () => {
      await store.stage(chunksOf('abandoned'), NO_LIMIT)
      expect(await store.removeLeftovers()).toBeGreaterThan(0)
      expect(await entries(store)).toEqual([])
      expect(await store.removeLeftovers()).toBe(0)
    })
  })
}
