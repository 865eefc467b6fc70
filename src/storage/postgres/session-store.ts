// Sessions in PostgreSQL: the port's writes run as units of work, each one write transaction (pg-runner.ts)
// in which every change of a session and its log entry land together. Same meaning as ../sqlite/session-store.ts.
import type { ArtifactVersion, DeleteChange, ExpectChange, ExpireChange } from '../../domain/model.js'
import type { SessionCounts, SessionStore, SessionTransaction, SessionUpdate, SessionWriteOptions } from '../../domain/ports.js'
import { planClose, planExpectChange, planUpdate, type SessionChangePlan } from '../../domain/session-changes.js'
import { SESSION_STATES, type ClosedState, type CloseRequest, type SessionRow, type SessionState } from '../../domain/session.js'
import { countsFor } from '../../domain/counts.js'
import { CANARY_LITERAL, COUNTER_FAMILIES } from './pg-counters.js'
import { appendSessionEntry } from './log-entries.js'
import { query, readCounters, versionHistory } from './log-queries.js'
import type { PgRunner, Q } from './pg-runner.js'
import { deleteArtifact, deleteSession, expireVersions } from './removals.js'
import { applyPlan, ensureSession, lockSession, presentNames, readSession, toSession, type SessionDbRow } from './session-rows.js'

/** Closes one session inside the caller's transaction; false when the close changes nothing. */
async function close(q: Q, current: SessionRow, request: CloseRequest, now: string): Promise<boolean> {
  const change = planClose(current, request, await presentNames(q, current.id, current.expectedArtifacts))
  if (change === undefined) return false
  await q`UPDATE sessions SET state = ${change.state}, closed_by = ${change.closedBy}, error = ${change.error === null ? null : JSON.stringify(change.error)},
    completed_at = COALESCE(completed_at, ${now}), updated_at = ${now} WHERE id = ${current.id}`
  await appendSessionEntry(q, current.id, 'close', { close: change }, now)
  return true
}

export class PgSessionStore implements SessionStore {
  constructor(readonly run: PgRunner) {}

  session(sessionId: string): Promise<SessionRow | undefined> {
    return this.run.read('log-read', (q) => readSession(q, sessionId))
  }

  withTransaction<T>(work: (tx: SessionTransaction) => Promise<T>): Promise<T> {
    return this.run.write('log-session', (tx) => work(new PgSessionTransaction(tx, this.run)))
  }

  closeDueSessions(now: string, limit: number): Promise<SessionRow[]> {
    return this.run.write('log-deadline', async (tx) => {
      // Locked in deadline order, skipping none: a session being changed elsewhere is waited for.
      const due = await tx<SessionDbRow[]>`SELECT * FROM sessions WHERE state = 'open' AND deadline <= ${now}
        ORDER BY deadline, id LIMIT ${limit} FOR UPDATE`
      const closed: SessionRow[] = []
      for (const row of due) {
        if (await close(tx, toSession(row), { by: 'deadline' }, now)) closed.push(await lockSession(tx, row.id))
      }
      return closed
    })
  }

  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): Promise<SessionRow[]> {
    return this.run.read('log-read', async (q) => {
      const params: (string | number)[] = [filter.exclude, filter.afterId ?? '']
      let where = 'id <> $1 AND id > $2'
      if (filter.state !== undefined) {
        params.push(filter.state)
        where += ` AND state = $${params.length}`
      }
      params.push(filter.limit)
      const rows = await query<SessionDbRow>(q, `SELECT * FROM sessions WHERE ${where} ORDER BY id LIMIT $${params.length}`, params)
      return rows.map(toSession)
    })
  }

  sessionCounts(): Promise<SessionCounts> {
    return this.run.read('log-read', async (q) => {
      const byState = countsFor(SESSION_STATES, await readCounters(q, COUNTER_FAMILIES.sessionsByState))
      const byCloser = await readCounters(q, COUNTER_FAMILIES.sessionsByCloser)
      const total = Object.values<number>(byState).reduce((a, b) => a + b, 0)
      return { ...byState, total, closedByDeadline: byCloser.get('deadline') ?? 0 }
    })
  }

  recentSessionIds(state: ClosedState, limit: number): Promise<string[]> {
    // `state <> 'open'` repeats the partial index's condition (pg-schema.ts), so the planner can read through it.
    return this.run.read('log-read', async (q) => (await query<{ id: string }>(q, `SELECT id FROM sessions
      WHERE state = $1 AND state <> 'open' AND id <> ${CANARY_LITERAL} ORDER BY updated_at DESC LIMIT $2`, [state, limit])).map((r) => r.id))
  }
}

/** A session change inside a unit of work: one transaction, holding the log's write lock. */
class PgSessionTransaction implements SessionTransaction {
  constructor(private readonly q: Q, private readonly run: PgRunner) {}

  async session(sessionId: string): Promise<SessionRow | undefined> {
    return readSession(this.q, sessionId)
  }

  /** Creates the session if needed and locks its row, then applies what `plan` says differs. */
  private async change(sessionId: string, options: SessionWriteOptions, plan: (current: SessionRow, created: boolean) => SessionChangePlan): Promise<{ row: SessionRow; created: boolean }> {
    const now = this.run.now()
    const created = await ensureSession(this.q, sessionId, now, options.newSessionDeadline)
    await applyPlan(this.q, sessionId, plan(await lockSession(this.q, sessionId), created), now)
    return { row: await lockSession(this.q, sessionId), created }
  }

  updateSession(sessionId: string, update: SessionUpdate, options: SessionWriteOptions): Promise<{ row: SessionRow; created: boolean }> {
    return this.change(sessionId, options, (current, created) => planUpdate(current, created, update))
  }

  async changeExpected(sessionId: string, change: ExpectChange, options: SessionWriteOptions): Promise<SessionRow> {
    return (await this.change(sessionId, options, (current, created) => planExpectChange(current, created, change))).row
  }

  async closeSession(sessionId: string, request: CloseRequest, options: SessionWriteOptions): Promise<{ row: SessionRow; closed: boolean }> {
    const now = this.run.now()
    await ensureSession(this.q, sessionId, now, options.newSessionDeadline)
    const closed = await close(this.q, await lockSession(this.q, sessionId), request, now)
    return { row: await lockSession(this.q, sessionId), closed }
  }

  versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    return versionHistory(this.q, sessionId, name)
  }

  async deleteArtifact(sessionId: string, name: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number> {
    await lockSession(this.q, sessionId)
    return deleteArtifact(this.q, sessionId, name, change, this.run.now())
  }

  async deleteSession(sessionId: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number> {
    await lockSession(this.q, sessionId)
    return deleteSession(this.q, sessionId, change, this.run.now())
  }

  async expireVersions(sessionId: string, change: ExpireChange): Promise<number | undefined> {
    await lockSession(this.q, sessionId)
    return expireVersions(this.q, sessionId, change, this.run.now())
  }
}
