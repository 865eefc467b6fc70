// Session use cases: declare and change expectations, set deadlines, close (by the writer, with a
// reported failure, or by the deadline), read state and what is missing, list.
import {
  DeadlinePassed, InvalidContent, InvalidQuery, InvalidSessionId, PreconditionFailed, SessionClosed, SessionDeleted, SessionNotFound,
} from '../domain/errors.js'
import { headEtag, type ExpectChange, type SessionRecord } from '../domain/model.js'
import { assertArtifactName, assertSessionId } from '../domain/names.js'
import type { CommitLog, LedgerObserver, SessionStore } from '../domain/ports.js'
import {
  CANARY_SESSION_ID, missingArtifacts, type Retention, type SessionRow, type SessionState, type WriterError,
} from '../domain/session.js'
import { canonicalJson } from '../domain/content.js'

export interface SessionChanges {
  expectedArtifacts?: string[]
  metadata?: Record<string, unknown>
  /** RFC 3339; must lie in the future. */
  deadline?: string
  /** Replaces the session's retention (positive integers; the HTTP schema holds them to it). */
  retention?: Retention
  hold?: boolean
}

export interface SessionPage {
  sessions: SessionRecord[]
  nextCursor: string | null
}

/** The canary's session belongs to the service: callers may not write to it. */
export function assertCallerSessionId(sessionId: string): void {
  assertSessionId(sessionId)
  if (sessionId === CANARY_SESSION_ID) {
    throw new InvalidSessionId(`session id ${sessionId} is reserved for the service's canary`, { field: 'sid' })
  }
}

/** A session that takes changes is not deleted (a deleted one keeps its record, and nothing more happens to it). */
export function assertNotDeleted(session: SessionRow | undefined): void {
  if (session?.state === 'deleted') {
    throw new SessionDeleted(`session ${session.id} was deleted: it keeps its record and takes no further change`, { sessionId: session.id })
  }
}

/** A session's If-Match: `*` holds when it exists, a tag when it equals the current head ETag. */
export function assertSessionMatches(ifMatch: readonly string[] | undefined, current: { headSeq: number } | undefined): void {
  if (ifMatch === undefined) return
  const etag = current === undefined ? undefined : headEtag(current.headSeq)
  if (ifMatch.some((tag) => (tag === '*' ? current !== undefined : tag === etag))) return
  throw new PreconditionFailed(
    current === undefined ? `If-Match ${ifMatch.join(', ')} but the session does not exist` : `If-Match ${ifMatch.join(', ')} does not match the session head ${etag ?? ''}`,
    current === undefined ? {} : { currentEtag: etag },
  )
}

/** Deadlines are closed in batches of this many sessions per transaction. */
const CLOSE_BATCH = 500

export class Sessions {
  constructor(
    private readonly log: CommitLog,
    private readonly store: SessionStore,
    private readonly observer: Pick<LedgerObserver, 'sessionClosed'>,
    private readonly defaultDeadlineSeconds: number,
  ) {}

  /** The deadline a session gets when a write creates it without naming one. */
  defaultDeadline(sessionId: string): string | null {
    if (sessionId === CANARY_SESSION_ID) return null
    return new Date(Date.now() + this.defaultDeadlineSeconds * 1000).toISOString()
  }

  private async record(row: SessionRow): Promise<SessionRecord> {
    const artifacts = await this.log.latestVersions(row.id)
    return {
      ...row,
      etag: headEtag(row.headSeq),
      artifacts,
      missing: missingArtifacts(row.expectedArtifacts, artifacts.map((a) => a.name)),
    }
  }

  async put(sessionId: string, changes: SessionChanges, options: { ifMatch?: string[] } = {}): Promise<{ session: SessionRecord; created: boolean }> {
    assertCallerSessionId(sessionId)
    const expected = changes.expectedArtifacts
    expected?.forEach((name, index) => assertArtifactName(name, `expectedArtifacts[${index}]`))
    if (changes.metadata !== undefined) canonicalJson(changes.metadata, 'metadata')
    const deadline = changes.deadline === undefined ? undefined : futureDeadline(changes.deadline)
    const update = {
      ...(expected === undefined ? {} : { expectedArtifacts: [...new Set(expected)] }),
      ...(changes.metadata === undefined ? {} : { metadata: changes.metadata }),
      ...(deadline === undefined ? {} : { deadline }),
      ...(changes.retention === undefined ? {} : { retention: changes.retention }),
      ...(changes.hold === undefined ? {} : { hold: changes.hold }),
    }
    // The checks and the change are one unit of work: nothing can change the session in between.
    const { row, created } = await this.store.withTransaction(async (tx) => {
      const current = await tx.session(sessionId)
      assertSessionMatches(options.ifMatch, current)
      assertNotDeleted(current)
      if (current !== undefined && current.state !== 'open' && deadline !== undefined && deadline !== current.deadline) {
        throw new SessionClosed(`session ${sessionId} is ${current.state}: a closed session has no deadline to move`, { field: 'deadline', state: current.state })
      }
      return tx.updateSession(sessionId, update, { newSessionDeadline: deadline ?? this.defaultDeadline(sessionId) })
    })
    return { session: await this.record(row), created }
  }

