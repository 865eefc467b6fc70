// Nothing below HTTP swallows an error: a failure the log could not record is recorded late, and
// an error of background work nobody expected is logged, counted and shown in status and health.
import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { FAILURE_JOURNAL_FILE } from '../../src/storage/files/failure-journal.js'
import { parseExposition, sampleOf } from '../support/exposition.js'
import { FaultyFs } from '../support/faulty-fs.js'
import { SqliteFaults } from '../support/sqlite-faults.js'
import { makeDataDir, startLedger, type TestLedger } from '../support/start-ledger.js'

const ledgers: TestLedger[] = []
afterEach(async () => {
  await Promise.all(ledgers.splice(0).map((t) => t.cleanup()))
})

function post(t: TestLedger, sid: string, text: string) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: [{ name: 'a.txt', text }] } })
}

/** Commits until the full log refuses; returns the refusals (each a 507 that may carry a commitId). */
async function refusedWhileFull(t: TestLedger, count: number): Promise<{ statusCode: number; commitId: unknown }[]> {
  const refused: { statusCode: number; commitId: unknown }[] = []
  for (let i = 0; i < 1000 && refused.length < count; i++) {
    const res = await post(t, `s${i % 3}`, `text ${i} ${'x'.repeat(2000)}`)
    if (res.statusCode !== 201) refused.push({ statusCode: res.statusCode, commitId: res.json().commitId })
  }
  return refused
}

async function readyWithin(t: TestLedger, ms: number): Promise<number> {
  const until = Date.now() + ms
  for (;;) {
    const res = await t.app.inject('/health/ready')
    if (res.statusCode === 200 || Date.now() > until) return res.statusCode
    await sleep(200)
  }
}

