// Sessions and bookkeeping of the memory log: the same plans as SQLite's (domain/session-changes.ts),
// applied to maps; units of work hold the log and are undone whole when they throw.
import type { ArtifactVersion, DeleteChange, ExpectChange, ExpireChange } from '../../domain/model.js'
import type {
  ScrubRecord, SessionCounts, SessionStore, SessionTransaction, SessionUpdate, SessionWriteOptions, StorageBookkeeping,
} from '../../domain/ports.js'
import { planClose, planExpectChange, planUpdate, type SessionChangePlan } from '../../domain/session-changes.js'
import { countsFor, tally } from '../../domain/counts.js'
import { CANARY_SESSION_ID, SESSION_STATES, type ClosedState, type CloseRequest, type SessionRow, type SessionState } from '../../domain/session.js'
import {
  appendSessionEntry, ensureSession, mustSession, now, presentNames, rederive, versions, type LogData, type MemoryLogState,
} from './log-state.js'
import { MemoryObjectGc } from './object-gc.js'
import { deleteArtifact, deleteSession, expireVersions } from './removals.js'

export class MemorySessionStore implements SessionStore {
  constructor(private readonly state: MemoryLogState) {}

  session(sessionId: string): Promise<SessionRow | undefined> {
    return this.state.run((data) => data.sessions.get(sessionId))
  }

  withTransaction<T>(work: (tx: SessionTransaction) => Promise<T>): Promise<T> {
    return this.state.unitOfWork(() => work(new MemorySessionTransaction(this.state)))
  }

  closeDueSessions(at: string, limit: number): Promise<SessionRow[]> {
    return this.state.run((data) => {
      const due = [...data.sessions.values()]
        .filter((s) => s.state === 'open' && s.deadline !== null && s.deadline <= at)
        .sort((a, b) => ((a.deadline ?? '') < (b.deadline ?? '') ? -1 : 1))
        .slice(0, limit)
      return due.filter((s) => close(data, s, { by: 'deadline' }, at)).map((s) => mustSession(data, s.id))
    })
  }

  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): Promise<SessionRow[]> {
    return this.state.run((data) => [...data.sessions.values()]
      .filter((s) => s.id !== filter.exclude && s.id > (filter.afterId ?? '') && (filter.state === undefined || s.state === filter.state))
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, filter.limit))
  }

  sessionCounts(): Promise<SessionCounts> {
    return this.state.run((data) => {
      const counted = [...data.sessions.values()].filter((s) => s.id !== CANARY_SESSION_ID)
      return {
        ...countsFor(SESSION_STATES, tally(counted.map((s) => s.state))),
        total: counted.length,
        closedByDeadline: counted.filter((s) => s.closedBy === 'deadline').length,
      }
    })
  }

  recentSessionIds(state: ClosedState, limit: number): Promise<string[]> {
    return this.state.run((data) => [...data.sessions.values()]
      .filter((s) => s.state === state && s.id !== CANARY_SESSION_ID)
      .sort((a, b) => (a.updatedAt > b.updatedAt ? -1 : a.updatedAt < b.updatedAt ? 1 : 0))
      .slice(0, limit)
      .map((s) => s.id))
  }
}

/** Inside a unit of work: the log is held, so each call runs at once, on the state itself. */
class MemorySessionTransaction implements SessionTransaction {
  constructor(private readonly state: MemoryLogState) {}

  private get data(): LogData {
    return this.state.data
  }

  async session(sessionId: string): Promise<SessionRow | undefined> {
    return structuredClone(this.data.sessions.get(sessionId))
  }

  async updateSession(sessionId: string, update: SessionUpdate, options: SessionWriteOptions): Promise<{ row: SessionRow; created: boolean }> {
    return this.change(sessionId, options, (current, created) => planUpdate(current, created, update))
  }

  async changeExpected(sessionId: string, change: ExpectChange, options: SessionWriteOptions): Promise<SessionRow> {
    return this.change(sessionId, options, (current, created) => planExpectChange(current, created, change)).row
  }

