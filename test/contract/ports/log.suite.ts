// The contract every log adapter (CommitLog, SessionStore, StorageBookkeeping over one log) passes before
// anything else runs on it: entries, versions, units of work, ordering, and what survives a reopen.
import { describe, expect, it } from 'vitest'
import { PreconditionFailed } from '../../../src/domain/errors.js'
import { CANARY_SESSION_ID } from '../../../src/domain/session.js'
import { headEtag } from '../../../src/domain/model.js'
import type { CommitLog, IdempotencyClaim, MarkCommittedOptions, PlannedArtifact, SessionStore, StorageBookkeeping } from '../../../src/domain/ports.js'
import { sha256 } from '../../support/factories.js'
import { eachFixture } from './fixture.js'

export interface LogFixture {
  log: CommitLog
  sessions: SessionStore
  bookkeeping: StorageBookkeeping
  /** Closes the log and opens it again from what it made durable; absent for a log that keeps nothing. */
  reopen?: () => Promise<LogFixture>
  close(): Promise<void>
}

const DEADLINE = '2999-01-01T00:00:00.000Z'
let ids = 0
const nextId = (): string => `01900000-0000-7000-8000-${String(++ids).padStart(12, '0')}`

function planned(name: string, text: string): PlannedArtifact {
  return { name, sha256: sha256(text), size: Buffer.byteLength(text), mediaType: 'text/plain' }
}