describe('failures the log could not record when they happened', () => {
  it('records a failed entry for every 5xx of a log fault once the log takes writes again, before ready turns 200', async () => {
    // A real SQLITE_FULL: the database may grow no further.
    const sqlite = new SqliteFaults()
    const t = await startLedger({ storage: sqlite.open })
    ledgers.push(t)
    expect((await post(t, 's0', 'before')).statusCode).toBe(201)
    sqlite.fill()
    const refused = await refusedWhileFull(t, 4)
    expect(refused.map((r) => r.statusCode)).toEqual([507, 507, 507, 507])
    // Every refusal names the entry it will be, even though the log could not take it yet.
    const ids = refused.map((r) => r.commitId)
    expect(ids.every((id) => typeof id === 'string')).toBe(true)
    const status = (await t.app.inject('/v1/status')).json()
    expect(status.owedFailures).toBeGreaterThanOrEqual(1)
    expect(await readFile(join(t.dataDir, FAILURE_JOURNAL_FILE), 'utf8')).toContain(String(ids[0]))
    const notReady = await t.app.inject('/health/ready')
    expect(notReady.statusCode).toBe(503)
    expect(notReady.json().checks['storage:faults'][0].status).toBe('fail')

    sqlite.makeRoom()
    expect(await readyWithin(t, 5000)).toBe(200)
    for (const id of ids) {
      const entry = (await t.app.inject(`/v1/commits/${String(id)}`)).json()
      expect(entry, `entry ${String(id)}`).toMatchObject({ state: 'failed', error: { code: 'insufficient_storage' } })
    }
    expect((await t.app.inject('/v1/status')).json().owedFailures).toBe(0)
    await expect(access(join(t.dataDir, FAILURE_JOURNAL_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await t.app.inject('/v1/commits?state=pending')).json().commits).toEqual([])
  })

  it('records them after a crash too, from the journal beside the log, before pending commits are aborted', async () => {
    const dataDir = await makeDataDir()
    const sqlite = new SqliteFaults()
    const first = await startLedger({ dataDir, storage: sqlite.open })
    expect((await post(first, 's0', 'before')).statusCode).toBe(201)
    sqlite.fill()
    const refused = await refusedWhileFull(first, 3)
    // The process ends with the log still full: only the journal holds these failures now.
    await first.close()

    const second = await startLedger({ dataDir })
    ledgers.push(second)
    for (const { commitId } of refused) {
      expect((await second.app.inject(`/v1/commits/${String(commitId)}`)).json()).toMatchObject({ state: 'failed', error: { code: 'insufficient_storage' } })
    }
    await expect(access(join(dataDir, FAILURE_JOURNAL_FILE))).rejects.toMatchObject({ code: 'ENOENT' })
    expect((await second.app.inject('/health/ready')).statusCode).toBe(200)
  })
})

describe('an error nobody expected in background work', () => {
  it('logs the scrub’s TypeError, counts it by path and code, and shows it in status and readiness until the scrub works again', async () => {
    const fs = new FaultyFs()
    // No plain-view batch meanwhile: its fsync opens the file too, and would hit the same bug.
    const t = await startLedger({ fs, settings: { scrubIntervalMs: 100, plainViewFlushMs: 3_600_000 } })
    ledgers.push(t)
    expect((await post(t, 's1', 'bytes to scrub')).statusCode).toBe(201)
    fs.failWithBug('openRead')

    let status = (await t.app.inject('/v1/status')).json()
    for (let i = 0; i < 50 && status.backgroundErrors.length === 0; i++) {
      await sleep(100)
      status = (await t.app.inject('/v1/status')).json()
    }
    expect(status.backgroundErrors).toEqual([expect.objectContaining({ path: 'scrub', code: 'internal', count: expect.any(Number) })])
    const logged = t.logs.entries.filter((e) => e.level === 'error' && e.fields['path'] === 'scrub')
    expect(logged).toHaveLength(1)
    expect(logged[0]?.fields['err']).toBeInstanceOf(TypeError)
    expect(logged[0]?.message).toContain('injected bug')
    const samples = parseExposition((await t.app.inject('/metrics')).body)
    expect(sampleOf(samples, 'artifact_ledger_background_errors_total{path="scrub",code="internal"}')).toBeGreaterThanOrEqual(1)
    const ready = await t.app.inject('/health/ready')
    expect(ready.statusCode).toBe(200)
    expect(ready.json().checks['background'][0]).toMatchObject({ status: 'warn', output: expect.stringContaining('scrub: internal') })
    // A bug is not a disk fault: readiness does not fail and no storage fault is recorded.
    expect(status.unrecoveredFault).toBeNull()

    fs.clear()
    for (let i = 0; i < 50 && status.backgroundErrors.length > 0; i++) {
      await sleep(100)
      status = (await t.app.inject('/v1/status')).json()
    }
    expect(status.backgroundErrors).toEqual([])
    expect(t.logs.entries.some((e) => e.level === 'info' && e.fields['path'] === 'scrub' && e.message.includes('works again'))).toBe(true)
  })

  it('reports a cleanup that fails after the answer was already given, instead of dropping it', async () => {
    const fs = new FaultyFs()
    const t = await startLedger({ fs })
    ledgers.push(t)
    // A streamed upload refused by its precondition: its staged copies are discarded, and that unlink fails.
    expect((await post(t, 's2', 'v1')).statusCode).toBe(201)
    fs.failWithBug('unlink', { when: (path) => path.includes('/objects/incoming/') })
    const res = await t.app.inject({
      method: 'PUT', url: '/v1/sessions/s2/artifacts/a.txt', headers: { 'content-type': 'text/plain', 'if-none-match': '*' }, payload: 'v2',
    })
    expect(res.statusCode).toBe(412)
    const status = (await t.app.inject('/v1/status')).json()
    expect(status.backgroundErrors).toEqual([expect.objectContaining({ path: 'cleanup', code: 'internal' })])
    expect(t.logs.entries.filter((e) => e.fields['path'] === 'cleanup' && e.level === 'error')).toHaveLength(1)
  })
})