  async closeSession(sessionId: string, request: CloseRequest, options: SessionWriteOptions): Promise<{ row: SessionRow; closed: boolean }> {
    const at = now()
    ensureSession(this.data, sessionId, at, options.newSessionDeadline)
    const closed = close(this.data, mustSession(this.data, sessionId), request, at)
    return { row: structuredClone(mustSession(this.data, sessionId)), closed }
  }

  async versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    return structuredClone([...versions(this.data, sessionId)].filter((v) => v.name === name))
  }

  async deleteArtifact(sessionId: string, name: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number> {
    return deleteArtifact(this.data, sessionId, name, change, now())
  }

  async deleteSession(sessionId: string, change: Omit<DeleteChange, 'removedVersions'>): Promise<number> {
    return deleteSession(this.data, sessionId, change, now())
  }

  async expireVersions(sessionId: string, change: ExpireChange): Promise<number | undefined> {
    return expireVersions(this.data, sessionId, change, now())
  }

  private change(sessionId: string, options: SessionWriteOptions, plan: (current: SessionRow, created: boolean) => SessionChangePlan): { row: SessionRow; created: boolean } {
    const at = now()
    const created = ensureSession(this.data, sessionId, at, options.newSessionDeadline)
    const { expected, metadata, deadline, retention, hold, entry } = plan(structuredClone(mustSession(this.data, sessionId)), created)
    const session = mustSession(this.data, sessionId)
    if (expected !== undefined) {
      Object.assign(session, { expectedArtifacts: [...expected], updatedAt: at })
      rederive(this.data, sessionId, at)
    }
    if (metadata !== undefined) Object.assign(session, { metadata: structuredClone(metadata), updatedAt: at })
    if (deadline !== undefined) Object.assign(session, { deadline, updatedAt: at })
    if (retention !== undefined) Object.assign(session, { retention: structuredClone(retention), updatedAt: at })
    if (hold !== undefined) Object.assign(session, { hold, updatedAt: at })
    if (entry !== undefined) appendSessionEntry(this.data, sessionId, entry.kind, entry.change, at)
    return { row: structuredClone(mustSession(this.data, sessionId)), created }
  }
}

/** Closes one session; false when the close changes nothing. */
function close(data: LogData, current: SessionRow, request: CloseRequest, at: string): boolean {
  const change = planClose(current, request, presentNames(data, current.id, current.expectedArtifacts))
  if (change === undefined) return false
  Object.assign(mustSession(data, current.id), {
    state: change.state, closedBy: change.closedBy, error: change.error, completedAt: current.completedAt ?? at, updatedAt: at,
  })
  appendSessionEntry(data, current.id, 'close', { close: change }, at)
  return true
}

export class MemoryBookkeeping extends MemoryObjectGc implements StorageBookkeeping {
  plainViewCheckpoint(): Promise<number | undefined> {
    return this.state.run((data) => data.plainViewCheckpoint)
  }

  setPlainViewCheckpoint(seq: number): Promise<void> {
    return this.state.run((data) => {
      data.plainViewCheckpoint = seq
    })
  }

  setObjectState(sha256: string, state: 'ok' | 'corrupt' | 'missing'): Promise<void> {
    return this.state.run((data) => {
      const object = data.objects.get(sha256)
      if (object !== undefined) object.state = state
    })
  }

  objectState(sha256: string): Promise<'ok' | 'corrupt' | 'missing' | undefined> {
    return this.state.run((data) => data.objects.get(sha256)?.state)
  }

  objectTotals(): Promise<{ count: number; bytes: number }> {
    return this.state.run((data) => ({ count: data.objects.size, bytes: [...data.objects.values()].reduce((sum, o) => sum + o.size, 0) }))
  }

  /** Nothing is kept on disk. */
  async databaseBytes(): Promise<number> {
    return 0
  }

  recordScrub(summary: ScrubRecord): Promise<void> {
    return this.state.run((data) => {
      data.scrubs = [...data.scrubs, structuredClone(summary)].slice(-100)
    })
  }

  lastScrub(): Promise<ScrubRecord | undefined> {
    return this.state.run((data) => data.scrubs.at(-1))
  }
}
