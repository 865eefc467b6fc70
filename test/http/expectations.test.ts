// Expected artifacts change atomically: concurrent writers never lose one another's names, a stale
// PUT is refused with 412, and a commit can declare what it expects in its own transaction.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
beforeEach(async () => {
  t = await startLedger()
})
afterEach(async () => {
  await t.cleanup()
})

function changeExpected(sid: string, body: object) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/expected`, payload: body })
}

describe('POST /v1/sessions/{sid}/expected', () => {
  it('keeps every name when 64 writers add theirs at once', async () => {
    const names = Array.from({ length: 64 }, (_, i) => `out-${i}.txt`)
    const answers = await Promise.all(names.map((name) => changeExpected('run-1', { add: [name] })))
    expect(answers.map((a) => a.statusCode)).toEqual(names.map(() => 200))
    const session = (await t.app.inject('/v1/sessions/run-1')).json()
    expect([...session.expectedArtifacts].sort()).toEqual([...names].sort())
    expect([...session.missing].sort()).toEqual([...names].sort())
    // One entry per change: creating the session came with the first name.
    const entries = (await t.app.inject('/v1/commits?session=run-1&kind=expect&limit=1000')).json().commits
    expect(entries.flatMap((e: { expect: { add: string[] } }) => e.expect.add).sort()).toEqual([...names].sort())
  })

  it('adds and removes in one entry, creates the session if needed, and writes nothing when nothing changes', async () => {
    const created = await changeExpected('run-2', { add: ['a.json', 'b.json'] })
    expect(created.json()).toMatchObject({ id: 'run-2', state: 'open', expectedArtifacts: ['a.json', 'b.json'], deadline: expect.any(String) })
    const changed = await changeExpected('run-2', { add: ['c.json'], remove: ['a.json'] })
    expect(changed.json()).toMatchObject({ expectedArtifacts: ['b.json', 'c.json'] })
    expect(changed.headers['etag']).toBe(`"${changed.json().headSeq}"`)
    const same = await changeExpected('run-2', { add: ['c.json'], remove: ['zzz.json'] })
    expect(same.json().headSeq).toBe(changed.json().headSeq)

    const entries = (await t.app.inject('/v1/commits?session=run-2&kind=expect')).json().commits
    expect(entries.map((e: { expect: unknown; seq: number }) => e.expect)).toEqual([
      { add: ['a.json', 'b.json'], remove: [] },
      { add: ['c.json'], remove: ['a.json'] },
    ])
    expect(entries[1].seq).toBe(changed.json().headSeq)
  })

  it('re-derives a closed session: a new expectation makes it incomplete, removing it completes it again', async () => {
    await t.app.inject({ method: 'POST', url: '/v1/sessions/run-3/commits', payload: { artifacts: [{ name: 'a.txt', text: 'a' }] } })
    await t.app.inject({ method: 'POST', url: '/v1/sessions/run-3/complete' })
    expect((await changeExpected('run-3', { add: ['b.txt'] })).json()).toMatchObject({ state: 'incomplete', missing: ['b.txt'] })
    expect((await changeExpected('run-3', { remove: ['b.txt'] })).json()).toMatchObject({ state: 'complete', missing: [] })
  })

  it('refuses invalid names (422), a name both added and removed (400) and unknown fields (400), changing nothing', async () => {
    expect((await changeExpected('run-4', { add: ['../x'] })).json()).toMatchObject({ code: 'invalid_name', field: 'add[0]' })
    expect((await changeExpected('run-4', { add: ['a'], remove: ['a'] })).json()).toMatchObject({ code: 'invalid_content', field: 'remove[0]' })
    expect((await changeExpected('run-4', { names: ['a'] })).json()).toMatchObject({ code: 'validation_failed', field: 'names' })
    expect((await t.app.inject('/v1/sessions/run-4')).statusCode).toBe(404)
  })
})

describe('PUT /v1/sessions/{sid} with If-Match', () => {
  it('applies an update made against the current ETag and refuses one made against a stale one with 412', async () => {
    const created = await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-5', payload: { expectedArtifacts: ['a.json'] } })
    const etag = created.headers['etag'] as string
    const ok = await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-5', headers: { 'if-match': etag }, payload: { expectedArtifacts: ['a.json', 'b.json'] } })
    expect(ok.statusCode).toBe(200)
    const stale = await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-5', headers: { 'if-match': etag }, payload: { expectedArtifacts: ['a.json'] } })
    expect(stale.statusCode).toBe(412)
    expect(stale.json()).toMatchObject({ code: 'precondition_failed', currentEtag: ok.headers['etag'] })
    expect((await t.app.inject('/v1/sessions/run-5')).json().expectedArtifacts).toEqual(['a.json', 'b.json'])
  })

  it('treats If-Match: * as "the session exists" and a weak tag as no match', async () => {
    const missing = await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-6', headers: { 'if-match': '*' }, payload: { metadata: { a: 1 } } })
    expect(missing.statusCode).toBe(412)
    expect((await t.app.inject('/v1/sessions/run-6')).statusCode).toBe(404)
    const created = await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-6', payload: { metadata: { a: 1 } } })
    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-6', headers: { 'if-match': '*' }, payload: { metadata: { a: 2 } } })).statusCode).toBe(200)
    const weak = await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-6', headers: { 'if-match': `W/${created.headers['etag'] as string}` }, payload: { metadata: { a: 3 } } })
    expect(weak.statusCode).toBe(412)
  })

  it('moves the ETag with every change of the session, so a commit built on the old head gets 412', async () => {
    const created = await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-7', payload: { expectedArtifacts: ['a.json'] } })
    await changeExpected('run-7', { add: ['b.json'] })
    const stale = await t.app.inject({
      method: 'POST', url: '/v1/sessions/run-7/commits', headers: { 'if-match': created.headers['etag'] as string },
      payload: { artifacts: [{ name: 'a.json', json: 1 }] },
    })
    expect(stale.statusCode).toBe(412)
  })
})

describe('expect in a commit body', () => {
  it('adds the names in the commit’s own transaction and records them on the commit', async () => {
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/run-8/commits',
      payload: { artifacts: [{ name: 'a.json', json: { ok: true } }], expect: ['a.json', 'b.json'] },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ kind: 'artifacts', expect: { add: ['a.json', 'b.json'], remove: [] } })
    expect((await t.app.inject('/v1/sessions/run-8')).json()).toMatchObject({ expectedArtifacts: ['a.json', 'b.json'], missing: ['b.json'], headSeq: res.json().seq })
  })

  it('adds nothing when the commit fails', async () => {
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/run-9/commits',
      payload: { artifacts: [{ name: 'a.json', json: 1, sha256: '0'.repeat(64) }], expect: ['b.json'] },
    })
    expect(res.statusCode).toBe(422)
    expect((await t.app.inject('/v1/sessions/run-9')).json().expectedArtifacts).toEqual([])
  })

  it('refuses an invalid expected name with 422 before anything is written', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/run-10/commits', payload: { artifacts: [{ name: 'a.json', json: 1 }], expect: ['/abs'] } })
    expect(res.json()).toMatchObject({ code: 'invalid_name', field: 'expect[0]' })
    expect((await t.app.inject('/v1/sessions/run-10/artifacts')).json().artifacts).toEqual([])
  })
})
