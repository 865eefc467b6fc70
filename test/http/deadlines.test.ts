// Sessions that never finish: every session has a deadline, and the service closes it itself when its
// writer has not, so a writer that died or swallowed its error is still noticed.
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { makeDataDir, startLedger, type StartOptions, type TestLedger } from '../support/start-ledger.js'
import { parseExposition, sampleOf } from '../support/exposition.js'

const ledgers: TestLedger[] = []
afterEach(async () => {
  await Promise.all(ledgers.splice(0).map((t) => t.cleanup()))
})

async function start(options: StartOptions = {}): Promise<TestLedger> {
  const t = await startLedger(options)
  ledgers.push(t)
  return t
}

function inMs(ms: number): string {
  return new Date(Date.now() + ms).toISOString()
}

async function declare(t: TestLedger, sid: string, body: Record<string, unknown>) {
  return t.app.inject({ method: 'PUT', url: `/v1/sessions/${sid}`, payload: body })
}

async function commit(t: TestLedger, sid: string, ...names: string[]) {
  const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: names.map((name) => ({ name, text: name })) } })
  expect(res.statusCode, res.body).toBe(201)
}

/** Polls the log (a read that closes nothing itself) until the session's close entry is there. */
async function closeEntryOf(t: TestLedger, sid: string, withinMs: number): Promise<Record<string, unknown> | undefined> {
  const until = Date.now() + withinMs
  for (;;) {
    const entries = (await t.app.inject(`/v1/commits?session=${sid}&kind=close`)).json().commits as Record<string, unknown>[]
    if (entries.length > 0 || Date.now() > until) return entries[0]
    await sleep(25)
  }
}

