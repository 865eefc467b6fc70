// Session rows inside a transaction: created with the first write that names them, locked (FOR UPDATE)
// by the transaction that changes them, their state re-derived from what they expect and what is present.
import type { SessionChangePlan } from '../../domain/session-changes.js'
import { missingArtifacts, settledState, settlesByArtifacts, type SessionRow } from '../../domain/session.js'
import { appendSessionEntry } from './log-entries.js'
import type { Q } from './pg-runner.js'
import { jsonText, toSession, type SessionDbRow } from '../sql-rows.js'

export { toSession, type SessionDbRow }

/** Sessions come into being with their first commit attempt or declaration, with the deadline given. */
export async function ensureSession(q: Q, sessionId: string, now: string, deadline: string | null): Promise<boolean> {
  const created = await q`INSERT INTO sessions (id, created_at, updated_at, deadline) VALUES (${sessionId}, ${now}, ${now}, ${deadline})
    ON CONFLICT (id) DO NOTHING RETURNING id`
  return created.length === 1
}

export async function readSession(q: Q, sessionId: string): Promise<SessionRow | undefined> {
  const [row] = await q<SessionDbRow[]>`SELECT * FROM sessions WHERE id = ${sessionId}`
  return row === undefined ? undefined : toSession(row)
}

/**
 * The session, its row locked until the transaction ends: what the transaction decides on stays as it
 * read it. (The log's write lock already orders writers; the row lock is what stays when that narrows.)
 */
export async function lockSession(q: Q, sessionId: string): Promise<SessionRow> {
  const [row] = await q<SessionDbRow[]>`SELECT * FROM sessions WHERE id = ${sessionId} FOR UPDATE`
  if (row === undefined) throw new Error(`session ${sessionId} vanished`)
  return toSession(row)
}

/** Which of `names` the session holds, never its whole listing (a commit pays this). */
export async function presentNames(q: Q, sessionId: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return []
  return (await q<{ name: string }[]>`SELECT name FROM latest_artifacts WHERE session_id = ${sessionId} AND name = ANY(${names as string[]})`).map((r) => r.name)
}

/** A closed session is complete exactly when nothing it expects is missing; open and failed ones stay. */
export async function rederive(q: Q, sessionId: string, now: string): Promise<void> {
  const session = await readSession(q, sessionId)
  if (session === undefined || !settlesByArtifacts(session.state)) return
  const next = settledState(session.state, missingArtifacts(session.expectedArtifacts, await presentNames(q, sessionId, session.expectedArtifacts)))
  if (next !== session.state) await q`UPDATE sessions SET state = ${next}, updated_at = ${now} WHERE id = ${sessionId}`
}

/** Adds `names` to the expected set (a commit's `expect`); returns the names that were new. */
export async function addExpected(q: Q, sessionId: string, names: readonly string[], now: string): Promise<string[]> {
  const session = await lockSession(q, sessionId)
  const have = new Set(session.expectedArtifacts)
  const added = [...new Set(names)].filter((name) => !have.has(name))
  if (added.length > 0) {
    await q`UPDATE sessions SET expected = ${JSON.stringify([...session.expectedArtifacts, ...added])}, updated_at = ${now} WHERE id = ${sessionId}`
  }
  return added
}

/** Applies what differs, then appends the one entry that records it (if anything changed). */
export async function applyPlan(q: Q, sessionId: string, plan: SessionChangePlan, now: string): Promise<void> {
  if (plan.expected !== undefined) {
    await q`UPDATE sessions SET expected = ${JSON.stringify(plan.expected)}, updated_at = ${now} WHERE id = ${sessionId}`
    await rederive(q, sessionId, now)
  }
  if (plan.metadata !== undefined) await q`UPDATE sessions SET metadata = ${jsonText(plan.metadata)}, updated_at = ${now} WHERE id = ${sessionId}`
  if (plan.deadline !== undefined) await q`UPDATE sessions SET deadline = ${plan.deadline}, updated_at = ${now} WHERE id = ${sessionId}`
  if (plan.retention !== undefined) await q`UPDATE sessions SET retention = ${jsonText(plan.retention)}, updated_at = ${now} WHERE id = ${sessionId}`
  if (plan.hold !== undefined) await q`UPDATE sessions SET hold = ${plan.hold}, updated_at = ${now} WHERE id = ${sessionId}`
  if (plan.entry !== undefined) await appendSessionEntry(q, sessionId, plan.entry.kind, plan.entry.change, now)
}
