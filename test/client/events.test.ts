// LedgerClient.events over real HTTP: entries in seq order, one session's only, and a stream whose
// connection the server drops mid-stream is reopened with Last-Event-ID with no gap and no repeat.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LedgerClient, type CommitRecord } from '../../src/client/index.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

let t: ListeningLedger
let client: LedgerClient
beforeEach(async () => {
  t = await startListeningLedger()
  client = new LedgerClient({ url: t.url, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 50 } })
})
afterEach(async () => {
  client.close()
  await t.cleanup()
})

/** Reads the stream until `enough` says stop, then aborts it. */
async function collect(stream: AsyncIterable<CommitRecord>, controller: AbortController, enough: (got: CommitRecord[]) => boolean): Promise<CommitRecord[]> {
  const got: CommitRecord[] = []
  for await (const record of stream) {
    got.push(record)
    if (enough(got)) controller.abort()
  }
  return got
}

describe('LedgerClient.events', () => {
  it('yields the ended entries after `since`, in seq order, one session\'s when asked, and ends on abort', async () => {
    const first = await client.commit('s1', [{ name: 'a.txt', text: '1' }])
    const controller = new AbortController()
    const mine = new AbortController()
    const all = collect(client.events({ since: first.seq - 1, signal: controller.signal }), controller, (got) => got.length === 3)
    const onlyS2 = collect(client.events({ since: 0, session: 's2', signal: mine.signal }), mine, (got) => got.length === 1)
    const second = await client.commit('s2', [{ name: 'a.txt', text: '2' }])
    const third = await client.commit('s1', [{ name: 'b.txt', text: '3' }])
    expect((await all).map((r) => r.seq)).toEqual([first.seq, second.seq, third.seq])
    expect(await onlyS2).toEqual([second])
    await expect.poll(() => t.ledger.events.subscriberCount).toBe(0)
  })

  it('reopens a stream the server dropped with Last-Event-ID: no gap and no repeat while commits keep coming', async () => {
    const start = await client.commit('busy', [{ name: 'start.txt', text: 'start' }])
    const controller = new AbortController()
    let writing = true
    const writer = (async () => {
      for (let i = 0; writing; i++) await client.commit(`busy-${i % 3}`, [{ name: 'n.txt', text: `n${i}` }])
    })()
    const received: number[] = []
    let opens = 0
    t.app.server.on('request', (req: { url?: string }) => {
      if (req.url?.startsWith('/v1/events') === true) opens++
    })
    let drops = 0
    for await (const record of client.events({ since: start.seq, signal: controller.signal })) {
      received.push(record.seq)
      // Mid-stream, twice: every connection the server has (the stream's and the writer's) is cut.
      if (drops < 2 && received.length === 10 * (drops + 1)) {
        drops++
        t.app.server.closeAllConnections()
      }
      // Until the second drop has been followed by a reconnect (the client may still hold frames from before it).
      if (opens === 3 && received.length >= 30) break
    }
    expect(opens).toBe(3)
    writing = false
    await writer
    const rest = new AbortController()
    // Every page: a slow reconnect under load lets the writer commit more than one page's worth.
    const logged: number[] = []
    for (let cursor: string | undefined; ;) {
      const page = await client.commits({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
      logged.push(...page.commits.map((c) => c.seq).filter((seq) => seq > start.seq))
      if (page.nextCursor === null) break
      cursor = page.nextCursor
    }
    const tail = await collect(client.events({ since: received.at(-1) ?? start.seq, signal: rest.signal }), rest, (got) => received.length + got.length >= logged.length)
    expect([...received, ...tail.map((r) => r.seq)]).toEqual(logged)
  }, 30_000)
})
