// Many writers at once on one session and one artifact: versions 1..N without gaps, no lost update,
// one winner per precondition, one commit per Idempotency-Key.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sha256 } from '../support/factories.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

const WRITERS = 64
const TIMEOUT_MS = 60_000

let t: TestLedger
beforeEach(async () => {
  t = await startLedger()
})
afterEach(async () => {
  await t.cleanup()
})

function commit(sid: string, artifacts: Record<string, unknown>[], headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts }, headers })
}

function put(sid: string, name: string, body: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'PUT', url: `/v1/sessions/${sid}/artifacts/${name}`, payload: body, headers: { 'content-type': 'text/plain', ...headers } })
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const statuses = (responses: { statusCode: number }[]): number[] => responses.map((r) => r.statusCode)

async function expectVerified(): Promise<void> {
  const report = (await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()
  expect(report).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
}

/** Checks one artifact's history against what its writers were told: 1..N, each acknowledged body once, in seq order. */
async function expectExactHistory(sid: string, name: string, acknowledged: { body: string; version: number; seq: number }[]): Promise<void> {
  const history = (await t.app.inject(`/v1/sessions/${sid}/artifacts/${name}?versions`)).json().versions as { version: number; sha256: string; seq: number }[]
  expect(history.map((v) => v.version)).toEqual(range(acknowledged.length).map((i) => i + 1))
  const byVersion = [...acknowledged].sort((a, b) => a.version - b.version)
  expect(history.map((v) => [v.version, v.sha256, v.seq])).toEqual(byVersion.map((a) => [a.version, sha256(a.body), a.seq]))
  // A later version always comes from a later commit.
  for (let i = 1; i < history.length; i++) expect(history[i]?.seq).toBeGreaterThan(history[i - 1]?.seq ?? Infinity)
  const last = byVersion.at(-1)
  expect((await t.app.inject(`/v1/sessions/${sid}/artifacts/${name}`)).body).toBe(last?.body)
  expect(await readFile(join(t.dataDir, 'sessions', sid, ...name.split('/')), 'utf8')).toBe(last?.body)
}

describe('concurrent writers on one artifact', () => {
  it('gives N concurrent commits the versions 1..N, each acknowledged body exactly once, the plain file the last', async () => {
    const bodies = range(WRITERS).map((i) => `writer ${i}`)
    const responses = await Promise.all(bodies.map((body) => commit('s1', [{ name: 'shared/result.txt', text: body }])))
    expect(statuses(responses)).toEqual(Array(WRITERS).fill(201))
    const acknowledged = responses.map((res, i) => ({ body: bodies[i] ?? '', version: res.json().artifacts[0].version, seq: res.json().seq }))
    await expectExactHistory('s1', 'shared/result.txt', acknowledged)
    await expectVerified()
  }, TIMEOUT_MS)

  it('orders streamed PUTs and JSON commits to the same artifact into one gapless history', async () => {
    const bodies = range(WRITERS).map((i) => `mixed writer ${i}`)
    const responses = await Promise.all(bodies.map((body, i) => (i % 2 === 0 ? put('s1', 'log.txt', body) : commit('s1', [{ name: 'log.txt', text: body, mediaType: 'text/plain' }]))))
    expect(statuses(responses)).toEqual(Array(WRITERS).fill(201))
    const acknowledged = responses.map((res, i) => ({ body: bodies[i] ?? '', version: res.json().artifacts[0].version, seq: res.json().seq }))
    await expectExactHistory('s1', 'log.txt', acknowledged)
    await expectVerified()
  }, TIMEOUT_MS)
})

describe('concurrent writers on one session', () => {
  it('keeps every one of N concurrent commits to different artifacts, each snapshot exactly the commits before it', async () => {
    const responses = await Promise.all(range(WRITERS).map((i) => commit('s1', [{ name: `parts/${i}.json`, json: { part: i } }])))
    expect(statuses(responses)).toEqual(Array(WRITERS).fill(201))
    const seqs = responses.map((res) => res.json().seq as number)
    expect(new Set(seqs).size).toBe(WRITERS)
    const session = (await t.app.inject('/v1/sessions/s1')).json()
    expect(session.headSeq).toBe(Math.max(...seqs))
    expect(session.artifacts).toHaveLength(WRITERS)
    expect(session.artifacts.every((a: { version: number }) => a.version === 1)).toBe(true)
    // `?at=seq` is a consistent cut: exactly the artifacts of commits at or before it.
    const sorted = [...seqs].sort((a, b) => a - b)
    for (const [index, seq] of sorted.entries()) {
      const listing = (await t.app.inject(`/v1/sessions/s1/artifacts?at=${seq}`)).json()
      expect(listing.artifacts).toHaveLength(index + 1)
      expect(listing.artifacts.every((a: { seq: number }) => a.seq <= seq)).toBe(true)
    }
    await expectVerified()
  }, TIMEOUT_MS)

  it('lets exactly one of the writers holding the same head ETag win, round after round', async () => {
    const ROUNDS = 8
    const CONTENDERS = 8
    await commit('s1', [{ name: 'state.json', json: { round: -1 } }])
    for (const round of range(ROUNDS)) {
      const head = (await t.app.inject('/v1/sessions/s1')).headers['etag'] as string
      const responses = await Promise.all(range(CONTENDERS).map((w) => commit('s1', [{ name: 'state.json', json: { round, writer: w } }], { 'if-match': head })))
      const winners = responses.filter((r) => r.statusCode === 201)
      expect(statuses(responses).sort()).toEqual([201, ...Array(CONTENDERS - 1).fill(412)])
      const winner = winners[0]?.json()
      for (const loser of responses.filter((r) => r.statusCode === 412)) {
        expect(loser.json()).toMatchObject({ code: 'precondition_failed', currentEtag: `"${winner.seq}"` })
      }
      expect((await t.app.inject('/v1/sessions/s1')).json().headSeq).toBe(winner.seq)
      expect(JSON.parse((await t.app.inject('/v1/sessions/s1/artifacts/state.json')).body)).toMatchObject({ round })
    }
    const history = (await t.app.inject('/v1/sessions/s1/artifacts/state.json?versions')).json().versions
    expect(history).toHaveLength(ROUNDS + 1)
    await expectVerified()
  }, TIMEOUT_MS)
})

describe('idempotency under races', () => {
  it('answers N concurrent duplicates under one Idempotency-Key with one commit, replayed to all but the first', async () => {
    const body = [{ name: 'metrics.json', json: { score: 0.93 } }]
    const responses = await Promise.all(range(WRITERS).map(() => commit('s1', body, { 'idempotency-key': 'final' })))
    expect(statuses(responses)).toEqual(Array(WRITERS).fill(201))
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1)
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1)
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(WRITERS - 1)
    const commits = (await t.app.inject('/v1/commits?session=s1')).json().commits
    expect(commits.map((c: { state: string }) => c.state)).toEqual(['committed'])
    expect((await t.app.inject('/v1/sessions/s1/artifacts/metrics.json?versions')).json().versions).toHaveLength(1)
  }, TIMEOUT_MS)

  it('keeps keys apart when duplicates of several keys race each other', async () => {
    const KEYS = 6
    const COPIES = 10
    const requests = range(KEYS * COPIES).map((i) => i % KEYS)
    const responses = await Promise.all(requests.map((k) => (k % 2 === 0
      ? commit('s1', [{ name: `k${k}.txt`, text: `key ${k}` }], { 'idempotency-key': `key-${k}` })
      : put('s1', `k${k}.txt`, `key ${k}`, { 'idempotency-key': `key-${k}` }))))
    expect(statuses(responses)).toEqual(Array(KEYS * COPIES).fill(201))
    for (const k of range(KEYS)) {
      const mine = responses.filter((_, i) => requests[i] === k)
      expect(new Set(mine.map((r) => r.json().id)).size).toBe(1)
      expect(mine.filter((r) => r.headers['idempotent-replayed'] === undefined)).toHaveLength(1)
    }
    const commits = (await t.app.inject('/v1/commits?session=s1')).json().commits
    expect(commits).toHaveLength(KEYS)
    expect(commits.every((c: { state: string }) => c.state === 'committed')).toBe(true)
  }, TIMEOUT_MS)

  it('answers the same key with a different body 409 even while the first is still in flight', async () => {
    const responses = await Promise.all(range(16).map((i) => commit('s1', [{ name: 'a.txt', text: i % 2 === 0 ? 'even' : 'odd' }], { 'idempotency-key': 'k' })))
    const created = responses.filter((r) => r.statusCode === 201)
    const reused = responses.filter((r) => r.statusCode === 409)
    expect(created.length + reused.length).toBe(16)
    // The first attempt wins the key; every request with its body replays it, every other is refused.
    expect(new Set(created.map((r) => r.json().id)).size).toBe(1)
    const winner = (await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).body
    expect(created).toHaveLength(8)
    expect(reused.every((r) => r.json().code === 'idempotency_key_reused')).toBe(true)
    expect(['even', 'odd']).toContain(winner)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?versions')).json().versions).toHaveLength(1)
  }, TIMEOUT_MS)
})

