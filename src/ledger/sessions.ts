// Session use cases: declare expectations, read state and what is missing, complete, list.
import { InvalidQuery, InvalidSessionId, SessionNotFound } from '../domain/errors.js'
import { headEtag } from '../domain/model.js'
import { assertArtifactName, assertSessionId } from '../domain/names.js'
import type { CommitLog, SessionStore } from '../domain/ports.js'
import { CANARY_SESSION_ID, missingArtifacts, type SessionRecord, type SessionRow, type SessionState } from '../domain/session.js'
import { canonicalJson } from '../domain/content.js'

export interface SessionChanges {
  expectedArtifacts?: string[]
  metadata?: Record<string, unknown>
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

export class Sessions {
  constructor(
    private readonly log: CommitLog,
    private readonly store: SessionStore,
  ) {}

  private record(row: SessionRow): SessionRecord {
    const artifacts = this.log.latestVersions(row.id)
    return {
      ...row,
      etag: headEtag(row.headSeq),
      artifacts,
      missing: missingArtifacts(row.expectedArtifacts, artifacts.map((a) => a.name)),
    }
  }

  put(sessionId: string, changes: SessionChanges): { session: SessionRecord; created: boolean } {
    assertCallerSessionId(sessionId)
    const expected = changes.expectedArtifacts
    expected?.forEach((name, index) => assertArtifactName(name, `expectedArtifacts[${index}]`))
    if (changes.metadata !== undefined) canonicalJson(changes.metadata, 'metadata')
    const created = !this.log.sessionExists(sessionId)
    const row = this.store.upsertSession(sessionId, {
      ...(expected === undefined ? {} : { expectedArtifacts: [...new Set(expected)] }),
      ...(changes.metadata === undefined ? {} : { metadata: changes.metadata }),
    })
    return { session: this.record(row), created }
  }

  get(sessionId: string): SessionRecord {
    assertSessionId(sessionId)
    const row = this.store.session(sessionId)
    if (row === undefined) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
    return this.record(row)
  }

  complete(sessionId: string): SessionRecord {
    assertCallerSessionId(sessionId)
    if (!this.log.sessionExists(sessionId)) throw new SessionNotFound(`session ${sessionId} does not exist`, { sessionId })
    return this.record(this.store.completeSession(sessionId))
  }

  list(filter: { state?: SessionState; cursor?: string; limit: number }): SessionPage {
    if (filter.cursor !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(filter.cursor)) {
      throw new InvalidQuery('cursor must be a value returned as nextCursor', { field: 'cursor' })
    }
    const rows = this.store.listSessions({
      limit: filter.limit + 1,
      exclude: CANARY_SESSION_ID,
      ...(filter.state === undefined ? {} : { state: filter.state }),
      ...(filter.cursor === undefined ? {} : { afterId: filter.cursor }),
    })
    const page = rows.slice(0, filter.limit)
    const last = page.at(-1)
    return { sessions: page.map((row) => this.record(row)), nextCursor: rows.length > filter.limit && last !== undefined ? last.id : null }
  }
}
