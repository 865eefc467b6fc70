// The sessions table: what each writer said it would produce, whether it did, and how it closed.
// Every change of a session is a log entry in the same transaction (see log-entries.ts).
import type { ArtifactVersion, DeleteChange, ExpectChange, ExpireChange } from '../../domain/model.js'
import type { SessionCounts, SessionStore, SessionTransaction, SessionUpdate, SessionWriteOptions } from '../../domain/ports.js'
import { planClose, planExpectChange, planUpdate, type SessionChangePlan } from '../../domain/session-changes.js'
import {
  missingArtifacts, SESSION_STATES, settledState, settlesByArtifacts, type ClosedState, type CloseRequest, type SessionRow, type SessionState,
} from '../../domain/session.js'
import { countsFor } from '../../domain/counts.js'
import { CANARY_LITERAL, COUNTER_FAMILIES } from './counters.js'
import { appendSessionEntry } from './log-entries.js'
import { readCounters, versionHistory } from './log-queries.js'
import { deleteArtifact, deleteSession, expireVersions } from './removals.js'
import type { SqlRunner } from './sql-runner.js'
import { toSession, type SessionDbRow } from '../sql-rows.js'

/**
 * Sessions in SQLite. The log's writes call the synchronous parts (ensure, rederive, addExpected) inside
 * their own transactions; the port's writes run in a unit of work that holds the connection.
 */
export class SqliteSessionStore implements SessionStore {
  constructor(readonly run: SqlRunner) {}

  session(sessionId: string): Promise<SessionRow | undefined> {
    return this.run.read('log-read', () => this.current(sessionId))
  }

  withTransaction<T>(work: (tx: SessionTransaction) => Promise<T>): Promise<T> {
    return this.run.unitOfWork('log-session', () => work(new SqliteSessionTransaction(this)))
  }

  /** Sessions come into being with their first commit attempt or declaration, with the deadline given. */
  ensure(sessionId: string, now: string, deadline: string | null): boolean {
    return this.run.sql('INSERT OR IGNORE INTO sessions (id, created_at, updated_at, deadline) VALUES (?, ?, ?, ?)')
      .run(sessionId, now, now, deadline).changes === 1
  }

  private row(sessionId: string): SessionDbRow | undefined {
    return this.run.sql('SELECT * FROM sessions WHERE id = ?').get(sessionId) as SessionDbRow | undefined
  }

  /** Which of `names` the session holds: looked up one by one, never the session's whole listing (a commit pays this). */
  private presentNames(sessionId: string, names: readonly string[]): string[] {
    const present = this.run.sql('SELECT 1 FROM latest_artifacts WHERE session_id = ? AND name = ?')
    return names.filter((name) => present.get(sessionId, name) !== undefined)
  }

  /** A closed session is complete exactly when nothing it expects is missing; open and failed ones stay. */
  rederive(sessionId: string, now: string): void {
    // Every commit asks: the state alone first, the expected set only for a session a commit can move.
    const state = (this.run.sql('SELECT state FROM sessions WHERE id = ?').get(sessionId) as { state: SessionState } | undefined)?.state
    if (state === undefined || !settlesByArtifacts(state)) return
    const session = this.must(sessionId)
    const next = settledState(session.state, missingArtifacts(session.expectedArtifacts, this.presentNames(sessionId, session.expectedArtifacts)))
    if (next !== session.state) this.run.sql('UPDATE sessions SET state = ?, updated_at = ? WHERE id = ?').run(next, now, sessionId)
  }

  /**
   * Adds `names` to the expected set inside the caller's transaction (a commit's `expect`); returns the
   * names that were new. The caller records them with its own entry.
   */
  addExpected(sessionId: string, names: readonly string[], now: string): string[] {
    const session = this.must(sessionId)
    const have = new Set(session.expectedArtifacts)
    const added = [...new Set(names)].filter((name) => !have.has(name))
    if (added.length > 0) {
      this.run.sql('UPDATE sessions SET expected = ?, updated_at = ? WHERE id = ?').run(JSON.stringify([...session.expectedArtifacts, ...added]), now, sessionId)
    }
    return added
  }

  /** The session as the connection sees it now (inside a unit of work: as that transaction sees it). */
  current(sessionId: string): SessionRow | undefined {
    const row = this.row(sessionId)
    return row === undefined ? undefined : toSession(row)
  }

  /** Creates the session if needed, then applies what differs, as one entry; inside the caller's unit of work. */
  private change<T>(sessionId: string, options: SessionWriteOptions, apply: (current: SessionRow, created: boolean, now: string) => T): { row: SessionRow; created: boolean; result: T } {
    const now = this.run.now()
    const created = this.ensure(sessionId, now, options.newSessionDeadline)
    const result = apply(this.must(sessionId), created, now)
    return { row: this.must(sessionId), created, result }
  }

  updateSessionNow(sessionId: string, update: SessionUpdate, options: SessionWriteOptions): { row: SessionRow; created: boolean } {
    const { row, created } = this.change(sessionId, options, (current, created, now) => this.apply(sessionId, planUpdate(current, created, update), now))
    return { row, created }
  }

  changeExpectedNow(sessionId: string, change: ExpectChange, options: SessionWriteOptions): SessionRow {
    return this.change(sessionId, options, (current, created, now) => this.apply(sessionId, planExpectChange(current, created, change), now)).row
  }

