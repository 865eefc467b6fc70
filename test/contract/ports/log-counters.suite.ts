// The counters status and metrics read (commits by state, sessions by state and closed by deadline,
// objects and bytes): every log adapter keeps them equal to what a walk of the log counts, whatever
// writes, fails, aborts, closes, prunes, rolls back or reopens.
import { describe, expect, it } from 'vitest'
import { COMMIT_STATES } from '../../../src/domain/commit-state.js'
import { countsFor, tally } from '../../../src/domain/counts.js'
import { PreconditionFailed } from '../../../src/domain/errors.js'
import type { PlannedArtifact } from '../../../src/domain/ports.js'
import { CANARY_SESSION_ID, SESSION_STATES } from '../../../src/domain/session.js'
import { sha256 } from '../../support/factories.js'
import { eachFixture } from './fixture.js'
import type { LogFixture } from './log.suite.js'

const DEADLINE = '2999-01-01T00:00:00.000Z'
const PAST = '2000-01-01T00:00:00.000Z'
let ids = 0
const nextId = (): string => `01900000-0000-7000-9000-${String(++ids).padStart(12, '0')}`
const options = { newSessionDeadline: DEADLINE }
const ALL = 1_000_000

function planned(name: string, text: string): PlannedArtifact {
  return { name, sha256: sha256(text), size: Buffer.byteLength(text), mediaType: 'text/plain' }
}

