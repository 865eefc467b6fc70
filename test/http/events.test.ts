// GET /v1/events over real HTTP on a listening server: ended entries arrive live in seq order, a killed
// connection resumes with Last-Event-ID without a gap or a repeat, a pending entry holds back the ones
// after it, and slots, heartbeats, auth and shutdown behave as docs/… and the contract say.
import { afterEach, describe, expect, it } from 'vitest'
import type { LedgerPorts } from '../../src/domain/ports.js'
import { parseEnvTokens } from '../../src/http/auth.js'
import { CANARY_SESSION_ID } from '../../src/domain/session.js'
import { openStorage } from '../../src/storage/open-storage.js'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import type { StartOptions } from '../support/start-ledger.js'
import { openSse, type SseConnection } from '../support/sse.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function start(options: StartOptions = {}): Promise<ListeningLedger> {
  const t = await startListeningLedger(options)
  cleanups.push(() => t.cleanup())
  return t
}

async function open(t: ListeningLedger, query = '', headers: Record<string, string> = {}): Promise<SseConnection> {
  const connection = await openSse(`${t.url}/v1/events${query}`, headers)
  cleanups.unshift(async () => {
    connection.kill()
    await connection.ended
  })
  return connection
}

async function commit(t: ListeningLedger, sid: string, text: string): Promise<number> {
  const res = await fetch(`${t.url}/v1/sessions/${sid}/commits`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifacts: [{ name: 'a.txt', text }] }),
  })
  expect(res.status).toBe(201)
  return ((await res.json()) as { seq: number }).seq
}

/** Every seq GET /v1/commits lists, as the stream must deliver them. */
async function loggedSeqs(t: ListeningLedger, query = ''): Promise<number[]> {
  const res = await fetch(`${t.url}/v1/commits?limit=1000${query}`)
  return ((await res.json()) as { commits: { seq: number }[] }).commits.map((c) => c.seq)
}

