import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
beforeEach(async () => {
  t = await startLedger()
})
afterEach(async () => {
  await t.cleanup()
})

const expected = ['quality_metrics.json', 'session_summary.json', 'feedback.txt']

function declare(sid: string, body: object) {
  return t.app.inject({ method: 'PUT', url: `/v1/sessions/${sid}`, payload: body })
}
function commit(sid: string, ...names: string[]) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: names.map((name) => ({ name, text: name })) } })
}
function complete(sid: string) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/complete` })
}

describe('sessions that know what is missing', () => {
  it('declares expected artifacts with PUT, 201 the first time and 200 after', async () => {
    const created = await declare('run-1', { expectedArtifacts: expected, metadata: { model: 'm1' } })
    expect(created.statusCode).toBe(201)
    expect(created.json()).toMatchObject({ id: 'run-1', state: 'open', expectedArtifacts: expected, missing: expected, metadata: { model: 'm1' }, headSeq: 1, closedBy: null, error: null })
    const updated = await declare('run-1', { metadata: { model: 'm2' } })
    expect(updated.statusCode).toBe(200)
    expect(updated.json()).toMatchObject({ expectedArtifacts: expected, metadata: { model: 'm2' } })
  })

  it('refuses unknown fields and invalid expected names', async () => {
    expect((await declare('run-1', { expected: ['a'] })).json()).toMatchObject({ code: 'validation_failed', field: 'expected' })
    expect((await declare('run-1', { expectedArtifacts: ['../x'] })).json()).toMatchObject({ code: 'invalid_name', field: 'expectedArtifacts[0]' })
  })

  it('completes as incomplete with the missing names, and turns complete when the last one arrives', async () => {
    await declare('run-1', { expectedArtifacts: expected })
    await commit('run-1', 'quality_metrics.json', 'session_summary.json')
    const closed = await complete('run-1')
    expect(closed.statusCode).toBe(200)
    expect(closed.json()).toMatchObject({ state: 'incomplete', missing: ['feedback.txt'] })
    // Three entries: the expectation (seq 1), the commit (2) and the close (3); the head is the last.
    expect((await t.app.inject('/v1/sessions/run-1')).json()).toMatchObject({ state: 'incomplete', missing: ['feedback.txt'], headSeq: 3, etag: '"3"', closedBy: 'writer' })

    await commit('run-1', 'feedback.txt')
    expect((await t.app.inject('/v1/sessions/run-1')).json()).toMatchObject({ state: 'complete', missing: [] })
  })

  it('completes as complete when nothing is missing', async () => {
    await declare('run-2', { expectedArtifacts: ['a.txt'] })
    await commit('run-2', 'a.txt')
    expect((await complete('run-2')).json()).toMatchObject({ state: 'complete', missing: [], completedAt: expect.any(String) })
  })

  it('re-derives a closed session when its expectations change', async () => {
    await commit('run-3', 'a.txt')
    expect((await complete('run-3')).json().state).toBe('complete')
    expect((await declare('run-3', { expectedArtifacts: ['a.txt', 'b.txt'] })).json()).toMatchObject({ state: 'incomplete', missing: ['b.txt'] })
  })

  it('answers 404 for completing or reading a session that does not exist', async () => {
    expect((await complete('ghost')).json().code).toBe('session_not_found')
    expect((await t.app.inject('/v1/sessions/ghost')).statusCode).toBe(404)
  })

  it('lists sessions by id with a cursor, filtered by state', async () => {
    for (const sid of ['s-a', 's-b', 's-c']) await commit(sid, 'x.txt')
    await declare('s-b', { expectedArtifacts: ['missing.txt'] })
    await complete('s-b')
    const first = (await t.app.inject('/v1/sessions?limit=2')).json()
    expect(first.sessions.map((s: { id: string }) => s.id)).toEqual(['s-a', 's-b'])
    const second = (await t.app.inject(`/v1/sessions?limit=2&cursor=${first.nextCursor}`)).json()
    expect(second.sessions.map((s: { id: string }) => s.id)).toEqual(['s-c'])
    expect(second.nextCursor).toBeNull()
    const incomplete = (await t.app.inject('/v1/sessions?state=incomplete')).json()
    expect(incomplete.sessions.map((s: { id: string }) => s.id)).toEqual(['s-b'])
  })

  it('shows incomplete sessions in /v1/status', async () => {
    await declare('run-1', { expectedArtifacts: expected })
    await commit('run-1', 'quality_metrics.json')
    await complete('run-1')
    const status = (await t.app.inject('/v1/status')).json()
    expect(status.sessions).toMatchObject({ total: 1, incomplete: 1, incompleteIds: ['run-1'] })
    expect(status.commits).toMatchObject({ committed: 1, total: 1 })
    expect(status.lastCommit).toMatchObject({ sessionId: 'run-1', seq: 2 })
  })
})