export function logContract(adapter: string, open: () => Promise<LogFixture>): void {
  describe(`log contract: ${adapter}`, () => {
    let fixture: LogFixture
    let log: CommitLog
    let sessions: SessionStore
    let bookkeeping: StorageBookkeeping
    const fixtures = eachFixture(open, (opened) => {
      fixture = opened
      ;({ log, sessions, bookkeeping } = opened)
    })

    const pending = (sessionId: string, artifacts: PlannedArtifact[], id = nextId(), idempotency?: IdempotencyClaim): Promise<number> =>
      log.insertPending({ id, sessionId, message: null, metadata: null, artifacts, newSessionDeadline: DEADLINE, ...(idempotency === undefined ? {} : { idempotency }) })
    /** A pending entry (taking `idempotency`'s key) committed with the rest of `options`. */
    async function commit(sessionId: string, files: Record<string, string>, options: MarkCommittedOptions & { idempotency?: IdempotencyClaim } = {}): Promise<number> {
      const { idempotency, ...rest } = options
      const seq = await pending(sessionId, Object.entries(files).map(([name, text]) => planned(name, text)), nextId(), idempotency)
      await log.markCommitted(seq, rest)
      return seq
    }

    describe('entries', () => {
      it('appends a pending entry with its artifacts, creating its session, and commits it with versions', async () => {
        const seq = await pending('s1', [planned('a.txt', 'one')])
        expect(await log.commitBySeq(seq)).toMatchObject({
          seq, sessionId: 's1', kind: 'artifacts', state: 'pending', finishedAt: null, error: null,
          artifacts: [{ name: 'a.txt', version: null, sha256: sha256('one'), size: 3, mediaType: 'text/plain' }],
        })
        expect(await sessions.session('s1')).toMatchObject({ id: 's1', state: 'open', headSeq: 0, deadline: DEADLINE })
        expect(await log.isObjectReferenced(sha256('one'))).toBe(false)

        await log.markCommitted(seq)
        const record = await log.commitById((await log.commitBySeq(seq))?.id ?? '')
        expect(record).toMatchObject({ state: 'committed', artifacts: [{ name: 'a.txt', version: 1 }] })
        expect(record?.finishedAt).not.toBeNull()
        expect(record?.transitions.map((t) => [t.from, t.to])).toEqual([[null, 'pending'], ['pending', 'committed']])
        expect(await log.headSeq('s1')).toBe(seq)
        expect(await log.sessionExists('s1')).toBe(true)
        expect(await log.isObjectReferenced(sha256('one'))).toBe(true)
      })

      it('hands out seqs in the order entries are appended, concurrent ones included, and lists them in that order', async () => {
        const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => pending(`s${i % 3}`, [planned(`n${i}`, `v${i}`)])))
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
        expect(new Set(seqs).size).toBe(20)
        await Promise.all(seqs.map((seq) => log.markCommitted(seq)))
        const listed = await log.listCommits({ limit: 100 })
        expect(listed.map((c) => c.seq)).toEqual(seqs)
      })

      it('numbers the versions of a name 1, 2, 3 and keeps the latest, also as of any earlier seq', async () => {
        const first = await commit('s1', { 'a.txt': 'a1', 'b.txt': 'b1' })
        await commit('s1', { 'a.txt': 'a2' })
        await commit('s1', { 'a.txt': 'a3' })
        expect((await log.versionHistory('s1', 'a.txt')).map((v) => [v.version, v.sha256])).toEqual([[1, sha256('a1')], [2, sha256('a2')], [3, sha256('a3')]])
        expect((await log.latestVersions('s1')).map((v) => [v.name, v.version])).toEqual([['a.txt', 3], ['b.txt', 1]])
        expect((await log.latestVersions('s1', first)).map((v) => [v.name, v.version])).toEqual([['a.txt', 1], ['b.txt', 1]])
        expect(await log.latestVersion('s1', 'a.txt', first)).toMatchObject({ version: 1, seq: first })
        expect(await log.version('s1', 'a.txt', 2)).toMatchObject({ version: 2, sha256: sha256('a2'), size: 2, mediaType: 'text/plain' })
        expect(await log.version('s1', 'a.txt', 4)).toBeUndefined()
        expect(await log.latestVersion('s1', 'nothing.txt')).toBeUndefined()
      })

      it('finds a name that would be a folder of another, in either direction', async () => {
        await commit('s1', { 'a/b.txt': 'x' })
        expect(await log.findNameConflict('s1', ['a'])).toEqual({ name: 'a', existing: 'a/b.txt' })
        expect(await log.findNameConflict('s1', ['a/b.txt/c'])).toEqual({ name: 'a/b.txt/c', existing: 'a/b.txt' })
        expect(await log.findNameConflict('s1', ['a/c.txt', 'ab', 'a/b.txt'])).toBeUndefined()
        expect(await log.findNameConflict('s2', ['a'])).toBeUndefined()
      })

      it('keeps the idempotency key its pending entry took, and stores the expected names a commit declares in its own transaction', async () => {
        await sessions.withTransaction((tx) => tx.changeExpected('s1', { add: ['a.txt'], remove: [] }, { newSessionDeadline: DEADLINE }))
        const seq = await commit('s1', { 'a.txt': 'x' }, { idempotency: { key: 'k1', fingerprint: 'f1' }, expect: ['a.txt', 'b.txt', 'b.txt'] })
        expect(await log.idempotencyKey('s1', 'k1')).toEqual({ fingerprint: 'f1', commitSeq: seq, state: 'committed' })
        expect(await log.idempotencyKey('s2', 'k1')).toBeUndefined()
        expect((await log.commitBySeq(seq))?.expect).toEqual({ add: ['b.txt'], remove: [] })
        expect((await sessions.session('s1'))?.expectedArtifacts).toEqual(['a.txt', 'b.txt'])
        const plain = await commit('s1', { 'c.txt': 'y' }, { expect: ['a.txt'] })
        expect((await log.commitBySeq(plain))?.expect).toBeNull()
      })

      it('refuses to commit an entry that is not pending', async () => {
        const seq = await pending('s1', [planned('a.txt', 'x')])
        await log.markFailed(seq, { code: 'storage_fault', detail: 'fsync failed' }, true)
        await expect(log.markCommitted(seq)).rejects.toThrow()
        expect((await log.commitBySeq(seq))?.state).toBe('failed')
      })

      it('refuses, as PreconditionFailed, to commit against a session head that has moved', async () => {
        const first = await commit('s1', { 'a.txt': 'x' })
        const raced = await pending('s1', [planned('b.txt', 'y')])
        const winner = await pending('s1', [planned('c.txt', 'z')])
        await log.markCommitted(winner, { sessionHead: first })
        await expect(log.markCommitted(raced, { sessionHead: first })).rejects.toMatchObject({ code: 'precondition_failed', facts: { currentEtag: headEtag(winner) } })
        expect((await log.commitBySeq(raced))?.state).toBe('pending')
        expect(await log.headSeq('s1')).toBe(winner)
        expect(await log.latestVersion('s1', 'b.txt')).toBeUndefined()
      })

      it('ends a pending entry failed or aborted once, and keeps it unsettled until told otherwise', async () => {
        const failed = await pending('s1', [planned('a.txt', 'x')])
        const aborted = await pending('s1', [planned('b.txt', 'y')])
        expect((await log.pendingCommits()).map((p) => [p.seq, p.sessionId])).toEqual([[failed, 's1'], [aborted, 's1']])
        await log.markFailed(failed, { code: 'storage_fault', detail: 'fsync failed', facts: { errno: 'EIO' } }, false)
        await log.markFailed(failed, { code: 'other', detail: 'again' }, true)
        await log.markAborted(aborted, { code: 'service_restarted', detail: 'gone' })
        const record = await log.commitById((await log.commitBySeq(failed))?.id ?? '')
        expect(record).toMatchObject({ state: 'failed', error: { code: 'storage_fault', detail: 'fsync failed', facts: { errno: 'EIO' } } })
        expect(record?.transitions.at(-1)).toMatchObject({ from: 'pending', to: 'failed', reason: 'storage_fault: fsync failed' })
        expect(record?.transitions).toHaveLength(2)
        expect((await log.commitBySeq(aborted))).toMatchObject({ state: 'aborted', error: { code: 'service_restarted' } })
        expect(await log.pendingCommits()).toEqual([])
        expect((await log.unsettledCommits()).map((u) => [u.seq, u.state, u.artifacts])).toEqual([
          [failed, 'failed', [{ name: 'a.txt', sha256: sha256('x') }]],
          [aborted, 'aborted', [{ name: 'b.txt', sha256: sha256('y') }]],
        ])
        await log.markSettled(failed)
        expect((await log.unsettledCommits()).map((u) => u.seq)).toEqual([aborted])
      })

      it('records an attempt that ended before its pending row once, however often it is recorded', async () => {
        const attempt = {
          id: nextId(), sessionId: 'fresh', state: 'aborted' as const, error: { code: 'client_timeout', detail: 'stalled' },
          artifacts: [], newSessionDeadline: DEADLINE,
        }
        await log.recordEnded(attempt)
        await log.recordEnded(attempt)
        const entries = await log.listCommits({ sessionId: 'fresh', limit: 10 })
        expect(entries).toEqual([expect.objectContaining({ id: attempt.id, state: 'aborted', error: { code: 'client_timeout', detail: 'stalled' } })])
        expect(await log.unsettledCommits()).toEqual([])
        expect(await sessions.session('fresh')).toMatchObject({ deadline: DEADLINE })
      })

      it('filters and pages the entries by session, state, kind, time and seq', async () => {
        const a = await commit('s1', { 'a.txt': '1' })
        const b = await commit('s2', { 'a.txt': '2' })
        const failed = await pending('s1', [planned('c.txt', '3')])
        await log.markFailed(failed, { code: 'storage_fault', detail: 'x' }, true)
        await sessions.withTransaction((tx) => tx.changeExpected('s2', { add: ['z'], remove: [] }, { newSessionDeadline: DEADLINE }))
        const all = await log.listCommits({ limit: 100 })
        expect(all.map((c) => c.seq).slice(0, 3)).toEqual([a, b, failed])
        expect((await log.listCommits({ sessionId: 's1', limit: 100 })).map((c) => c.seq)).toEqual([a, failed])
        expect((await log.listCommits({ excludeSessionId: 's1', limit: 100 })).every((c) => c.sessionId === 's2')).toBe(true)
        expect((await log.listCommits({ state: 'failed', limit: 100 })).map((c) => c.seq)).toEqual([failed])
        expect((await log.listCommits({ kind: 'expect', limit: 100 })).map((c) => c.sessionId)).toEqual(['s2'])
        expect((await log.listCommits({ afterSeq: a, limit: 1 })).map((c) => c.seq)).toEqual([b])
        expect(await log.listCommits({ since: '2999-01-01T00:00:00.000Z', limit: 100 })).toEqual([])
        expect((await log.listCommits({ since: '2000-01-01T00:00:00.000Z', limit: 100 })).length).toBe(all.length)
        expect(await log.lastSeq()).toBe(all.at(-1)?.seq)
      })

      it('counts commits of bytes by state and finds the last commit and failure, leaving out the canary', async () => {
        await commit('s1', { 'a.txt': '1' })
        const last = await commit('s1', { 'b.txt': '2' })
        await commit(CANARY_SESSION_ID, { 'c.txt': '3' })
        const failed = await pending('s1', [planned('d.txt', '4')])
        await log.markFailed(failed, { code: 'storage_fault', detail: 'x' }, true)
        await sessions.withTransaction((tx) => tx.changeExpected('s1', { add: ['z'], remove: [] }, { newSessionDeadline: DEADLINE }))
        expect(await log.commitCounts()).toEqual({ pending: 0, committed: 2, failed: 1, aborted: 0 })
        expect((await log.lastCommit())?.seq).toBe(last)
        expect((await log.lastFailure())?.seq).toBe(failed)
      })

      it('lists the objects committed versions refer to, and the latest version of every name', async () => {
        await commit('s1', { 'a.txt': 'x', 'b.txt': 'x' })
        await commit('s1', { 'a.txt': 'y' })
        await commit('s2', { 'c.txt': 'z' })
        const uncommitted = await pending('s2', [planned('d.txt', 'never')])
        expect(uncommitted).toBeGreaterThan(0)
        expect((await log.referencedObjects()).map((o) => o.sha256).sort()).toEqual([sha256('x'), sha256('y'), sha256('z')].sort())
        expect((await log.referencedObjects('s2'))).toEqual([{ sha256: sha256('z'), size: 1 }])
        expect(await log.latestForVerify('s1')).toEqual([
          { sessionId: 's1', name: 'a.txt', sha256: sha256('y') }, { sessionId: 's1', name: 'b.txt', sha256: sha256('x') },
        ])
        expect((await log.latestForVerify()).map((l) => `${l.sessionId}/${l.name}`)).toEqual(['s1/a.txt', 's1/b.txt', 's2/c.txt'])
      })
    })

    describe('sessions', () => {
      const options = { newSessionDeadline: DEADLINE }

      it('creates a session in a unit of work with one entry, and writes no entry when nothing changes', async () => {
        const update = { expectedArtifacts: ['a.txt', 'b.txt'], metadata: { run: 1 } }
        const first = await sessions.withTransaction((tx) => tx.updateSession('s1', update, options))
        expect(first).toMatchObject({ created: true, row: { id: 's1', state: 'open', expectedArtifacts: ['a.txt', 'b.txt'], metadata: { run: 1 }, deadline: DEADLINE } })
        const again = await sessions.withTransaction((tx) => tx.updateSession('s1', update, options))
        expect(again.created).toBe(false)
        const entries = await log.listCommits({ sessionId: 's1', limit: 10 })
        expect(entries).toEqual([expect.objectContaining({ kind: 'expect', state: 'committed', expect: { add: ['a.txt', 'b.txt'], remove: [] } })])
        expect(entries[0]?.session).toMatchObject({ created: true, deadline: DEADLINE, metadata: { run: 1 } })
        expect(await log.headSeq('s1')).toBe(entries[0]?.seq)
      })

      it('keeps nothing of a unit of work that throws, and passes its error on', async () => {
        const refused = sessions.withTransaction(async (tx) => {
          await tx.updateSession('s1', { metadata: { half: true } }, options)
          expect((await tx.session('s1'))?.metadata).toEqual({ half: true })
          throw new PreconditionFailed('changed meanwhile')
        })
        await expect(refused).rejects.toBeInstanceOf(PreconditionFailed)
        expect(await sessions.session('s1')).toBeUndefined()
        expect(await log.listCommits({ limit: 10 })).toEqual([])
      })

      it('makes another caller\'s write wait for a unit of work, so its rollback takes nothing of theirs', async () => {
        let other: Promise<void> | undefined
        const attempt = { id: nextId(), sessionId: 's2', state: 'failed' as const, error: { code: 'invalid_name', detail: 'x' }, artifacts: [], newSessionDeadline: DEADLINE }
        const refused = sessions.withTransaction(async (tx) => {
          await tx.updateSession('s1', { metadata: { half: true } }, options)
          other = log.recordEnded(attempt)
          throw new PreconditionFailed('refused')
        })
        await expect(refused).rejects.toBeInstanceOf(PreconditionFailed)
        await other
        expect(await log.commitById(attempt.id)).toMatchObject({ state: 'failed' })
        expect(await sessions.session('s1')).toBeUndefined()
      })

      it('never loses a name when many units of work change the expected set at once', async () => {
        await Promise.all(Array.from({ length: 25 }, (_, i) =>
          sessions.withTransaction((tx) => tx.changeExpected('s1', { add: [`n${i}`], remove: [] }, options))))
        expect((await sessions.session('s1'))?.expectedArtifacts.sort()).toEqual(Array.from({ length: 25 }, (_, i) => `n${i}`).sort())
        const removed = await sessions.withTransaction((tx) => tx.changeExpected('s1', { add: [], remove: ['n0', 'absent'] }, options))
        expect(removed.expectedArtifacts).not.toContain('n0')
        expect((await log.listCommits({ sessionId: 's1', kind: 'expect', limit: 100 })).at(-1)?.expect).toEqual({ add: [], remove: ['n0'] })
      })

      it('closes a session complete, incomplete or failed, once, with a close entry; a late artifact completes it', async () => {
        await sessions.withTransaction((tx) => tx.updateSession('s1', { expectedArtifacts: ['a.txt'] }, options))
        const closed = await sessions.withTransaction((tx) => tx.closeSession('s1', { by: 'writer' }, options))
        expect(closed).toMatchObject({ closed: true, row: { state: 'incomplete', closedBy: 'writer' } })
        expect(closed.row.completedAt).not.toBeNull()
        expect((await log.listCommits({ sessionId: 's1', kind: 'close', limit: 10 }))[0]?.close).toEqual({ state: 'incomplete', closedBy: 'writer', missing: ['a.txt'], error: null })
        expect((await sessions.withTransaction((tx) => tx.closeSession('s1', { by: 'writer' }, options))).closed).toBe(false)
        await commit('s1', { 'a.txt': 'late' })
        expect((await sessions.session('s1'))?.state).toBe('complete')

        const error = { type: 'RuntimeError', message: 'CUDA out of memory' }
        const failed = await sessions.withTransaction((tx) => tx.closeSession('s2', { by: 'writer', error }, options))
        expect(failed).toMatchObject({ closed: true, row: { state: 'failed', error } })
      })

      it('closes the sessions whose deadline has passed, in batches, by deadline', async () => {
        for (const [id, deadline] of [['past1', '2000-01-01T00:00:00.000Z'], ['past2', '2000-01-02T00:00:00.000Z'], ['future', DEADLINE]] as const) {
          await sessions.withTransaction((tx) => tx.updateSession(id, {}, { newSessionDeadline: deadline }))
        }
        const now = '2026-01-01T00:00:00.000Z'
        expect((await sessions.closeDueSessions(now, 1)).map((s) => s.id)).toEqual(['past1'])
        expect((await sessions.closeDueSessions(now, 10)).map((s) => [s.id, s.state, s.closedBy])).toEqual([['past2', 'complete', 'deadline']])
        expect(await sessions.closeDueSessions(now, 10)).toEqual([])
        expect(await sessions.sessionCounts()).toMatchObject({ total: 3, open: 1, complete: 2, closedByDeadline: 2 })
      })

      it('lists sessions by id, page by page and by state, and the most recently changed ones', async () => {
        for (const id of ['c', 'a', 'b', CANARY_SESSION_ID]) await sessions.withTransaction((tx) => tx.updateSession(id, {}, options))
        await sessions.withTransaction((tx) => tx.closeSession('b', { by: 'writer', error: { type: 'E', message: 'm' } }, options))
        expect((await sessions.listSessions({ limit: 2, exclude: CANARY_SESSION_ID })).map((s) => s.id)).toEqual(['a', 'b'])
        expect((await sessions.listSessions({ limit: 10, afterId: 'a', exclude: CANARY_SESSION_ID })).map((s) => s.id)).toEqual(['b', 'c'])
        expect((await sessions.listSessions({ limit: 10, state: 'failed', exclude: CANARY_SESSION_ID })).map((s) => s.id)).toEqual(['b'])
        expect(await sessions.recentSessionIds('failed', 10)).toEqual(['b'])
        expect(await sessions.sessionCounts()).toMatchObject({ total: 3, open: 2, failed: 1, complete: 0, incomplete: 0, closedByDeadline: 0 })
      })
    })

    describe('bookkeeping', () => {
      it('keeps the plain view\'s checkpoint: none until one is set, then the last one set', async () => {
        expect(await bookkeeping.plainViewCheckpoint()).toBeUndefined()
        await bookkeeping.setPlainViewCheckpoint(0)
        expect(await bookkeeping.plainViewCheckpoint()).toBe(0)
        await bookkeeping.setPlainViewCheckpoint(42)
        await bookkeeping.setPlainViewCheckpoint(17)
        expect(await bookkeeping.plainViewCheckpoint()).toBe(17)
      })

      it('keeps the state of every committed object and their totals', async () => {
        await commit('s1', { 'a.txt': 'abc', 'b.txt': 'abc' })
        await commit('s1', { 'c.txt': 'defgh' })
        expect(await bookkeeping.objectState(sha256('abc'))).toBe('ok')
        expect(await bookkeeping.objectState(sha256('never'))).toBeUndefined()
        await bookkeeping.setObjectState(sha256('abc'), 'corrupt')
        expect(await bookkeeping.objectState(sha256('abc'))).toBe('corrupt')
        expect(await bookkeeping.objectTotals()).toEqual({ count: 2, bytes: 8 })
        expect(await bookkeeping.databaseBytes()).toBeGreaterThanOrEqual(0)
      })

      it('keeps the last scrub', async () => {
        expect(await bookkeeping.lastScrub()).toBeUndefined()
        const scrub = {
          startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', ok: true,
          checkedObjects: 3, checkedPlainFiles: 3, bytes: 9, missing: 0, corrupt: 0, orphaned: 0, repaired: 0,
        }
        await bookkeeping.recordScrub({ ...scrub, ok: false })
        await bookkeeping.recordScrub(scrub)
        expect(await bookkeeping.lastScrub()).toEqual(scrub)
      })
    })

    describe('removals', () => {
      const by = { by: 'ops', target: 'artifact' as const, name: 'a.txt' }

      it('deletes every version of a name in one entry: marked in the history, gone from the latest, unsettled until settled', async () => {
        const first = await commit('s1', { 'a.txt': 'a1', 'b.txt': 'b1' })
        await commit('s1', { 'a.txt': 'a2' })
        const seq = await sessions.withTransaction((tx) => tx.deleteArtifact('s1', 'a.txt', by))
        expect(await log.commitBySeq(seq)).toMatchObject({ kind: 'delete', state: 'committed', artifacts: [], delete: { ...by, removedVersions: 2 } })
        expect(await log.headSeq('s1')).toBe(seq)
        expect((await log.latestVersions('s1')).map((v) => v.name)).toEqual(['b.txt'])
        expect(await log.latestVersion('s1', 'a.txt')).toBeUndefined()
        expect((await log.versionHistory('s1', 'a.txt')).map((v) => [v.version, v.removed?.kind, v.removed?.seq])).toEqual([[1, 'delete', seq], [2, 'delete', seq]])
        expect((await log.version('s1', 'a.txt', 1))?.removed).toMatchObject({ seq, kind: 'delete' })
        // A snapshot from before the delete still holds the name, marked as removed since.
        expect((await log.latestVersions('s1', first)).map((v) => [v.name, v.removed?.seq ?? null])).toEqual([['a.txt', seq], ['b.txt', null]])
        expect((await log.latestVersions('s1', seq)).map((v) => v.name)).toEqual(['b.txt'])
        expect(await log.unsettledCommits()).toEqual([expect.objectContaining({ seq, artifacts: [{ name: 'a.txt', sha256: null }] })])
        await log.markSettled(seq)
        expect(await log.unsettledCommits()).toEqual([])
        // Removed versions still refer to their objects (the GC's to reclaim), but no live one does.
        expect(await log.isObjectReferenced(sha256('a1'))).toBe(true)
        expect((await log.referencedObjects('s1')).map((o) => o.sha256)).toEqual([sha256('b1')])
        expect(await log.findNameConflict('s1', ['a.txt/x'])).toBeUndefined()
      })

      it('numbers a name committed again after a delete on from its last version, never reusing one', async () => {
        await commit('s1', { 'a.txt': 'a1' })
        await commit('s1', { 'a.txt': 'a2' })
        await sessions.withTransaction((tx) => tx.deleteArtifact('s1', 'a.txt', by))
        const again = await commit('s1', { 'a.txt': 'a3' })
        expect((await log.commitBySeq(again))?.artifacts[0]?.version).toBe(3)
        expect(await log.latestVersion('s1', 'a.txt')).toMatchObject({ version: 3, sha256: sha256('a3') })
        expect((await log.latestVersions('s1')).map((v) => v.version)).toEqual([3])
      })

      it('deletes a session: every live version removed, the session deleted and counted so', async () => {
        await commit('s1', { 'a.txt': 'a1', 'd/b.txt': 'b1' })
        await commit('s2', { 'a.txt': 'a1' })
        const seq = await sessions.withTransaction((tx) => tx.deleteSession('s1', { by: 'anonymous', target: 'session', name: null }))
        expect(await log.commitBySeq(seq)).toMatchObject({ kind: 'delete', delete: { by: 'anonymous', target: 'session', name: null, removedVersions: 2 } })
        expect(await sessions.session('s1')).toMatchObject({ state: 'deleted', headSeq: seq })
        expect(await log.latestVersions('s1')).toEqual([])
        expect(await log.latestVersions('s2')).toHaveLength(1)
        expect(await sessions.sessionCounts()).toMatchObject({ total: 2, deleted: 1, open: 1 })
        expect((await log.listCommits({ kind: 'delete', limit: 10 })).map((c) => c.seq)).toEqual([seq])
      })

      it('expires only versions still live, and appends nothing when none is', async () => {
        await commit('s1', { 'a.txt': 'a1' })
        await commit('s1', { 'a.txt': 'a2' })
        const retention = { keepVersions: 1 }
        const seq = await sessions.withTransaction((tx) => tx.expireVersions('s1', { retention, versions: [{ name: 'a.txt', version: 1 }, { name: 'a.txt', version: 9 }] }))
        expect(seq).toBeDefined()
        expect(await log.commitBySeq(seq ?? 0)).toMatchObject({ kind: 'expire', expire: { retention, versions: [{ name: 'a.txt', version: 1 }] } })
        expect(await log.latestVersion('s1', 'a.txt')).toMatchObject({ version: 2 })
        expect(await sessions.withTransaction((tx) => tx.expireVersions('s1', { retention, versions: [{ name: 'a.txt', version: 1 }] }))).toBeUndefined()
      })

      it('prunes the history of removed versions once settled and past the horizon, batch by batch; counts and numbering stay', async () => {
        const FUTURE = '2999-12-31T00:00:00.000Z'
        const c1 = await commit('s1', { 'a.txt': 'x1' })
        await commit('s1', { 'a.txt': 'x2' })
        await commit('s1', { 'a.txt': 'x3' })
        // The same bytes live on elsewhere, so their objects are never released and nothing waits for GC.
        await commit('s2', { 'k1.txt': 'x1', 'k2.txt': 'x2' })
        const expire = await sessions.withTransaction((tx) => tx.expireVersions('s1', { retention: { keepVersions: 1 }, versions: [{ name: 'a.txt', version: 1 }, { name: 'a.txt', version: 2 }] }))
        const counts = await log.commitCounts()
        // Unsettled, the expire entry holds its versions' rows: recovery finds the names to settle through them.
        expect(await log.pruneHistory({ before: FUTURE, afterSeq: 0, limit: 100 })).toMatchObject({ entries: 0, reachedHorizon: true })
        await log.markSettled(expire ?? 0)
        // Nothing before the horizon: a horizon before everything prunes nothing.
        expect(await log.pruneHistory({ before: '2000-01-01T00:00:00.000Z', afterSeq: 0, limit: 100 })).toMatchObject({ entries: 0 })
        expect(await log.pruneHistory({ before: FUTURE, afterSeq: 0, limit: 1 })).toEqual({ entries: 1, versions: 1, lastSeq: c1, reachedHorizon: false })
        expect(await log.pruneHistory({ before: FUTURE, afterSeq: c1, limit: 100 })).toEqual({ entries: 2, versions: 1, lastSeq: 0, reachedHorizon: true })
        expect((await log.versionHistory('s1', 'a.txt')).map((v) => v.version)).toEqual([3])
        expect(await log.commitBySeq(expire ?? 0)).toBeUndefined()
        expect(await log.commitCounts()).toEqual(counts)
        expect(await log.historyHorizon()).toEqual({ prunedEntries: 3, completeSnapshotsFrom: expire })
        await commit('s1', { 'a.txt': 'x4' })
        expect(await log.latestVersion('s1', 'a.txt')).toMatchObject({ version: 4 })
        // The highest version of a name stays even once removed: numbering continues from it.
        await sessions.withTransaction((tx) => tx.deleteArtifact('s2', 'k1.txt', { by: 'ops', target: 'artifact', name: 'k1.txt' }))
        const deleteSeq = (await log.listCommits({ kind: 'delete', limit: 1 }))[0]?.seq ?? 0
        await log.markSettled(deleteSeq)
        expect(await log.pruneHistory({ before: FUTURE, afterSeq: 0, limit: 100 })).toMatchObject({ entries: 0 })
        expect(await log.commitBySeq(deleteSeq)).toMatchObject({ kind: 'delete' })
        const reopened = await fixture.reopen?.()
        if (reopened !== undefined) {
          fixtures.replace(reopened)
          expect(await reopened.log.commitCounts()).toEqual({ ...counts, committed: counts.committed + 1 })
          expect(await reopened.log.historyHorizon()).toEqual({ prunedEntries: 3, completeSnapshotsFrom: expire })
        }
      })

      it('finds what retention removes: beyond the newest N, older than D days, never in a held or deleted session', async () => {
        for (const text of ['k1', 'k2', 'k3']) await commit('keep', { 'a.txt': text })
        for (const text of ['h1', 'h2', 'h3']) await commit('held', { 'a.txt': text })
        await sessions.withTransaction((tx) => tx.updateSession('keep', { retention: { keepVersions: 2 } }, { newSessionDeadline: DEADLINE }))
        await sessions.withTransaction((tx) => tx.updateSession('held', { retention: { keepVersions: 1 }, hold: true }, { newSessionDeadline: DEADLINE }))
        expect(await sessions.session('held')).toMatchObject({ hold: true, retention: { keepVersions: 1 } })
        const now = new Date().toISOString()
        expect(await log.expirable({ defaults: {}, now, limit: 10 })).toEqual([{ sessionId: 'keep', name: 'a.txt', version: 1, retention: { keepVersions: 2 } }])
        // The server's defaults fill what a session does not set; a day from now, every version is older than a day.
        const later = new Date(Date.now() + 2 * 24 * 3600 * 1000).toISOString()
        const due = await log.expirable({ defaults: { deleteAfterDays: 1 }, now: later, limit: 10 })
        expect(due.map((c) => [c.sessionId, c.version])).toEqual([['keep', 1], ['keep', 2], ['keep', 3]])
        expect(due[0]?.retention).toEqual({ keepVersions: 2, deleteAfterDays: 1 })
        expect(await log.expirable({ defaults: { deleteAfterDays: 1 }, now: later, limit: 2 })).toHaveLength(2)
      })
    })

    describe('garbage collection', () => {
      const by = { by: 'ops', target: 'artifact' as const, name: 'a.txt' }
      const later = (): string => new Date(Date.now() + 60_000).toISOString()
      const earlier = (): string => new Date(Date.now() - 60_000).toISOString()

      it('marks as collectable only objects no live version refers to, released before the cutoff, page by page', async () => {
        await commit('s1', { 'a.txt': 'gone1', 'b.txt': 'kept' })
        await commit('s1', { 'a.txt': 'gone2' })
        await commit('s2', { 'c.txt': 'kept' })
        const seq = await sessions.withTransaction((tx) => tx.deleteArtifact('s1', 'a.txt', by))
        await log.markSettled(seq)
        // Released just now: not before a cutoff in the past.
        expect((await bookkeeping.collectableObjects(earlier(), null, 100)).objects).toEqual([])
        const all = await bookkeeping.collectableObjects(later(), null, 100)
        expect(all.objects.map((o) => o.sha256).sort()).toEqual([sha256('gone1'), sha256('gone2')].sort())
        expect(all).toMatchObject({ examined: 3, next: null })
        expect(await bookkeeping.isObjectLive(sha256('gone1'))).toBe(false)
        expect(await bookkeeping.isObjectLive(sha256('kept'))).toBe(true)
        const first = await bookkeeping.collectableObjects(later(), null, 2)
        expect(first.examined).toBe(2)
        const rest = await bookkeeping.collectableObjects(later(), first.next, 2)
        expect([...first.objects, ...rest.objects].map((o) => o.sha256).sort()).toEqual(all.objects.map((o) => o.sha256).sort())
        expect(rest.next).toBeNull()
        expect(await bookkeeping.removedVersions()).toEqual({ deleted: 2, expired: 0 })
        expect(await bookkeeping.removedVersions('s2')).toEqual({ deleted: 0, expired: 0 })
      })

      it('takes collectable objects out of the log into the queue, counts them, and skips one referenced again', async () => {
        await commit('s1', { 'a.txt': 'gone', 'b.txt': 'back' })
        await sessions.withTransaction((tx) => tx.deleteSession('s1', { by: 'ops', target: 'session', name: null }))
        const { objects } = await bookkeeping.collectableObjects(later(), null, 100)
        expect(objects).toHaveLength(2)
        // A new commit of the same bytes between the mark and the sweep makes that object live again.
        await commit('s2', { 'again.txt': 'back' })
        const taken = await bookkeeping.takeCollectable(objects, later())
        expect(taken).toEqual([{ sha256: sha256('gone'), size: 4 }])
        expect(await bookkeeping.objectState(sha256('gone'))).toBeUndefined()
        expect(await bookkeeping.objectState(sha256('back'))).toBe('ok')
        expect(await bookkeeping.objectsToCollect()).toEqual([sha256('gone')])
        expect(await bookkeeping.gcTotals()).toMatchObject({ reclaimedObjects: 1, reclaimedBytes: 4 })
        await bookkeeping.objectCollected(sha256('gone'))
        expect(await bookkeeping.objectsToCollect()).toEqual([])
      })

      it('keeps the last run and the totals', async () => {
        const record = {
          startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:01.000Z', ok: true,
          examinedObjects: 3, reclaimedObjects: 1, reclaimedBytes: 10, reclaimedDatabaseBytes: 0, error: null,
        }
        expect(await bookkeeping.lastGc()).toBeUndefined()
        await bookkeeping.recordGc(record)
        await bookkeeping.recordGc({ ...record, ok: false, error: 'storage_fault: boom' })
        expect(await bookkeeping.lastGc()).toEqual({ ...record, ok: false, error: 'storage_fault: boom' })
        expect((await bookkeeping.gcTotals()).runs).toBe(2)
      })
    })

    it('keeps every resolved write across a reopen', async () => {
      if (fixture.reopen === undefined) return
      const seq = await commit('s1', { 'a.txt': 'durable' }, { idempotency: { key: 'k', fingerprint: 'f' } })
      const left = await pending('s1', [planned('b.txt', 'unfinished')], nextId(), { key: 'held', fingerprint: 'f2' })
      await sessions.withTransaction((tx) => tx.changeExpected('s1', { add: ['b.txt'], remove: [] }, { newSessionDeadline: DEADLINE }))
      fixtures.replace(await fixture.reopen())
      expect(await log.commitBySeq(seq)).toMatchObject({ state: 'committed', artifacts: [{ name: 'a.txt', version: 1 }] })
      expect(await log.idempotencyKey('s1', 'k')).toEqual({ fingerprint: 'f', commitSeq: seq, state: 'committed' })
      expect(await log.idempotencyKey('s1', 'held')).toEqual({ fingerprint: 'f2', commitSeq: left, state: 'pending' })
      expect((await log.pendingCommits()).map((p) => p.seq)).toEqual([left])
      expect((await sessions.session('s1'))?.expectedArtifacts).toEqual(['b.txt'])
    })
  })
}
