// Log entries that change a session without writing bytes (expect, close, session, delete, expire), and the session
// head they move. They run inside the caller's transaction: the change and its entry are one.
import { v7 as uuidv7 } from 'uuid'
import { canTransition, type CommitState } from '../../domain/commit-state.js'
import type { EntryChange, EntryKind } from '../../domain/model.js'
import type { SqlRunner } from './sql-runner.js'

export function addTransition(run: SqlRunner, seq: number, from: CommitState | null, to: CommitState, at: string, reason: string | null, kind: EntryKind = 'artifacts'): void {
  // The state machine is the domain's; a transition it forbids is a bug, and fails its transaction.
  if (!canTransition(from, to, kind)) throw new Error(`log entry ${seq} (${kind}): ${from ?? 'nothing'} → ${to} is not a transition`)
  run.sql('INSERT INTO transitions (commit_seq, from_state, to_state, at, reason) VALUES (?, ?, ?, ?, ?)').run(seq, from, to, at, reason)
}

/** Every committed entry of a session moves its head, so the session ETag changes with every change. */
export function moveSessionHead(run: SqlRunner, sessionId: string, seq: number, now: string): void {
  run.sql('UPDATE sessions SET head_seq = ?, updated_at = ? WHERE id = ?').run(seq, now, sessionId)
}

/** Appends a committed entry of a session-level change and moves the session head to it. Returns its seq. */
export function appendSessionEntry(
  run: SqlRunner, sessionId: string, kind: Exclude<EntryKind, 'artifacts'>, change: EntryChange, now: string, options: { needsRecovery?: boolean } = {},
): number {
  // A removal is unsettled until its plain files are gone: recovery removes them if the process is not there to.
  const { lastInsertRowid } = run.sql(`INSERT INTO commits (id, session_id, kind, state, change, created_at, finished_at, needs_recovery)
    VALUES (?, ?, ?, 'committed', ?, ?, ?, ?)`).run(uuidv7(), sessionId, kind, JSON.stringify(change), now, now, options.needsRecovery === true ? 1 : 0)
  const seq = Number(lastInsertRowid)
  addTransition(run, seq, null, 'committed', now, null, kind)
  moveSessionHead(run, sessionId, seq, now)
  return seq
}

