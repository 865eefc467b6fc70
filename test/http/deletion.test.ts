import { access, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseEnvTokens } from '../../src/http/auth.js'
import { sha256 } from '../support/factories.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'
import { objectFile } from '../support/layout.js'

let t: TestLedger
afterEach(async () => {
  await t.cleanup()
})

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false)

async function commit(sid: string, files: Record<string, string>): Promise<{ seq: number }> {
  const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: Object.entries(files).map(([name, text]) => ({ name, text })) } })
  expect(res.statusCode).toBe(201)
  return res.json()
}

describe('DELETE /v1/sessions/{sid}/artifacts/{name}', () => {
  it('makes every version answer 410 artifact_deleted with one delete entry, removes the plain file and keeps the history', async () => {
    t = await startLedger()
    const first = await commit('s1', { 'd/a.txt': 'a1', 'b.txt': 'b1' })
    await commit('s1', { 'd/a.txt': 'a2' })
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/d/a.txt' })
    expect(res.statusCode).toBe(200)
    const entry = res.json()
    expect(entry).toMatchObject({ kind: 'delete', state: 'committed', sessionId: 's1', delete: { by: 'anonymous', target: 'artifact', name: 'd/a.txt', removedVersions: 2 } })

    for (const url of ['/v1/sessions/s1/artifacts/d/a.txt', '/v1/sessions/s1/artifacts/d/a.txt?version=1', '/v1/sessions/s1/artifacts/d/a.txt?version=2']) {
      const read = await t.app.inject(url)
      expect(read.statusCode, url).toBe(410)
      expect(read.json()).toMatchObject({ code: 'artifact_deleted', removedSeq: entry.seq })
      expect((await t.app.inject({ method: 'HEAD', url })).statusCode).toBe(410)
    }
    expect((await t.app.inject('/v1/sessions/s1/artifacts')).json().artifacts.map((a: { name: string }) => a.name)).toEqual(['b.txt'])
    const history = (await t.app.inject('/v1/sessions/s1/artifacts/d/a.txt?versions')).json().versions
    expect(history.map((v: { version: number; removed?: { kind: string; seq: number } }) => [v.version, v.removed])).toEqual([
      [1, { kind: 'delete', seq: entry.seq, at: entry.createdAt }], [2, { kind: 'delete', seq: entry.seq, at: entry.createdAt }],
    ])
    // A snapshot from before the delete lists the artifact, marked; its bytes answer 410.
    const before = (await t.app.inject(`/v1/sessions/s1/artifacts?at=${first.seq}`)).json().artifacts
    expect(before.map((a: { name: string; removed?: unknown }) => [a.name, a.removed !== undefined])).toEqual([['b.txt', false], ['d/a.txt', true]])
    expect((await t.app.inject(`/v1/sessions/s1/artifacts/d/a.txt?at=${first.seq}`)).json().code).toBe('artifact_deleted')
    expect((await t.app.inject(`/v1/sessions/s1/artifacts?at=${entry.seq}`)).json().artifacts.map((a: { name: string }) => a.name)).toEqual(['b.txt'])

    // The plain file goes; the objects stay for the garbage collector; the log says who, when and what.
    expect(await exists(join(t.dataDir, 'sessions/s1/d/a.txt'))).toBe(false)
    expect(await readFile(join(t.dataDir, 'sessions/s1/b.txt'), 'utf8')).toBe('b1')
    expect(await exists(objectFile(t.dataDir, sha256('a1')))).toBe(true)
    const logged = (await t.app.inject('/v1/commits?kind=delete')).json().commits
    expect(logged).toEqual([entry])
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, missing: [], orphaned: [] })
  })

  it('takes the name again later, numbering on from the deleted versions', async () => {
    t = await startLedger()
    await commit('s1', { 'a.txt': 'a1' })
    await commit('s1', { 'a.txt': 'a2' })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' })).statusCode).toBe(200)
    const again = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'a3' }] } })
    expect(again.json().artifacts[0].version).toBe(3)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).body).toBe('a3')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=2')).statusCode).toBe(410)
    expect(await readFile(join(t.dataDir, 'sessions/s1/a.txt'), 'utf8')).toBe('a3')
  })

  it('answers 404 for a name never committed, 410 for one already deleted (no second entry), and 409 held under a hold', async () => {
    t = await startLedger()
    await commit('s1', { 'a.txt': 'a1', 'b.txt': 'b1' })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/never.txt' })).json()).toMatchObject({ status: 404, code: 'artifact_not_found' })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/nobody/artifacts/a.txt' })).json()).toMatchObject({ status: 404, code: 'session_not_found' })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' })).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' })).json()).toMatchObject({ status: 410, code: 'artifact_deleted' })
    expect((await t.app.inject('/v1/commits?kind=delete')).json().commits).toHaveLength(1)

    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { hold: true } })).json()).toMatchObject({ hold: true })
    const held = await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/b.txt' })
    expect(held.json()).toMatchObject({ status: 409, code: 'held' })
    expect((await t.app.inject('/v1/sessions/s1/artifacts/b.txt')).body).toBe('b1')
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { hold: false } })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/b.txt' })).statusCode).toBe(200)
  })
})