describe('conditional PUTs under races', () => {
  it('lets exactly one of N concurrent If-None-Match: * PUTs create the artifact, the rest 412', async () => {
    const bodies = range(WRITERS).map((i) => `creator ${i}`)
    const responses = await Promise.all(bodies.map((body) => put('s1', 'once.txt', body, { 'if-none-match': '*' })))
    expect(statuses(responses).sort()).toEqual([201, ...Array(WRITERS - 1).fill(412)])
    const winner = bodies[responses.findIndex((r) => r.statusCode === 201)]
    expect((await t.app.inject('/v1/sessions/s1/artifacts/once.txt')).body).toBe(winner)
    expect(await readFile(join(t.dataDir, 'sessions/s1/once.txt'), 'utf8')).toBe(winner)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/once.txt?versions')).json().versions).toHaveLength(1)
    expect(responses.filter((r) => r.statusCode === 412).every((r) => r.json().code === 'precondition_failed')).toBe(true)
    await expectVerified()
  }, TIMEOUT_MS)

  it('lets exactly one of N concurrent PUTs with If-Match on the current sha256 replace it', async () => {
    const first = 'version one'
    expect((await put('s1', 'doc.txt', first)).statusCode).toBe(201)
    const bodies = range(WRITERS).map((i) => `replacement ${i}`)
    const responses = await Promise.all(bodies.map((body) => put('s1', 'doc.txt', body, { 'if-match': `"${sha256(first)}"` })))
    expect(statuses(responses).sort()).toEqual([201, ...Array(WRITERS - 1).fill(412)])
    const winner = bodies[responses.findIndex((r) => r.statusCode === 201)]
    expect((await t.app.inject('/v1/sessions/s1/artifacts/doc.txt')).body).toBe(winner)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/doc.txt?versions')).json().versions).toHaveLength(2)
    await expectVerified()
  }, TIMEOUT_MS)
})