const eventCount = (n: number) => (frames: { data?: string }[]) => frames.filter((f) => f.data !== undefined).length >= n

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!check()) {
    if (Date.now() > until) throw new Error('the condition did not hold in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('GET /v1/events', () => {
  it('starts at the end of the log and sends each new entry once it ended, in seq order, id = seq, data = the listed record', async () => {
    const t = await start()
    await commit(t, 's1', 'before')
    const stream = await open(t)
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/)
    await stream.until((frames) => frames.length >= 1)
    expect(stream.frames[0]).toEqual({ retry: '2000' })
    const seqs = [await commit(t, 's1', 'one'), await commit(t, 's2', 'two'), await commit(t, 's1', 'three')]
    await stream.until(eventCount(3))
    const listed = (await (await fetch(`${t.url}/v1/commits?since=${seqs[0]! - 1}`)).json()) as { commits: unknown[] }
    expect(stream.events().map((e) => e.seq)).toEqual(seqs)
    expect(stream.events().map((e) => e.record)).toEqual(listed.commits)
    expect(stream.frames.filter((f) => f.data !== undefined).every((f) => f.id !== undefined)).toBe(true)
  })

  it('resumes after a killed connection with Last-Event-ID, no gap and no repeat, while commits keep coming', async () => {
    const t = await start()
    const first = await commit(t, 'busy', 'start')
    let writing = true
    const writer = (async () => {
      for (let i = 0; writing; i++) await commit(t, `busy-${i % 3}`, `n${i}`)
    })()
    const received: number[] = []
    let lastId = String(first)
    for (let round = 0; round < 4; round++) {
      const stream = await open(t, '', { 'last-event-id': lastId })
      await stream.until(eventCount(5))
      // Cut mid-stream: whatever arrived before the cut counts, nothing after it.
      stream.kill()
      await stream.ended
      const got = stream.events().map((e) => e.seq)
      received.push(...got)
      lastId = String(got.at(-1))
    }
    writing = false
    await writer
    const last = await open(t, `?since=${lastId}`)
    const expected = (await loggedSeqs(t)).filter((seq) => seq > first)
    await last.until(eventCount(expected.length - received.length))
    received.push(...last.events().map((e) => e.seq))
    expect(received).toEqual(expected)
  })

  it('holds back entries after a pending one until it ends, then sends them in order', async () => {
    let ports: LedgerPorts | undefined
    const t = await start({ storage: (dir, fs) => (ports = openStorage(dir, fs)) })
    const stream = await open(t)
    await stream.until((frames) => frames.length >= 1)
    // A commit caught between its pending row and its final one (as one writing its files is).
    const pending = await ports!.log.insertPending({ id: '0190f1a2-0000-7000-8000-000000000001', sessionId: 'slow', message: null, metadata: null, artifacts: [], newSessionDeadline: null })
    const later = await commit(t, 'fast', 'later')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(stream.events()).toEqual([])
    await ports!.log.markFailed(pending, { code: 'storage_fault', detail: 'the disk went away' }, true)
    await stream.until(eventCount(2))
    expect(stream.events().map((e) => [e.seq, e.record['state']])).toEqual([[pending, 'failed'], [later, 'committed']])
  })

  it('keeps to one session with ?session=, and shows the canary only when asked for by session', async () => {
    const t = await start()
    const mine = await open(t, '?session=mine')
    const all = await open(t)
    const canary = await open(t, `?session=${CANARY_SESSION_ID}`)
    await Promise.all([mine, all, canary].map((s) => s.until((frames) => frames.length >= 1)))
    await commit(t, 'other', 'x')
    const ours = await commit(t, 'mine', 'y')
    await t.ledger.runCanary()
    const end = await commit(t, 'other', 'z')
    await all.until((frames) => frames.some((f) => f.id === String(end)))
    await canary.until(eventCount(1))
    await mine.until(eventCount(1))
    expect(mine.events().map((e) => e.seq)).toEqual([ours])
    expect(all.events().every((e) => e.record['sessionId'] !== CANARY_SESSION_ID)).toBe(true)
    expect(all.events()).toHaveLength(3)
    expect(canary.events().every((e) => e.record['sessionId'] === CANARY_SESSION_ID)).toBe(true)
  })

  it('sends a heartbeat comment every EVENTS_HEARTBEAT_MS', async () => {
    const t = await start({ eventsHeartbeatMs: 100 })
    const stream = await open(t)
    await stream.until((frames) => frames.filter((f) => f.comment === 'heartbeat').length >= 2, 3000)
  })

  it('refuses a stream beyond MAX_EVENT_SUBSCRIBERS with 503 too_many_subscribers, and frees the slots of dropped streams', async () => {
    const t = await start({ settings: { maxEventSubscribers: 2 } })
    const streams = [await open(t), await open(t)]
    await Promise.all(streams.map((s) => s.until((frames) => frames.length >= 1)))
    expect(t.ledger.events.subscriberCount).toBe(2)
    const refused = await fetch(`${t.url}/v1/events`)
    expect(refused.status).toBe(503)
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(refused.headers.get('retry-after')).not.toBeNull()
    expect(((await refused.json()) as { code: string }).code).toBe('too_many_subscribers')
    for (let round = 0; round < 5; round++) {
      for (const stream of streams) stream.kill()
      await eventually(() => t.ledger.events.subscriberCount === 0)
      streams.splice(0, 2, await open(t), await open(t))
      await Promise.all(streams.map((s) => s.until((frames) => frames.length >= 1)))
    }
    for (const stream of streams) stream.kill()
    await eventually(() => t.ledger.events.subscriberCount === 0)
  })

  it('answers 401 before any stream without a token when tokens are configured, and streams to a read token', async () => {
    const t = await start({ auth: { tokens: parseEnvTokens('reader=r3ad-t0ken-for-events:read') } })
    const refused = await open(t)
    expect(refused.status).toBe(401)
    expect(JSON.parse(await refused.body())).toMatchObject({ code: 'unauthorized' })
    const allowed = await open(t, '', { authorization: 'Bearer r3ad-t0ken-for-events' })
    expect(allowed.status).toBe(200)
  })

  it('refuses a Last-Event-ID that is not a seq with 400', async () => {
    const t = await start()
    const res = await fetch(`${t.url}/v1/events`, { headers: { 'last-event-id': 'yesterday' } })
    expect(res.status).toBe(400)
  })

  it('ends open streams when the service shuts down, without holding the shutdown up', async () => {
    const t = await start({ eventsHeartbeatMs: 60_000 })
    const streams = [await open(t), await open(t, '?session=s1')]
    await Promise.all(streams.map((s) => s.until((frames) => frames.length >= 1)))
    const started = Date.now()
    await t.close()
    await Promise.all(streams.map((s) => s.ended))
    expect(Date.now() - started).toBeLessThan(3000)
    expect(t.ledger.events.subscriberCount).toBe(0)
  })
})
