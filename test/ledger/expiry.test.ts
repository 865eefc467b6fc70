// Expiry in the background: a bounded batch per tick, each removal an entry, and its errors reported
// like any other background work's (log, metric, status, readiness) until it works again.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition, sampleOf } from '../support/exposition.js'
import { SqliteFaults } from '../support/sqlite-faults.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
afterEach(async () => {
  await t.cleanup()
})

async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await sleep(50)
  }
}

async function commitVersions(count: number): Promise<void> {
  for (let i = 1; i <= count; i++) await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: `v${i}` }] } })
}

const expireEntries = async (): Promise<{ expire: { versions: unknown[] } }[]> => (await t.app.inject('/v1/commits?kind=expire')).json().commits

describe('background expiry', () => {
  it('expires at most a batch per tick, each batch its own entry', async () => {
    t = await startLedger({ settings: { retention: { keepVersions: 1 }, expiryIntervalMs: 50, expiryBatchSize: 2 } })
    await commitVersions(6)
    await until(async () => (await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=5')).statusCode === 410)
    const entries = await expireEntries()
    expect(entries.map((e) => e.expire.versions.length)).toEqual(expect.arrayContaining([2]))
    expect(entries.every((e) => e.expire.versions.length <= 2)).toBe(true)
    expect(entries.flatMap((e) => e.expire.versions)).toHaveLength(5)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).body).toBe('v6')
  })

  it('reports a failing sweep on the path expiry in status, metrics and readiness, and says when it works again', async () => {
    const faults = new SqliteFaults()
    // No plain-view batch while the write lock is held: its checkpoint write would fail beside expiry's.
    t = await startLedger({ storage: faults.open, settings: { retention: { keepVersions: 1 }, expiryIntervalMs: 50, plainViewFlushMs: 3_600_000 } })
    await commitVersions(2)
    const release = faults.holdWriteLock()
    try {
      await until(async () => (await t.app.inject('/v1/status')).json().backgroundErrors.some((e: { path: string }) => e.path === 'expiry'))
      const status = (await t.app.inject('/v1/status')).json()
      expect(status.backgroundErrors).toEqual([expect.objectContaining({ path: 'expiry', code: 'storage_fault' })])
      expect(t.logs.entries.some((e) => e.level === 'error' && e.fields['path'] === 'expiry')).toBe(true)
      const samples = parseExposition((await t.app.inject('/metrics')).body)
      expect(sampleOf(samples, 'artifact_ledger_background_errors_total{path="expiry",code="storage_fault"}')).toBeGreaterThanOrEqual(1)
      expect((await t.app.inject('/health/ready')).json().checks['background'][0].output).toContain('expiry')
    } finally {
      release()
    }
    await until(async () => (await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=1')).statusCode === 410)
    await until(async () => !(await t.app.inject('/v1/status')).json().backgroundErrors.some((e: { path: string }) => e.path === 'expiry'))
    expect(t.logs.entries.some((e) => e.level === 'info' && e.fields['path'] === 'expiry' && e.message.includes('works again'))).toBe(true)
  })
})
