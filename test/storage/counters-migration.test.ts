// A ledger written before the counters existed is counted right once the next
// release opens it: the migration fills the counters from the rows already there.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { PlannedArtifact } from '../../src/domain/ports.js'
import { CANARY_SESSION_ID } from '../../src/domain/session.js'
import { SqliteBookkeeping } from '../../src/storage/sqlite/bookkeeping.js'
import { SqliteCommitLog } from '../../src/storage/sqlite/commit-log.js'
import { COUNTERS_RECOUNT } from '../../src/storage/sqlite/counters.js'
import { BEFORE_COUNTERS_SCHEMA_VERSION, LEDGER_SCHEMA_VERSION, openLedgerDb } from '../../src/storage/sqlite/ledger-db.js'
import { SqliteSessionStore } from '../../src/storage/sqlite/session-store.js'
import { SqlRunner } from '../../src/storage/sqlite/sql-runner.js'
import { sha256 } from '../support/factories.js'
import { makeDataDir } from '../support/start-ledger.js'

const DEADLINE = '2999-01-01T00:00:00.000Z'
let ids = 0
const nextId = (): string => `01900000-0000-7000-a000-${String(++ids).padStart(12, '0')}`

function openAdapters(path: string, schemaVersion?: number) {
  const run = new SqlRunner(openLedgerDb(path, schemaVersion))
  const sessions = new SqliteSessionStore(run)
  return { run, log: new SqliteCommitLog(run, sessions), sessions, bookkeeping: new SqliteBookkeeping(run) }
}

function planned(name: string, text: string): PlannedArtifact {
  return { name, sha256: sha256(text), size: Buffer.byteLength(text), mediaType: 'text/plain' }
}

describe('the counters migration', () => {
  it('counts the commits, sessions and objects a ledger of the previous schema already holds', async () => {
    const path = join(await makeDataDir(), 'ledger.db')
    const previous = BEFORE_COUNTERS_SCHEMA_VERSION
    const old = openAdapters(path, previous)
    expect(old.run.db.pragma('user_version', { simple: true })).toBe(previous)
    expect(old.run.db.prepare("SELECT name FROM sqlite_master WHERE name = 'counters'").get()).toBeUndefined()

    // Written through the ports, as the previous release wrote them (its writes touch no table of the new schema).
    const pending = (sessionId: string, artifacts: PlannedArtifact[]) =>
      old.log.insertPending({ id: nextId(), sessionId, message: null, metadata: null, artifacts, newSessionDeadline: DEADLINE })
    for (const text of ['one', 'two', 'three']) await old.log.markCommitted(await pending('s1', [planned(`${text}.txt`, text)]))
    await old.log.markCommitted(await pending('s2', [planned('shared.txt', 'one')]))
    await old.log.markFailed(await pending('s2', [planned('f.txt', 'never')]), { code: 'storage_fault', detail: 'x' }, true)
    await old.log.markAborted(await pending('s3', [planned('a.txt', 'gone')]), { code: 'client_disconnected', detail: 'x' })
    await old.log.recordEnded({ id: nextId(), sessionId: 's3', state: 'failed', error: { code: 'invalid_name', detail: 'x' }, artifacts: [], newSessionDeadline: DEADLINE })
    const lastPending = await pending('s4', [planned('p.txt', 'pending')])
    await old.log.markCommitted(await pending(CANARY_SESSION_ID, [planned('canary.json', 'canary')]))
    await old.sessions.withTransaction((tx) => tx.closeSession('s1', { by: 'writer' }, { newSessionDeadline: DEADLINE }))
    await old.sessions.withTransaction((tx) => tx.closeSession('s2', { by: 'writer', error: { type: 'E', message: 'm' } }, { newSessionDeadline: DEADLINE }))
    await old.sessions.withTransaction((tx) => tx.updateSession('late', { expectedArtifacts: ['x'] }, { newSessionDeadline: '2000-01-01T00:00:00.000Z' }))
    await old.sessions.closeDueSessions('2026-01-01T00:00:00.000Z', 10)
    await old.log.close()

    const current = openAdapters(path)
    try {
      expect(current.run.db.pragma('user_version', { simple: true })).toBe(LEDGER_SCHEMA_VERSION)
      expect(await current.log.commitCounts()).toEqual({ pending: 1, committed: 4, failed: 2, aborted: 1 })
      expect(await current.sessions.sessionCounts()).toEqual({ total: 5, open: 2, complete: 1, incomplete: 1, failed: 1, deleted: 0, closedByDeadline: 1 })
      // The canary's object is counted: it takes room like any other.
      expect(await current.bookkeeping.objectTotals()).toEqual({ count: 4, bytes: 3 + 3 + 5 + 6 })
      expect((await current.log.lastFailure())?.sessionId).toBe('s3')
      expect((await current.log.lastCommit())?.sessionId).toBe('s2')
      expect(await current.sessions.recentSessionIds('incomplete', 10)).toEqual(['late'])

      // From here on the triggers keep them.
      await current.log.markCommitted(lastPending)
      expect(await current.log.commitCounts()).toEqual({ pending: 0, committed: 5, failed: 2, aborted: 1 })
      expect(await current.bookkeeping.objectTotals()).toEqual({ count: 5, bytes: 17 + 7 })
    } finally {
      await current.log.close()
    }
  })
})

describe('the newest commit and failure the counters name', () => {
  it('move back to the next newest when the newest entry is deleted, and the counts keep the deleted', async () => {
    const { run, log } = openAdapters(join(await makeDataDir(), 'ledger.db'))
    try {
      const pending = (artifacts: PlannedArtifact[]) =>
        log.insertPending({ id: nextId(), sessionId: 's1', message: null, metadata: null, artifacts, newSessionDeadline: DEADLINE })
      const older = await pending([planned('a.txt', 'a')])
      await log.markCommitted(older)
      const olderFailure = await pending([planned('f.txt', 'f')])
      await log.markFailed(olderFailure, { code: 'storage_fault', detail: 'x' }, true)
      const newer = await pending([planned('b.txt', 'b')])
      await log.markCommitted(newer)
      const newerFailure = await pending([planned('g.txt', 'g')])
      await log.markAborted(newerFailure, { code: 'client_disconnected', detail: 'x' })
      expect([(await log.lastCommit())?.seq, (await log.lastFailure())?.seq]).toEqual([newer, newerFailure])
      // Only history pruning deletes entries, and it never takes the newest: SQL stands in for it here.
      for (const seq of [newer, newerFailure]) {
        for (const table of ['transitions', 'commit_artifacts']) run.db.prepare(`DELETE FROM ${table} WHERE commit_seq = ?`).run(seq)
        run.db.prepare('DELETE FROM latest_artifacts WHERE commit_seq = ?').run(seq)
        run.db.prepare('DELETE FROM commits WHERE seq = ?').run(seq)
      }
      expect([(await log.lastCommit())?.seq, (await log.lastFailure())?.seq]).toEqual([older, olderFailure])
      // Deleted entries stay counted (apart, as pruned), and a recount from the rows keeps them.
      const counts = { pending: 0, committed: 2, failed: 1, aborted: 1 }
      expect(await log.commitCounts()).toEqual(counts)
      run.db.exec(COUNTERS_RECOUNT)
      expect(await log.commitCounts()).toEqual(counts)
    } finally {
      await log.close()
    }
  })
})