  /** Applies what differs, then appends the one entry that records it (if anything changed). */
  private apply(sessionId: string, plan: SessionChangePlan, now: string): void {
    if (plan.expected !== undefined) {
      this.run.sql('UPDATE sessions SET expected = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(plan.expected), now, sessionId)
      this.rederive(sessionId, now)
    }
    if (plan.metadata !== undefined) this.run.sql('UPDATE sessions SET metadata = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(plan.metadata), now, sessionId)
    if (plan.deadline !== undefined) this.run.sql('UPDATE sessions SET deadline = ?, updated_at = ? WHERE id = ?').run(plan.deadline, now, sessionId)
    if (plan.retention !== undefined) this.run.sql('UPDATE sessions SET retention = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(plan.retention), now, sessionId)
    if (plan.hold !== undefined) this.run.sql('UPDATE sessions SET hold = ?, updated_at = ? WHERE id = ?').run(plan.hold ? 1 : 0, now, sessionId)
    if (plan.entry !== undefined) appendSessionEntry(this.run, sessionId, plan.entry.kind, plan.entry.change, now)
  }

  closeSessionNow(sessionId: string, request: CloseRequest, options: SessionWriteOptions): { row: SessionRow; closed: boolean } {
    const { row, result } = this.change(sessionId, options, (current, _created, now) => this.close(current, request, now))
    return { row, closed: result }
  }

  closeDueSessions(now: string, limit: number): Promise<SessionRow[]> {
    return this.run.write('log-deadline', () => {
      const due = this.run.sql("SELECT * FROM sessions WHERE state = 'open' AND deadline <= ? ORDER BY deadline LIMIT ?").all(now, limit) as SessionDbRow[]
      const closed: SessionRow[] = []
      for (const row of due) {
        if (this.close(toSession(row), { by: 'deadline' }, now)) closed.push(this.must(row.id))
      }
      return closed
    })
  }

  /** Closes one session inside the caller's transaction; false when the close changes nothing. */
  private close(current: SessionRow, request: CloseRequest, now: string): boolean {
    const close = planClose(current, request, this.presentNames(current.id, current.expectedArtifacts))
    if (close === undefined) return false
    this.run.sql(`UPDATE sessions SET state = ?, closed_by = ?, error = ?, completed_at = COALESCE(completed_at, ?), updated_at = ?
      WHERE id = ?`).run(close.state, close.closedBy, close.error === null ? null : JSON.stringify(close.error), now, now, current.id)
    appendSessionEntry(this.run, current.id, 'close', { close }, now)
    return true
  }

  private must(sessionId: string): SessionRow {
    const session = this.current(sessionId)
    if (session === undefined) throw new Error(`session ${sessionId} vanished`)
    return session
  }

  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): Promise<SessionRow[]> {
    return this.run.read('log-read', () => {
      const where = ['id != ?', 'id > ?']
      const params: (string | number)[] = [filter.exclude, filter.afterId ?? '']
      if (filter.state !== undefined) {
        where.push('state = ?')
        params.push(filter.state)
      }
      const rows = this.run.sql(`SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params, filter.limit) as SessionDbRow[]
      return rows.map(toSession)
    })
  }

  sessionCounts(): Promise<SessionCounts> {
    return this.run.read('log-read', () => {
      const byState = countsFor(SESSION_STATES, readCounters(this.run, COUNTER_FAMILIES.sessionsByState))
      const byCloser = readCounters(this.run, COUNTER_FAMILIES.sessionsByCloser)
      const total = Object.values<number>(byState).reduce((a, b) => a + b, 0)
      return { ...byState, total, closedByDeadline: byCloser.get('deadline') ?? 0 }
    })
  }

  recentSessionIds(state: ClosedState, limit: number): Promise<string[]> {
    // `state != 'open'` repeats the partial index's condition (counters.ts), so SQLite can read through it.
    return this.run.read('log-read', () =>
      (this.run.sql(`SELECT id FROM sessions INDEXED BY sessions_recently_closed WHERE state = ? AND state != 'open' AND id != ${CANARY_LITERAL}
        ORDER BY updated_at DESC LIMIT ?`).all(state, limit) as { id: string }[]).map((r) => r.id))
  }
}

/** A session change inside a unit of work: the connection is held, so each call runs at once. */
class SqliteSessionTransaction implements SessionTransaction {
  constructor(private readonly store: SqliteSessionStore) {}

  async session(sessionId: string): Promise<SessionRow | undefined> {
    return this.store.current(sessionId)
  }

  async updateSession(sessionId: string, update: SessionUpdate, options: SessionWriteOptions): Promise<{ row: SessionRow; created: boolean }> {
    return this.store.updateSessionNow(sessionId, update, options)
  }

  async changeExpected(sessionId: string, change: ExpectChange, options: SessionWriteOptions): Promise<SessionRow> {
    return this.store.changeExpectedNow(sessionId, change, options)
  }

  async closeSession(sessionId: string, request: CloseRequest, options: SessionWriteOptions): Promise<{ row: SessionRow; closed: boolean }> {
    return this.store.closeSessionNow(sessionId, request, options)
  }

  async versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    return versionHistory(this.store.run, sessionId, name)
  }

  async deleteArtifact(sessionId: string, name: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number> {
    return deleteArtifact(this.store.run, sessionId, name, change, this.store.run.now())
  }

  async deleteSession(sessionId: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number> {
    return deleteSession(this.store.run, sessionId, change, this.store.run.now())
  }

  async expireVersions(sessionId: string, change: ExpireChange): Promise<number | undefined> {
    return expireVersions(this.store.run, sessionId, change, this.store.run.now())
  }
}