/** A small deterministic generator, so a failing run can be replayed. */
function numbers(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

export function logCountersContract(adapter: string, open: () => Promise<LogFixture>): void {
  describe(`log counters contract: ${adapter}`, () => {
    let fixture: LogFixture
    const fixtures = eachFixture(open, (opened) => {
      fixture = opened
    })

    const pending = (sessionId: string, artifacts: PlannedArtifact[]): Promise<number> =>
      fixture.log.insertPending({ id: nextId(), sessionId, message: null, metadata: null, artifacts, newSessionDeadline: DEADLINE })
    async function commit(sessionId: string, files: Record<string, string>): Promise<number> {
      const seq = await pending(sessionId, Object.entries(files).map(([name, text]) => planned(name, text)))
      await fixture.log.markCommitted(seq)
      return seq
    }
    const ended = (sessionId: string, state: 'failed' | 'aborted', id = nextId()) => fixture.log.recordEnded({
      id, sessionId, state, error: { code: state === 'failed' ? 'invalid_name' : 'client_timeout', detail: 'x' }, artifacts: [], newSessionDeadline: DEADLINE,
    })
    const close = (sessionId: string, error?: { type: string; message: string }) =>
      fixture.sessions.withTransaction((tx) => tx.closeSession(sessionId, { by: 'writer', ...(error === undefined ? {} : { error }) }, options))

    /** What the adapter's counters say. */
    async function counted() {
      const { log, sessions, bookkeeping } = fixture
      return { commits: await log.commitCounts(), sessions: await sessions.sessionCounts(), objects: await bookkeeping.objectTotals() }
    }

    /** The same, counted by walking the log through the port: the counters must always agree with it. */
    async function recounted(): Promise<Awaited<ReturnType<typeof counted>>> {
      const { log, sessions } = fixture
      const entries = await log.listCommits({ excludeSessionId: CANARY_SESSION_ID, limit: ALL })
      const rows = await sessions.listSessions({ exclude: CANARY_SESSION_ID, limit: ALL })
      const objects = await log.referencedObjects()
      return {
        commits: countsFor(COMMIT_STATES, tally(entries.filter((e) => e.kind === 'artifacts').map((e) => e.state))),
        sessions: {
          ...countsFor(SESSION_STATES, tally(rows.map((s) => s.state))),
          total: rows.length,
          closedByDeadline: rows.filter((s) => s.closedBy === 'deadline').length,
        },
        objects: { count: objects.length, bytes: objects.reduce((sum, o) => sum + o.size, 0) },
      }
    }

    async function expectCountersMatchTheLog(): Promise<Awaited<ReturnType<typeof counted>>> {
      const counters = await counted()
      expect(counters).toEqual(await recounted())
      return counters
    }

    it('counts commits of bytes by state as they are appended, committed, failed, aborted and recorded ended', async () => {
      const { log } = fixture
      expect(await log.commitCounts()).toEqual({ pending: 0, committed: 0, failed: 0, aborted: 0 })
      const first = await pending('s1', [planned('a.txt', 'a')])
      expect((await expectCountersMatchTheLog()).commits).toEqual({ pending: 1, committed: 0, failed: 0, aborted: 0 })
      await log.markCommitted(first)
      const failed = await pending('s1', [planned('b.txt', 'b')])
      await log.markFailed(failed, { code: 'storage_fault', detail: 'x' }, false)
      await log.markFailed(failed, { code: 'storage_fault', detail: 'again' }, false)
      const aborted = await pending('s2', [planned('c.txt', 'c')])
      await log.markAborted(aborted, { code: 'service_restarted', detail: 'x' })
      await log.markSettled(aborted)
      const refused = nextId()
      await ended('s3', 'failed', refused)
      await ended('s3', 'failed', refused)
      await ended('s3', 'aborted')
      await pending('s2', [planned('d.txt', 'd')])
      expect((await expectCountersMatchTheLog()).commits).toEqual({ pending: 1, committed: 1, failed: 2, aborted: 2 })
    })

    it('leaves out the canary\'s commits and the entries that change a session without bytes', async () => {
      await commit('s1', { 'a.txt': 'a' })
      const before = await counted()
      await commit(CANARY_SESSION_ID, { 'canary.json': '1' })
      const canaryFailed = await pending(CANARY_SESSION_ID, [planned('canary.json', '2')])
      await fixture.log.markFailed(canaryFailed, { code: 'storage_fault', detail: 'x' }, true)
      await fixture.sessions.withTransaction((tx) => tx.changeExpected('s1', { add: ['z'], remove: [] }, options))
      await close('s1')
      const after = await expectCountersMatchTheLog()
      expect(after.commits).toEqual(before.commits)
      expect(after.sessions.total).toBe(1)
      // The canary's objects are objects like any other: they take room on the disk.
      expect(after.objects.count).toBe(before.objects.count + 1)
    })

    it('counts sessions by state and closed by deadline as they are created, closed, completed late, failed and timed out', async () => {
      const { sessions } = fixture
      await sessions.withTransaction((tx) => tx.updateSession('late', { expectedArtifacts: ['a.txt'] }, options))
      await close('late')
      await commit('open', { 'a.txt': '1' })
      await close('broken', { type: 'E', message: 'm' })
      await close('broken', { type: 'E', message: 'again' })
      for (const id of ['due1', 'due2']) await sessions.withTransaction((tx) => tx.updateSession(id, { expectedArtifacts: ['x'] }, { newSessionDeadline: PAST }))
      await sessions.withTransaction((tx) => tx.updateSession(CANARY_SESSION_ID, {}, { newSessionDeadline: null }))
      expect((await expectCountersMatchTheLog()).sessions).toEqual({ total: 5, open: 3, complete: 0, incomplete: 1, failed: 1, deleted: 0, closedByDeadline: 0 })
      await commit('late', { 'a.txt': 'late' })
      expect(await sessions.closeDueSessions('2026-01-01T00:00:00.000Z', 10)).toHaveLength(2)
      // A later instant than broken's close, so "most recent first" has one answer.
      await new Promise((resolve) => setTimeout(resolve, 5))
      await close('due1', { type: 'E', message: 'reported after the deadline' })
      // Reported by its writer after the deadline closed it: failed, and closed by the writer now.
      expect((await expectCountersMatchTheLog()).sessions).toEqual({ total: 5, open: 1, complete: 1, incomplete: 1, failed: 2, deleted: 0, closedByDeadline: 1 })
      expect(await sessions.recentSessionIds('failed', 10)).toEqual(['due1', 'broken'])
      expect(await sessions.recentSessionIds('incomplete', 10)).toEqual(['due2'])
    })

    it('counts each object once with its bytes, and takes away the ones garbage collection takes', async () => {
      await commit('s1', { 'a.txt': 'abc', 'b.txt': 'abc' })
      await commit('s2', { 'c.txt': 'abc', 'd.txt': 'defgh' })
      expect((await expectCountersMatchTheLog()).objects).toEqual({ count: 2, bytes: 8 })
      await commit('s3', { 'e.txt': 'only-once' })
      await commit('s3', { 'e.txt': 'kept' })
      await fixture.sessions.withTransaction((tx) => tx.expireVersions('s3', { retention: { keepVersions: 1 }, versions: [{ name: 'e.txt', version: 1 }] }))
      const cutoff = new Date(Date.now() + 60_000).toISOString()
      const { objects } = await fixture.bookkeeping.collectableObjects(cutoff, null, 100)
      await fixture.bookkeeping.takeCollectable(objects, cutoff)
      expect((await expectCountersMatchTheLog()).objects).toEqual({ count: 3, bytes: 12 })
    })

    it('leaves the counters as they were when a unit of work throws', async () => {
      await commit('s1', { 'a.txt': 'a' })
      const before = await counted()
      const refused = fixture.sessions.withTransaction(async (tx) => {
        await tx.updateSession('s2', { expectedArtifacts: ['x'] }, options)
        await tx.closeSession('s1', { by: 'writer', error: { type: 'E', message: 'm' } }, options)
        throw new PreconditionFailed('refused')
      })
      await expect(refused).rejects.toBeInstanceOf(PreconditionFailed)
      expect(await expectCountersMatchTheLog()).toEqual(before)
    })

    it('stays equal to a count of the log through a long mixed run of writes, failures, aborts and closes', async () => {
      const random = numbers(14)
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
      const sessionIds = ['r1', 'r2', 'r3', 'r4', 'r5', CANARY_SESSION_ID]
      const open: number[] = []
      for (let step = 0; step < 150; step++) {
        const sid = pick(sessionIds)
        const roll = random()
        if (roll < 0.3) open.push(await pending(sid, [planned(`n${step % 7}.txt`, `v${step % 11}`)]))
        else if (roll < 0.55 && open.length > 0) await fixture.log.markCommitted(open.shift() as number)
        else if (roll < 0.65 && open.length > 0) await fixture.log.markFailed(open.shift() as number, { code: 'storage_fault', detail: 'x' }, random() < 0.5)
        else if (roll < 0.72 && open.length > 0) await fixture.log.markAborted(open.shift() as number, { code: 'client_disconnected', detail: 'x' })
        else if (roll < 0.78) await ended(sid, pick(['failed', 'aborted'] as const))
        else if (roll < 0.86) await fixture.sessions.withTransaction((tx) => tx.changeExpected(sid, { add: [`n${step % 7}.txt`], remove: [] }, options))
        else if (roll < 0.94) await close(sid, random() < 0.3 ? { type: 'E', message: `${step}` } : undefined)
        else await fixture.sessions.withTransaction((tx) => tx.updateSession(`due-${step}`, {}, { newSessionDeadline: PAST }))
        if (step % 25 === 0) await fixture.sessions.closeDueSessions(new Date().toISOString(), 3)
      }
      const counters = await expectCountersMatchTheLog()
      expect(counters.commits.committed).toBeGreaterThan(0)
      expect(counters.sessions.total).toBeGreaterThan(5)
    })

    it('keeps the counters, the last commit and the last failure across a reopen', async () => {
      if (fixture.reopen === undefined) return
      const last = await commit('s1', { 'a.txt': 'a' })
      const failed = await pending('s1', [planned('b.txt', 'b')])
      await fixture.log.markFailed(failed, { code: 'storage_fault', detail: 'x' }, true)
      await close('s1', { type: 'E', message: 'm' })
      await pending('s2', [planned('c.txt', 'c')])
      const before = await expectCountersMatchTheLog()
      fixtures.replace(await fixture.reopen())
      expect(await expectCountersMatchTheLog()).toEqual(before)
      expect(before.commits).toEqual({ pending: 1, committed: 1, failed: 1, aborted: 0 })
      expect((await fixture.log.lastCommit())?.seq).toBe(last)
      expect((await fixture.log.lastFailure())?.seq).toBe(failed)
      expect(await fixture.sessions.recentSessionIds('failed', 10)).toEqual(['s1'])
    })
  })
}
