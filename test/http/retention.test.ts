import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
afterEach(async () => {
  await t.cleanup()
})

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false)

async function commitVersions(sid: string, name: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    expect((await t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: [{ name, text: `${name} v${i}` }] } })).statusCode).toBe(201)
  }
}

describe('retention', () => {
  it('keeps the newest keepVersions of each artifact, each removal an expire entry, the rest 410 version_expired', async () => {
    t = await startLedger()
    await commitVersions('s1', 'a.txt', 4)
    await commitVersions('s1', 'b.txt', 1)
    const put = await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { retention: { keepVersions: 2 } } })
    expect(put.json()).toMatchObject({ retention: { keepVersions: 2 }, hold: false })
    expect(await t.ledger.runExpiry()).toBe(2)
    const entries = (await t.app.inject('/v1/commits?kind=expire')).json().commits
    expect(entries).toHaveLength(1)
    expect(entries[0]).toMatchObject({ sessionId: 's1', kind: 'expire', expire: { retention: { keepVersions: 2 }, versions: [{ name: 'a.txt', version: 1 }, { name: 'a.txt', version: 2 }] } })
    for (const version of [1, 2]) {
      expect((await t.app.inject(`/v1/sessions/s1/artifacts/a.txt?version=${version}`)).json()).toMatchObject({ status: 410, code: 'version_expired', removedSeq: entries[0].seq })
    }
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=3')).body).toBe('a.txt v3')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).body).toBe('a.txt v4')
    expect((await t.app.inject('/v1/sessions/s1/artifacts')).json().artifacts.map((a: { name: string; version: number }) => [a.name, a.version])).toEqual([['a.txt', 4], ['b.txt', 1]])
    // Nothing more is due: a second run removes nothing and appends no entry.
    expect(await t.ledger.runExpiry()).toBe(0)
    expect((await t.app.inject('/v1/commits?kind=expire')).json().commits).toHaveLength(1)
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, missing: [], orphaned: [] })
  })

  it('expires every version older than deleteAfterDays, the latest included, and removes its plain file', async () => {
    t = await startLedger({ settings: { retention: { deleteAfterDays: 1 } } })
    await commitVersions('s1', 'a.txt', 2)
    expect(await t.ledger.runExpiry()).toBe(0)
    // Two days on, as the sweep would see it: every version is older than a day.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 2 * 24 * 3600 * 1000)
    try {
      expect(await t.ledger.runExpiry()).toBe(2)
    } finally {
      vi.useRealTimers()
    }
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).json()).toMatchObject({ status: 410, code: 'version_expired' })
    expect((await t.app.inject('/v1/sessions/s1/artifacts')).json().artifacts).toEqual([])
    expect(await exists(join(t.dataDir, 'sessions/s1/a.txt'))).toBe(false)
    expect((await t.app.inject('/v1/sessions/s1')).json()).toMatchObject({ state: 'open', artifacts: [] })
  })

  it('skips held sessions, and takes the server default where a session sets none', async () => {
    t = await startLedger({ settings: { retention: { keepVersions: 1 } } })
    await commitVersions('held', 'a.txt', 3)
    await commitVersions('free', 'a.txt', 3)
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/held', payload: { hold: true } })
    expect(await t.ledger.runExpiry()).toBe(2)
    expect((await t.app.inject('/v1/sessions/held/artifacts/a.txt?version=1')).statusCode).toBe(200)
    expect((await t.app.inject('/v1/sessions/free/artifacts/a.txt?version=2')).json().code).toBe('version_expired')
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/held', payload: { hold: false } })
    expect(await t.ledger.runExpiry()).toBe(2)
    expect((await t.app.inject('/v1/sessions/held/artifacts/a.txt?version=1')).json().code).toBe('version_expired')
  })

  it('refuses retention that is not positive integers, naming the field', async () => {
    t = await startLedger()
    for (const retention of [{ keepVersions: 0 }, { deleteAfterDays: -1 }, { keepVersions: 1.5 }, { keepVersions: '2' }, { keep: 2 }]) {
      const res = await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { retention } })
      expect(res.statusCode, JSON.stringify(retention)).toBe(400)
      expect(res.json().field).toMatch(/^retention/)
    }
    const logged = (await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { retention: { keepVersions: 3, deleteAfterDays: 30 } } }))
    expect(logged.statusCode).toBe(201)
    const entry = (await t.app.inject('/v1/commits?kind=session')).json().commits.at(-1)
    expect(entry.session).toMatchObject({ retention: { keepVersions: 3, deleteAfterDays: 30 } })
  })
})
