// Sessions: declared expectations, deadlines, closes and the state derived from them.
import type { ExpectChange } from '../model.js'
import type { CloseRequest, SessionRow, SessionState } from '../session.js'

export interface SessionUpdate {
  /** Replaces the expected set. */
  expectedArtifacts?: string[]
  metadata?: Record<string, unknown>
  /** RFC 3339, normalised to UTC. */
  deadline?: string
}

export interface SessionWriteOptions {
  /** The deadline a session created by this write gets. */
  newSessionDeadline: string | null
  /** Runs inside the write's transaction with the session as it is (or undefined); throws to refuse the write. */
  precondition?: (current: SessionRow | undefined) => void
}

export type SessionCounts = Record<SessionState, number> & { total: number; closedByDeadline: number }

/**
 * Sessions: declared expectations, deadlines, closes and the state derived from them. Every method that
 * changes a session writes its log entry (`expect`, `session`, `close`) in the same transaction, and
 * writes nothing when nothing changes, so a retried request leaves one entry.
 */
export interface SessionStore {
  session(sessionId: string): SessionRow | undefined
  /** Creates the session if needed and applies the update; a closed session's state is re-derived. */
  updateSession(sessionId: string, update: SessionUpdate, options: SessionWriteOptions): { row: SessionRow; created: boolean }
  /** Removes then adds names in one transaction: concurrent changes never lose one another's names. */
  changeExpected(sessionId: string, change: ExpectChange, options: SessionWriteOptions): SessionRow
  /** Closes (or, to report a failure, re-closes) a session; `closed` is false when nothing changed. */
  closeSession(sessionId: string, request: CloseRequest, options: SessionWriteOptions): { row: SessionRow; closed: boolean }
  /** Closes, by deadline, up to `limit` open sessions whose deadline is at or before `now`; returns them. */
  closeDueSessions(now: string, limit: number): SessionRow[]
  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): SessionRow[]
  sessionCounts(exclude: string): SessionCounts
  /** The most recently changed sessions in a state, newest first. */
  recentSessionIds(state: SessionState, exclude: string, limit: number): string[]
}