describe('session deadlines', () => {
  it('closes a session whose writer never completes as incomplete, with what is missing, once its deadline passes', async () => {
    const t = await start({ settings: { deadlineCheckIntervalMs: 50 } })
    // Far enough ahead that the writes before it land in time on a loaded machine.
    const deadline = inMs(2000)
    expect((await declare(t, 'run-1', { expectedArtifacts: ['a.json', 'b.json', 'c.json', 'd.json'], deadline })).json()).toMatchObject({ state: 'open', deadline, closedBy: null })
    await commit(t, 'run-1', 'a.json', 'b.json')

    const entry = await closeEntryOf(t, 'run-1', 5000)
    expect(entry).toMatchObject({ kind: 'close', state: 'committed', close: { state: 'incomplete', closedBy: 'deadline', missing: ['c.json', 'd.json'], error: null } })
    // The service acted on its own, soon after the deadline (the timer runs every 50 ms here).
    expect(Date.parse(String(entry?.['createdAt']))).toBeGreaterThanOrEqual(Date.parse(deadline))
    expect(Date.parse(String(entry?.['createdAt'])) - Date.parse(deadline)).toBeLessThan(5000)

    const session = (await t.app.inject('/v1/sessions/run-1')).json()
    expect(session).toMatchObject({ state: 'incomplete', closedBy: 'deadline', missing: ['c.json', 'd.json'], completedAt: entry?.['createdAt'], headSeq: entry?.['seq'] })
    const status = (await t.app.inject('/v1/status')).json()
    expect(status.sessions).toMatchObject({ incomplete: 1, closedByDeadline: 1, open: 0, incompleteIds: ['run-1'] })
    const samples = parseExposition((await t.app.inject('/metrics')).body)
    expect(sampleOf(samples, 'artifact_ledger_incomplete_sessions')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_sessions_closed_by_deadline')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_session_closes_total{state="incomplete",by="deadline"}')).toBe(1)
  })

  it('closes a session as complete by its deadline when nothing expected is missing', async () => {
    const t = await start({ settings: { deadlineCheckIntervalMs: 50 } })
    await declare(t, 'run-2', { expectedArtifacts: ['a.json'], deadline: inMs(1500) })
    await commit(t, 'run-2', 'a.json')
    expect(await closeEntryOf(t, 'run-2', 5000)).toMatchObject({ close: { state: 'complete', closedBy: 'deadline', missing: [] } })
    expect((await t.app.inject('/v1/sessions/run-2')).json()).toMatchObject({ state: 'complete', closedBy: 'deadline' })
  })

  it('never shows a session open past its deadline, even between two runs of the timer', async () => {
    // No timer at all: only the reads themselves can close the session.
    const t = await start({ settings: { deadlineCheckIntervalMs: 0 } })
    await declare(t, 'run-3', { expectedArtifacts: ['x.txt'], deadline: inMs(1000) })
    expect((await t.app.inject('/v1/sessions/run-3')).json().state).toBe('open')
    await sleep(1100)
    expect((await t.app.inject('/v1/sessions?state=open')).json().sessions).toEqual([])
    expect((await t.app.inject('/v1/sessions/run-3')).json()).toMatchObject({ state: 'incomplete', closedBy: 'deadline', missing: ['x.txt'] })
    expect((await t.app.inject('/v1/status')).json().sessions).toMatchObject({ open: 0, incomplete: 1 })
  })

  it('closes at start-up the sessions whose deadline passed while the service was down', async () => {
    const dataDir = await makeDataDir()
    const first = await startLedger({ dataDir, settings: { deadlineCheckIntervalMs: 0 } })
    await declare(first, 'run-4', { expectedArtifacts: ['a.json', 'b.json'], deadline: inMs(1000) })
    await commit(first, 'run-4', 'a.json')
    await first.close()
    await sleep(1100)

    const second = await start({ dataDir, settings: { deadlineCheckIntervalMs: 0 } })
    // Listing the log closes nothing by itself: the entry is there because recovery wrote it.
    const entries = (await second.app.inject('/v1/commits?session=run-4&kind=close')).json().commits
    expect(entries).toMatchObject([{ close: { state: 'incomplete', closedBy: 'deadline', missing: ['b.json'] } }])
  })

  it('gives a session that names no deadline the default one, from its first write', async () => {
    const t = await start({ settings: { sessionDeadlineSeconds: 3600 } })
    const before = Date.now()
    await commit(t, 'run-5', 'a.txt')
    const { deadline } = (await t.app.inject('/v1/sessions/run-5')).json()
    expect(Date.parse(deadline) - before).toBeGreaterThanOrEqual(3600_000)
    expect(Date.parse(deadline) - before).toBeLessThan(3600_000 + 5000)
  })

  it('moves the deadline of an open session, and records the change in the log', async () => {
    const t = await start()
    await declare(t, 'run-6', { expectedArtifacts: ['a.txt'] })
    const later = new Date(Date.now() + 7 * 86_400_000).toISOString()
    const moved = await declare(t, 'run-6', { deadline: later })
    expect(moved.statusCode).toBe(200)
    expect(moved.json()).toMatchObject({ deadline: later, state: 'open' })
    const entries = (await t.app.inject('/v1/commits?session=run-6&kind=session')).json().commits
    expect(entries.at(-1)).toMatchObject({ kind: 'session', session: { created: false, deadline: later, metadata: null } })
  })

  it('refuses a deadline already past (422), one that is not RFC 3339 (400), and moving a closed session’s deadline (409)', async () => {
    const t = await start()
    const past = await declare(t, 'run-7', { deadline: '2020-01-01T00:00:00Z' })
    expect(past.statusCode).toBe(422)
    expect(past.json()).toMatchObject({ code: 'deadline_passed', field: 'deadline' })
    expect((await t.app.inject('/v1/sessions/run-7')).statusCode).toBe(404)
    const vague = await declare(t, 'run-7', { deadline: 'tomorrow' })
    expect(vague.statusCode).toBe(400)
    expect(vague.json().field).toBe('deadline')

    await commit(t, 'run-8', 'a.txt')
    await t.app.inject({ method: 'POST', url: '/v1/sessions/run-8/complete' })
    const closed = await declare(t, 'run-8', { deadline: inMs(3_600_000) })
    expect(closed.statusCode).toBe(409)
    expect(closed.json()).toMatchObject({ code: 'session_closed', state: 'complete' })
  })

  it('lets a late artifact complete a session its deadline closed as incomplete', async () => {
    const t = await start({ settings: { deadlineCheckIntervalMs: 50 } })
    await declare(t, 'run-9', { expectedArtifacts: ['a.json'], deadline: inMs(500) })
    await closeEntryOf(t, 'run-9', 5000)
    await commit(t, 'run-9', 'a.json')
    expect((await t.app.inject('/v1/sessions/run-9')).json()).toMatchObject({ state: 'complete', closedBy: 'deadline', missing: [] })
  })
})
