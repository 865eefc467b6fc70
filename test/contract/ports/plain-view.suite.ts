// The contract every PlainView that is on passes: each file holds the latest content it was shown,
// replaced atomically, read back before a write resolves, and gone without a trace when removed.
import { describe, expect, it } from 'vitest'
import { ObjectCorrupt, PayloadTooLarge } from '../../../src/domain/errors.js'
import type { ObjectStore, PlainView } from '../../../src/domain/ports.js'
import { sha256 } from '../../support/factories.js'
import { eachFixture, textOf as text } from './fixture.js'

export interface PlainViewFixture {
  view: PlainView
  /** The object store wired with the view: `show` without bytes reads from it, `showStaged` takes its staging. */
  objects: ObjectStore
  /** Changes an object's bytes behind the store's back. */
  damageObject(sha256: string): Promise<void>
  close(): Promise<void>
}

const limit = { bytes: 1 << 20, error: () => new PayloadTooLarge('too large') }

export function plainViewContract(adapter: string, open: () => Promise<PlainViewFixture>): void {
  describe(`PlainView contract: ${adapter}`, () => {
    let fixture: PlainViewFixture
    let view: PlainView
    eachFixture(open, (opened) => {
      fixture = opened
      view = opened.view
    })

    it('shows the bytes given, replaces them whole, and lists the file and its session', async () => {
      expect(view.isOn).toBe(true)
      expect(await view.digestOf('s1', 'notes/a.txt')).toBeUndefined()
      await view.show('s1', 'notes/a.txt', { sha256: sha256('first'), bytes: Buffer.from('first') })
      await view.show('s1', 'notes/a.txt', { sha256: sha256('second'), bytes: Buffer.from('second') })
      expect(await view.digestOf('s1', 'notes/a.txt')).toBe(sha256('second'))
      expect(await text(view.read('s1', 'notes/a.txt'))).toBe('second')
      expect(await view.listFiles('s1')).toEqual([{ name: 'notes/a.txt', location: view.locationOf('s1', 'notes/a.txt'), isLeftover: false }])
      expect(await view.listSessions()).toEqual(['s1'])
    })

    it('shows an object\'s bytes from the object store when given none', async () => {
      await fixture.objects.put(Buffer.from('from the store'), sha256('from the store'))
      await view.show('s1', 'a.txt', { sha256: sha256('from the store') })
      expect(await text(view.read('s1', 'a.txt'))).toBe('from the store')
    })

    it('refuses to show an object that no longer hashes to its digest, keeping what the file held', async () => {
      await view.show('s1', 'a.txt', { sha256: sha256('old'), bytes: Buffer.from('old') })
      await fixture.objects.put(Buffer.from('new'), sha256('new'))
      await fixture.damageObject(sha256('new'))
      await expect(view.show('s1', 'a.txt', { sha256: sha256('new') })).rejects.toBeInstanceOf(ObjectCorrupt)
      expect(await view.digestOf('s1', 'a.txt')).toBe(sha256('old'))
    })

    it('shows content staged by its object store while the store publishes it, side by side', async () => {
      async function* body(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('streamed ')
        yield Buffer.from('upload')
      }
      const staged = await fixture.objects.stage(body(), { limit })
      await Promise.all([fixture.objects.publish(staged), view.showStaged('s1', 'up.bin', staged)])
      await fixture.objects.discard(staged)
      expect(await view.digestOf('s1', 'up.bin')).toBe(sha256('streamed upload'))
      expect(await fixture.objects.check(sha256('streamed upload'))).toBe('ok')
    })

    it('shows files batched, read back at once, and flushes them (and files named by a caller) without failures', async () => {
      await view.show('s1', 'a.txt', { sha256: sha256('batched'), bytes: Buffer.from('batched') }, { batched: true })
      const staged = await fixture.objects.stage(Buffer.from('staged, batched'), { limit })
      await Promise.all([fixture.objects.publish(staged), view.showStaged('s1', 'b/up.bin', staged, { batched: true })])
      await view.show('s1', 'gone.txt', { sha256: sha256('gone'), bytes: Buffer.from('gone') }, { batched: true })
      await view.remove('s1', 'gone.txt')
      expect(await text(view.read('s1', 'a.txt'))).toBe('batched')
      expect(await text(view.read('s1', 'b/up.bin'))).toBe('staged, batched')
      // A removed file needs no flush; one never shown batched may be named (recovery names what it found).
      expect(await view.flush([{ sessionId: 's1', name: 'a.txt' }])).toEqual([])
      expect(await view.flush()).toEqual([])
      expect(await view.digestOf('s1', 'b/up.bin')).toBe(sha256('staged, batched'))
    })

    it('prepares a file without changing it, then shows it whole or drops it without a trace', async () => {
      await view.show('s1', 'p/a.txt', { sha256: sha256('old'), bytes: Buffer.from('old') })
      const shown = await view.prepare('s1', 'p/a.txt', { sha256: sha256('new'), bytes: Buffer.from('new') }, { batched: true })
      const dropped = await view.prepare('s1', 'p/b.txt', { sha256: sha256('never'), bytes: Buffer.from('never') })
      // Prepared is not shown: the file still holds the old bytes, and the other name has none.
      expect(await view.digestOf('s1', 'p/a.txt')).toBe(sha256('old'))
      expect(await view.digestOf('s1', 'p/b.txt')).toBeUndefined()
      await view.showPrepared(shown)
      await view.discardPrepared(dropped)
      expect(await text(view.read('s1', 'p/a.txt'))).toBe('new')
      expect(await view.digestOf('s1', 'p/b.txt')).toBeUndefined()
      expect(await view.listFiles('s1')).toEqual([{ name: 'p/a.txt', location: view.locationOf('s1', 'p/a.txt'), isLeftover: false }])
      expect(await view.flush()).toEqual([])
      // Bytes that do not hash to the digest given are refused before anything is prepared.
      await expect(view.prepare('s1', 'p/c.txt', { sha256: sha256('other'), bytes: Buffer.from('bytes') })).rejects.toThrow()
      expect(await view.listFiles('s1')).toHaveLength(1)
    })

    it('removes a name and the folders it leaves empty, so a file may later take a folder\'s name', async () => {
      await view.show('s1', 'a/b/c.txt', { sha256: sha256('x'), bytes: Buffer.from('x') })
      await view.remove('s1', 'a/b/c.txt')
      await view.remove('s1', 'a/b/c.txt')
      expect(await view.listFiles('s1')).toEqual([])
      await view.show('s1', 'a', { sha256: sha256('now a file'), bytes: Buffer.from('now a file') })
      expect(await view.digestOf('s1', 'a')).toBe(sha256('now a file'))
    })

    it('removes a stray file the log does not know, and finds no leftovers where none were left', async () => {
      await view.show('s1', 'keep.txt', { sha256: sha256('k'), bytes: Buffer.from('k') })
      await view.show('s1', 'stray.txt', { sha256: sha256('s'), bytes: Buffer.from('s') })
      await view.removeStray('s1', 'stray.txt')
      expect((await view.listFiles('s1')).map((f) => f.name)).toEqual(['keep.txt'])
      expect(await view.removeLeftovers('s1', ['keep.txt'])).toBe(0)
      expect(await view.removeLeftovers()).toBe(0)
    })
  })
}
