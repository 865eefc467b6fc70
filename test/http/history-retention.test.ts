// History retention: once a removed version's history is older than HISTORY_RETENTION_SECONDS (and its
// object reclaimed), its commit and the expiry that removed it are pruned; counts stay, reads say why.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { sha256 } from '../support/factories.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
afterEach(async () => {
  vi.useRealTimers()
  await t.cleanup()
})

async function commit(sid: string, name: string, text: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, headers, payload: { artifacts: [{ name, text }] } })
  expect(res.statusCode).toBe(201)
  return res.json().seq as number
}

async function json(url: string): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const res = await t.app.inject(url)
  return { statusCode: res.statusCode, body: res.json() }
}

/** Prunes as the sweep would two hours from now, when everything so far is older than the retention. */
async function pruneLater(): Promise<number> {
  vi.useFakeTimers({ toFake: ['Date'] })
  vi.setSystemTime(Date.now() + 2 * 3600 * 1000)
  try {
    return await t.ledger.pruneHistory()
  } finally {
    vi.useRealTimers()
  }
}

describe('history retention', () => {
  // The pruner looks up its horizon with the same SQL as a `since=<time>` listing; once it had asked for
  // one column, every such listing after its first pass (5 s after start) came back empty.
  it('leaves a since=<time> listing as it was after a pass', async () => {
    t = await startLedger({ settings: { historyRetentionSeconds: 3600 } })
    const seqs = [await commit('s1', 'a.txt', 'one'), await commit('s1', 'a.txt', 'two'), await commit('s1', 'b.txt', 'three')]
    const entries = (await json('/v1/commits')).body.commits as { seq: number; createdAt: string }[]
    const since = entries[1]?.createdAt ?? ''
    const expected = entries.filter((e) => e.createdAt >= since).map((e) => e.seq)
    expect(expected).toEqual(seqs.slice(1))
    expect(await pruneLater()).toBe(0)
    const after = (await json(`/v1/commits?since=${since}`)).body.commits as { seq: number }[]
    expect(after.map((e) => e.seq)).toEqual(expected)
  })

  it('prunes the commits of expired versions and their expire entry once their objects are reclaimed; counts, reads and numbering hold', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 0, historyRetentionSeconds: 3600 } })
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { retention: { keepVersions: 1 } } })
    const seqs = [
      await commit('s1', 'a.txt', 'a v1', { 'idempotency-key': 'first' }),
      await commit('s1', 'a.txt', 'a v2'), await commit('s1', 'a.txt', 'a v3'), await commit('s1', 'a.txt', 'a v4'),
    ]
    const failed = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'b.txt', text: 'x', sha256: sha256('y') }] } })
    expect(failed.json()).toMatchObject({ code: 'digest_mismatch' })
    expect(await t.ledger.runExpiry()).toBe(3)
    const before = (await json('/v1/status')).body
    expect(before).toMatchObject({ commits: { committed: 4, failed: 1 }, history: { retentionSeconds: 3600, prunedEntries: 0, completeSnapshotsFrom: 0 } })
    // Inside the retention nothing goes, whatever GC has done.
    expect((await t.app.inject({ method: 'POST', url: '/v1/gc' })).json()).toMatchObject({ reclaimedObjects: 3 })
    expect(await t.ledger.pruneHistory()).toBe(0)
    expect((await json(`/v1/sessions/s1/artifacts?at=${seqs[1]}`)).body).toMatchObject({ artifacts: [{ name: 'a.txt', version: 2 }] })

    const expire = (await json('/v1/commits?kind=expire')).body.commits as { seq: number }[]
    expect(await pruneLater()).toBe(5)
    // Gone from the log: the three commits, the failed one, and the expire entry.
    const left = ((await json('/v1/commits?session=s1')).body.commits as { seq: number; kind: string }[]).map((c) => [c.seq, c.kind])
    expect(left).toEqual([[1, 'session'], [seqs[3], 'artifacts']])
    expect((await json('/v1/commits?kind=expire')).body.commits).toEqual([])
    // Still counted, and pruning is reported.
    const after = (await json('/v1/status')).body
    expect(after.commits).toEqual(before.commits)
    expect(after.history).toEqual({ retentionSeconds: 3600, prunedEntries: 5, completeSnapshotsFrom: expire[0]?.seq })
    expect((await t.app.inject('/metrics')).body).toMatch(/^artifact_ledger_history_pruned_entries_total 5$/m)
    // A pruned version, and a snapshot that would lack it, answer 410 history_pruned; newer ones are whole.
    expect((await json('/v1/sessions/s1/artifacts/a.txt?version=2')).body).toMatchObject({ status: 410, code: 'history_pruned' })
    expect((await json(`/v1/sessions/s1/artifacts?at=${seqs[1]}`)).body).toMatchObject({ status: 410, code: 'history_pruned', completeSnapshotsFrom: expire[0]?.seq })
    expect((await json('/v1/sessions/s1/artifacts/a.txt?version=9')).body).toMatchObject({ status: 404, code: 'version_not_found' })
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=4')).body).toBe('a v4')
    expect((await json(`/v1/sessions/s1/artifacts?at=${expire[0]?.seq ?? 0}`)).body).toMatchObject({ artifacts: [{ name: 'a.txt', version: 4 }] })
    // Numbering continues from the version kept; the pruned commit's idempotency key went with it.
    await commit('s1', 'a.txt', 'a v5', { 'idempotency-key': 'first' })
    expect((await json('/v1/sessions/s1/artifacts')).body).toMatchObject({ artifacts: [{ name: 'a.txt', version: 5 }] })
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, missing: [], orphaned: [] })
  })

  it('keeps the history of a version whose object is not reclaimed yet, deletions, and everything when retention is 0', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 3600, historyRetentionSeconds: 3600 } })
    await commit('s1', 'a.txt', 'v1')
    await commit('s1', 'a.txt', 'v2')
    await commit('s1', 'b.txt', 'b1')
    await commit('s1', 'b.txt', 'b2')
    const deleted = (await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/b.txt' })).json<{ seq: number }>()
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { retention: { keepVersions: 1 } } })
    expect(await t.ledger.runExpiry()).toBe(1)
    // GC keeps the released objects for the grace period: their rows stay, so nothing is pruned.
    expect((await t.app.inject({ method: 'POST', url: '/v1/gc' })).json()).toMatchObject({ reclaimedObjects: 0 })
    expect(await pruneLater()).toBe(0)
    expect((await json('/v1/sessions/s1/artifacts/a.txt?version=1')).body).toMatchObject({ code: 'version_expired' })
    expect((await json('/v1/sessions/s1/artifacts/b.txt?version=1')).body).toMatchObject({ code: 'artifact_deleted', removedSeq: deleted.seq })
    expect((await json('/v1/commits?kind=delete')).body.commits).toHaveLength(1)
    await t.close()

    t = await startLedger({ dataDir: t.dataDir, settings: { gcGraceSeconds: 0, historyRetentionSeconds: 0 } })
    expect((await t.app.inject({ method: 'POST', url: '/v1/gc' })).json()).toMatchObject({ reclaimedObjects: 3 })
    expect(await pruneLater()).toBe(0)
    expect((await json('/v1/commits?session=s1')).body.commits).toHaveLength(7)
  })
})