describe('DELETE /v1/sessions/{sid}', () => {
  it('keeps the session record as deleted, makes every artifact answer 410, removes the plain files and refuses further writes', async () => {
    t = await startLedger()
    await commit('s1', { 'a.txt': 'a1', 'n/b.txt': 'b1' })
    await commit('s2', { 'a.txt': 'other session' })
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1' })
    expect(res.json()).toMatchObject({ kind: 'delete', delete: { by: 'anonymous', target: 'session', name: null, removedVersions: 2 } })
    const session = await t.app.inject('/v1/sessions/s1')
    expect(session.json()).toMatchObject({ state: 'deleted', artifacts: [], headSeq: res.json().seq })
    for (const name of ['a.txt', 'n/b.txt']) {
      expect((await t.app.inject(`/v1/sessions/s1/artifacts/${name}`)).json().code).toBe('artifact_deleted')
      expect(await exists(join(t.dataDir, 'sessions/s1', name))).toBe(false)
    }
    expect((await t.app.inject('/v1/sessions/s2/artifacts/a.txt')).body).toBe('other session')

    const refusals = [
      await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'c.txt', text: 'late' }] } }),
      await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1/artifacts/c.txt', payload: 'late', headers: { 'content-type': 'text/plain' } }),
      await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { metadata: { x: 1 } } }),
      await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/expected', payload: { add: ['c.txt'] } }),
      await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/complete' }),
      await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1' }),
      await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' }),
    ]
    for (const refused of refusals) expect(refused.json()).toMatchObject({ status: 409, code: 'session_deleted' })
    expect(await exists(join(t.dataDir, 'sessions/s1/c.txt'))).toBe(false)
    expect((await t.app.inject('/v1/sessions?state=deleted')).json().sessions.map((s: { id: string }) => s.id)).toEqual(['s1'])
    expect((await t.app.inject('/v1/status')).json().sessions).toMatchObject({ deleted: 1, total: 2 })
    expect((await t.app.inject('/metrics')).body).toContain('artifact_ledger_sessions{state="deleted"} 1')
  })

  it('answers 409 held under a hold and deletes nothing', async () => {
    t = await startLedger()
    await commit('s1', { 'a.txt': 'a1' })
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { hold: true } })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1' })).json()).toMatchObject({ status: 409, code: 'held' })
    expect((await t.app.inject('/v1/sessions/s1')).json()).toMatchObject({ state: 'open', hold: true })
    expect(await readFile(join(t.dataDir, 'sessions/s1/a.txt'), 'utf8')).toBe('a1')
  })
})

describe('who may delete', () => {
  const tokens = parseEnvTokens('writer=w-token:write, ops=a-token:admin')
  const as = (token: string) => ({ authorization: `Bearer ${token}` })

  it('needs the admin scope, records the token name, and holds retention and hold changes to admin too', async () => {
    t = await startLedger({ auth: { tokens } })
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', headers: as('w-token'), payload: { artifacts: [{ name: 'a.txt', text: 'a1' }] } })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt', headers: as('w-token') })).json()).toMatchObject({ status: 403 })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1', headers: as('w-token') })).json()).toMatchObject({ status: 403 })
    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', headers: as('w-token'), payload: { hold: true } })).json()).toMatchObject({ status: 403, code: 'forbidden' })
    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', headers: as('w-token'), payload: { retention: { keepVersions: 1 } } })).statusCode).toBe(403)
    const deleted = await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt', headers: as('a-token') })
    expect(deleted.json()).toMatchObject({ delete: { by: 'ops' } })
  })
})
