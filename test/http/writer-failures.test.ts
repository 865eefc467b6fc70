// A writer that fails says so: POST …/complete with {error} closes the session `failed` with that
// error, visible in the session, the log, status and metrics, instead of a silence.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseExposition, sampleOf } from '../support/exposition.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
beforeEach(async () => {
  t = await startLedger()
})
afterEach(async () => {
  await t.cleanup()
})

const boom = { type: 'ValueError', message: 'tokenizer blew up on chapter 3' }

function complete(sid: string, body?: unknown) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/complete`, ...(body === undefined ? {} : { payload: body as object }) })
}

async function commit(sid: string, ...names: string[]) {
  const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: names.map((name) => ({ name, text: name })) } })
  expect(res.statusCode, res.body).toBe(201)
}

describe('a writer reporting its failure', () => {
  it('closes the session failed with the reported error, in the session, the log, status and metrics', async () => {
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-1', payload: { expectedArtifacts: ['a.json', 'b.json'] } })
    await commit('run-1', 'a.json')
    const res = await complete('run-1', { error: boom })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ state: 'failed', closedBy: 'writer', error: boom, missing: ['b.json'], completedAt: expect.any(String) })

    const entries = (await t.app.inject('/v1/commits?session=run-1&kind=close')).json().commits
    expect(entries).toMatchObject([{ kind: 'close', state: 'committed', close: { state: 'failed', closedBy: 'writer', error: boom, missing: ['b.json'] } }])
    const status = (await t.app.inject('/v1/status')).json()
    expect(status.sessions).toMatchObject({ failed: 1, failedIds: ['run-1'], incomplete: 0 })
    const samples = parseExposition((await t.app.inject('/metrics')).body)
    expect(sampleOf(samples, 'artifact_ledger_failed_sessions')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_sessions{state="failed"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_session_closes_total{state="failed",by="writer"}')).toBe(1)
  })

  it('takes a report for a session nothing was written to yet, so even the earliest failure is on record', async () => {
    const res = await complete('never-wrote', { error: boom })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ id: 'never-wrote', state: 'failed', error: boom, artifacts: [] })
  })

  it('keeps a failed session failed: a later artifact or a plain complete changes nothing', async () => {
    await complete('run-2', { error: boom })
    const head = (await t.app.inject('/v1/sessions/run-2')).json().headSeq
    const again = await complete('run-2')
    expect(again.json()).toMatchObject({ state: 'failed', error: boom, headSeq: head })
    await commit('run-2', 'late.txt')
    expect((await t.app.inject('/v1/sessions/run-2')).json()).toMatchObject({ state: 'failed', error: boom })
  })

  it('turns a session already closed as incomplete into failed when its writer reports why', async () => {
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-3', payload: { expectedArtifacts: ['a.json'] } })
    expect((await complete('run-3')).json().state).toBe('incomplete')
    expect((await complete('run-3', { error: boom })).json()).toMatchObject({ state: 'failed', error: boom })
    expect((await t.app.inject('/v1/commits?session=run-3&kind=close')).json().commits.map((c: { close: { state: string } }) => c.close.state))
      .toEqual(['incomplete', 'failed'])
  })

  it('closes once: completing a closed session again writes no second entry', async () => {
    await commit('run-4', 'a.txt')
    const first = (await complete('run-4')).json()
    const second = (await complete('run-4')).json()
    expect(second).toMatchObject({ state: 'complete', headSeq: first.headSeq, completedAt: first.completedAt })
    expect((await t.app.inject('/v1/commits?session=run-4&kind=close')).json().commits).toHaveLength(1)
  })

  it('answers 404 for a plain complete of a session that does not exist, and 400 for a malformed report', async () => {
    expect((await complete('ghost')).json()).toMatchObject({ code: 'session_not_found' })
    const noType = await complete('run-5', { error: { message: 'x' } })
    expect(noType.statusCode).toBe(400)
    expect(noType.json()).toMatchObject({ code: 'validation_failed', field: 'error.type' })
    const extra = await complete('run-5', { error: boom, reason: 'x' })
    expect(extra.json()).toMatchObject({ code: 'validation_failed', field: 'reason' })
    expect((await t.app.inject('/v1/sessions/run-5')).statusCode).toBe(404)
  })
})