  /** Adds and removes expected names in one transaction: concurrent writers never lose each other's names. */
  async changeExpected(sessionId: string, change: Partial<ExpectChange>): Promise<SessionRecord> {
    assertCallerSessionId(sessionId)
    const add = change.add ?? []
    const remove = change.remove ?? []
    add.forEach((name, index) => assertArtifactName(name, `add[${index}]`))
    remove.forEach((name, index) => assertArtifactName(name, `remove[${index}]`))
    const adding = new Set(add)
    const both = remove.findIndex((name) => adding.has(name))
    if (both >= 0) throw new InvalidContent(`${JSON.stringify(remove[both])} is both added and removed`, { field: `remove[${both}]` })
    const row = await this.store.withTransaction(async (tx) => {
      assertNotDeleted(await tx.session(sessionId))
      return tx.changeExpected(sessionId, { add: [...adding], remove: [...new Set(remove)] }, { newSessionDeadline: this.defaultDeadline(sessionId) })
    })
    return this.record(row)
  }

  async get(sessionId: string): Promise<SessionRecord> {
    assertSessionId(sessionId)
    const row = await this.store.session(sessionId)
    if (row === undefined) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
    return this.record(row)
  }

  /**
   * The writer closes its session: complete or incomplete by what is missing, or failed with the error
   * it reports. A report of failure is taken even for a session nothing was written to yet, and even
   * after the session closed: it is what explains the missing artifacts.
   */
  async close(sessionId: string, error?: WriterError): Promise<SessionRecord> {
    assertCallerSessionId(sessionId)
    const { row, closed } = await this.store.withTransaction(async (tx) => {
      const current = await tx.session(sessionId)
      if (error === undefined && current === undefined) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
      assertNotDeleted(current)
      return tx.closeSession(sessionId, { by: 'writer', ...(error === undefined ? {} : { error }) }, { newSessionDeadline: this.defaultDeadline(sessionId) })
    })
    if (closed && row.state !== 'open' && row.state !== 'deleted') this.observer.sessionClosed(row.state, 'writer')
    return this.record(row)
  }

  /** Closes every open session whose deadline has passed; returns how many it closed. */
  async closeDue(): Promise<number> {
    let total = 0
    for (;;) {
      const closed = await this.store.closeDueSessions(new Date().toISOString(), CLOSE_BATCH)
      for (const row of closed) if (row.state !== 'open' && row.state !== 'deleted') this.observer.sessionClosed(row.state, 'deadline')
      total += closed.length
      if (closed.length < CLOSE_BATCH) return total
    }
  }

  async list(filter: { state?: SessionState; cursor?: string; limit: number }): Promise<SessionPage> {
    if (filter.cursor !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(filter.cursor)) {
      throw new InvalidQuery('cursor must be a value returned as nextCursor', { field: 'cursor' })
    }
    const rows = await this.store.listSessions({
      limit: filter.limit + 1,
      exclude: CANARY_SESSION_ID,
      ...(filter.state === undefined ? {} : { state: filter.state }),
      ...(filter.cursor === undefined ? {} : { afterId: filter.cursor }),
    })
    const page = rows.slice(0, filter.limit)
    const last = page.at(-1)
    return { sessions: await Promise.all(page.map((row) => this.record(row))), nextCursor: rows.length > filter.limit && last !== undefined ? last.id : null }
  }
}

/** A deadline as UTC ISO text; one already past would close the session at once, so it is refused. */
function futureDeadline(text: string): string {
  const at = Date.parse(text)
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text) || Number.isNaN(at)) {
    throw new InvalidContent('deadline must be an RFC 3339 date-time with a time zone, e.g. 2026-12-05T18:00:00Z', { field: 'deadline' })
  }
  if (at <= Date.now()) throw new DeadlinePassed(`deadline ${text} has already passed`, { field: 'deadline', deadline: text })
  return new Date(at).toISOString()
}
