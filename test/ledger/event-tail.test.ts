// EventTail on both logs (SQLite and memory): where a subscriber without a cursor starts, that a pending
// entry holds back later ones, that a wake delivers at once (no poll), and that slots are given back.
import { afterEach, describe, expect, it } from 'vitest'
import { v7 as uuidv7 } from 'uuid'
import type { CommitRecord } from '../../src/domain/model.js'
import type { LedgerPorts } from '../../src/domain/ports.js'
import { EventTail, type Subscription } from '../../src/ledger/event-tail.js'
import { openMemoryStorage, openStorage } from '../../src/storage/open-storage.js'
import { makeDataDir } from '../support/start-ledger.js'

const opened: LedgerPorts[] = []
afterEach(async () => {
  for (const ports of opened.splice(0)) await ports.log.close()
})

const backends: [string, () => Promise<LedgerPorts>][] = [
  ['sqlite', async () => openStorage(await makeDataDir())],
  ['memory', async () => openMemoryStorage()],
]

/** Reads the next `n` entries of a subscription, failing after `ms`. */
async function take(subscription: Subscription, n: number, ms = 3000): Promise<CommitRecord[]> {
  const got: CommitRecord[] = []
  const iterator = subscription.entries[Symbol.asyncIterator]()
  const timeout = new Promise<never>((_resolve, reject) => setTimeout(() => reject(new Error(`only ${got.length} of ${n} entries in ${ms} ms`)), ms))
  while (got.length < n) {
    const next = await Promise.race([iterator.next(), timeout])
    if (next.done === true) break
    got.push(next.value)
  }
  return got
}

describe.each(backends)('EventTail on the %s log', (_name, open) => {
  async function setup(): Promise<{ ports: LedgerPorts; tail: EventTail; append: (sessionId: string) => Promise<number> }> {
    const ports = await open()
    opened.push(ports)
    // A poll far longer than any test: whatever arrives in time arrived because it was woken.
    const tail = new EventTail(ports.log, { maxSubscribers: 2, pollMs: 60_000 })
    const append = async (sessionId: string): Promise<number> => {
      const seq = await ports.log.insertPending({ id: uuidv7(), sessionId, message: null, metadata: null, artifacts: [], newSessionDeadline: null })
      await ports.log.markCommitted(seq)
      return seq
    }
    return { ports, tail, append }
  }

  it('starts without a cursor at the end of the log, before an entry still pending there', async () => {
    const { ports, tail, append } = await setup()
    await append('s1')
    const inFlight = await ports.log.insertPending({ id: uuidv7(), sessionId: 's1', message: null, metadata: null, artifacts: [], newSessionDeadline: null })
    const subscription = tail.subscribe({})
    const reading = take(subscription, 2)
    const later = await append('s2')
    await ports.log.markFailed(inFlight, { code: 'storage_fault', detail: 'x' }, true)
    tail.wake()
    expect((await reading).map((e) => [e.seq, e.state])).toEqual([[inFlight, 'failed'], [later, 'committed']])
    subscription.end()
  })

  it('holds every entry after a pending one until it ends, and sends only the asked-for session', async () => {
    const { ports, tail, append } = await setup()
    const all = tail.subscribe({ afterSeq: 0 })
    const s2 = tail.subscribe({ afterSeq: 0, sessionId: 's2' })
    const first = await append('s1')
    const pending = await ports.log.insertPending({ id: uuidv7(), sessionId: 's1', message: null, metadata: null, artifacts: [], newSessionDeadline: null })
    const held = await append('s2')
    tail.wake()
    expect((await take(all, 1)).map((e) => e.seq)).toEqual([first])
    // s2's stream has no pending entry of its own: its entry is not held by s1's.
    expect((await take(s2, 1)).map((e) => e.seq)).toEqual([held])
    const next = take(all, 2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    await ports.log.markCommitted(pending)
    tail.wake()
    expect((await next).map((e) => e.seq)).toEqual([pending, held])
    all.end()
    s2.end()
  })

  it('refuses a subscriber past the limit, gives slots back on end, and ends every stream on close', async () => {
    const { tail } = await setup()
    const a = tail.subscribe({})
    tail.subscribe({})
    expect(() => tail.subscribe({})).toThrow(expect.objectContaining({ code: 'too_many_subscribers' }))
    a.end()
    a.end()
    expect(tail.subscriberCount).toBe(1)
    const c = tail.subscribe({ afterSeq: 0 })
    const reading = take(c, 1)
    tail.close()
    expect(await reading).toEqual([])
    expect(tail.subscriberCount).toBe(0)
    expect(() => tail.subscribe({})).toThrow(expect.objectContaining({ code: 'shutting_down' }))
  })
})
