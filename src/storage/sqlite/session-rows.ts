// The sessions table: what each writer said it would produce, and whether it did.
import { closedState, missingArtifacts, settledState, type SessionRow, type SessionState } from '../../domain/session.js'
import type { SessionStore } from '../../domain/ports.js'
import type { SqlRunner } from './sql-runner.js'

interface SessionDbRow {
  id: string
  state: SessionState
  created_at: string
  updated_at: string
  completed_at: string | null
  head_seq: number
  metadata: string | null
  expected: string | null
}

function toSession(row: SessionDbRow): SessionRow {
  return {
    id: row.id,
    state: row.state,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    headSeq: row.head_seq,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    expectedArtifacts: row.expected === null ? [] : (JSON.parse(row.expected) as string[]),
  }
}

export class SessionRows implements SessionStore {
  constructor(private readonly run: SqlRunner) {}

  /** Sessions come into being with their first commit attempt or declaration. */
  ensure(sessionId: string, now: string): void {
    this.run.sql('INSERT OR IGNORE INTO sessions (id, created_at, updated_at) VALUES (?, ?, ?)').run(sessionId, now, now)
  }

  private row(sessionId: string): SessionDbRow | undefined {
    return this.run.sql('SELECT * FROM sessions WHERE id = ?').get(sessionId) as SessionDbRow | undefined
  }

  private presentNames(sessionId: string): string[] {
    return (this.run.sql('SELECT name FROM latest_artifacts WHERE session_id = ?').all(sessionId) as { name: string }[]).map((r) => r.name)
  }

  /** A closed session is complete exactly when nothing it expects is missing; open ones stay open. */
  rederive(sessionId: string, now: string): void {
    const row = this.row(sessionId)
    if (row === undefined || row.state === 'open') return
    const session = toSession(row)
    const next = settledState(session.state, missingArtifacts(session.expectedArtifacts, this.presentNames(sessionId)))
    if (next !== session.state) this.run.sql('UPDATE sessions SET state = ?, updated_at = ? WHERE id = ?').run(next, now, sessionId)
  }

  session(sessionId: string): SessionRow | undefined {
    const row = this.row(sessionId)
    return row === undefined ? undefined : toSession(row)
  }

  upsertSession(sessionId: string, changes: { expectedArtifacts?: string[]; metadata?: Record<string, unknown> }): SessionRow {
    this.run.write('log-session', () => {
      const now = this.run.now()
      this.ensure(sessionId, now)
      if (changes.expectedArtifacts !== undefined) {
        this.run.sql('UPDATE sessions SET expected = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(changes.expectedArtifacts), now, sessionId)
      }
      if (changes.metadata !== undefined) {
        this.run.sql('UPDATE sessions SET metadata = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(changes.metadata), now, sessionId)
      }
      this.rederive(sessionId, now)
    })
    return this.must(sessionId)
  }

  completeSession(sessionId: string): SessionRow {
    this.run.write('log-session', () => {
      const now = this.run.now()
      const session = this.must(sessionId)
      const state = closedState(missingArtifacts(session.expectedArtifacts, this.presentNames(sessionId)))
      this.run.sql('UPDATE sessions SET state = ?, completed_at = COALESCE(completed_at, ?), updated_at = ? WHERE id = ?').run(state, now, now, sessionId)
    })
    return this.must(sessionId)
  }

  private must(sessionId: string): SessionRow {
    const session = this.session(sessionId)
    if (session === undefined) throw new Error(`session ${sessionId} vanished`)
    return session
  }

  listSessions(filter: { state?: SessionState; afterId?: string; limit: number; exclude: string }): SessionRow[] {
    const where = ['id != ?', 'id > ?']
    const params: (string | number)[] = [filter.exclude, filter.afterId ?? '']
    if (filter.state !== undefined) {
      where.push('state = ?')
      params.push(filter.state)
    }
    const rows = this.run.sql(`SELECT * FROM sessions WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`).all(...params, filter.limit) as SessionDbRow[]
    return rows.map(toSession)
  }

  sessionCounts(exclude: string): { total: number; open: number; complete: number; incomplete: number } {
    const counts = { total: 0, open: 0, complete: 0, incomplete: 0 }
    for (const row of this.run.sql('SELECT state, COUNT(*) AS n FROM sessions WHERE id != ? GROUP BY state').all(exclude) as { state: SessionState; n: number }[]) {
      counts[row.state] = row.n
      counts.total += row.n
    }
    return counts
  }

  incompleteSessionIds(exclude: string, limit: number): string[] {
    return (this.run.sql("SELECT id FROM sessions WHERE state = 'incomplete' AND id != ? ORDER BY updated_at DESC LIMIT ?").all(exclude, limit) as { id: string }[]).map((r) => r.id)
  }
}
