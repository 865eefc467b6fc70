// Sessions: declared expectations, deadlines, closes and the state derived from them.
import type { ArtifactVersion, DeleteChange, ExpectChange, ExpireChange } from '../model.js'
import type { ClosedState, CloseRequest, Retention, SessionRow, SessionState } from '../session.js'

export interface SessionUpdate {
  /** Replaces the expected set. */
  expectedArtifacts?: string[]
  metadata?: Record<string, unknown>
  /** RFC 3339, normalised to UTC. */
  deadline?: string
  /** Replaces the session's retention. */
  retention?: Retention
  hold?: boolean
}

export interface SessionWriteOptions {
  /** The deadline a session created by this write gets. */
  newSessionDeadline: string | null
}

export type SessionCounts = Record<SessionState, number> & { total: number; closedByDeadline: number }

/**
 * The writes of a session change, inside one unit of work (SessionStore.withTransaction). Every write
 * creates the session if needed and appends its log entry (`expect`, `session`, `close`) in the same
 * transaction, and appends nothing when nothing changes, so a retried request leaves one entry.
 */
export interface SessionTransaction {
  /** The session as this transaction sees it: what the unit of work decides on. */
  session(sessionId: string): Promise<SessionRow | undefined>
  /** Applies the update; a closed session's state is re-derived. */
  updateSession(sessionId: string, update: SessionUpdate, options: SessionWriteOptions): Promise<{ row: SessionRow; created: boolean }>
  /** Removes, then adds names: concurrent changes never lose one another's names. */
  changeExpected(sessionId: string, change: ExpectChange, options: SessionWriteOptions): Promise<SessionRow>
  /** Closes (or, to report a failure, re-closes) a session; `closed` is false when nothing changed. */
  closeSession(sessionId: string, request: CloseRequest, options: SessionWriteOptions): Promise<{ row: SessionRow; closed: boolean }>
  /** Every committed version of a name, removed ones marked, as this transaction sees them. */
  versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]>
  /**
   * The removals below append one entry (kind `delete` or `expire`) and, with it, mark the versions
   * removed by it (the rows stay), drop the names whose latest version went from the latest set, and
   * stamp `released_at` on every object whose last live version went. The entry is unsettled until
   * the ledger has removed the plain files (CommitLog.markSettled); recovery settles it otherwise.
   * Each returns the entry's seq. The session must exist.
   */
  /** Removes every live version of a name. */
  deleteArtifact(sessionId: string, name: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number>
  /** Removes every live version of the session and leaves it `deleted`. */
  deleteSession(sessionId: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number>
  /** Removes those of `versions` that are still live; undefined (and no entry) when none is. */
  expireVersions(sessionId: string, change: ExpireChange): Promise<number | undefined>
}

export interface SessionStore {
  session(sessionId: string): Promise<SessionRow | undefined>
  /**
   * Runs `work` as one transaction: every write it makes through `tx` lands when it resolves, none when
   * it rejects (and its rejection is passed on), so a check that throws refuses the change. Units of
   * work on the store run one at a time and see each other's results whole. `work` only reads and
   * writes through `tx` and decides: the adapter may hold a lock, or the whole log, while it runs.
   * Crash: before it resolves, none of its writes; once it resolves, all of them, durably.
   */
  withTransaction<T>(work: (tx: SessionTransaction) => Promise<T>): Promise<T>
  /**
   * Closes, by deadline, up to `limit` open sessions whose deadline is at or before `now`, each with its
   * `close` entry, in one transaction; returns them. Crash: all of the batch or none of it.
   */
  closeDueSessions(now: string, limit: number): Promise<SessionRow[]>
  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): Promise<SessionRow[]>
  /** Sessions by state and closed by deadline, the canary's left out. Kept with the data: costs the same at any size. */
  sessionCounts(): Promise<SessionCounts>
  /** The most recently changed closed sessions in a state, newest first, the canary's left out; read through an index. */
  recentSessionIds(state: ClosedState, limit: number): Promise<string[]>
}
