// Log entries that change a session without writing bytes (expect, close, session, delete, expire), and the
// session head they move. They run inside the caller's transaction: the change and its entry are one.
import { v7 as uuidv7 } from 'uuid'
import { canTransition, type CommitState } from '../../domain/commit-state.js'
import type { EntryChange, EntryKind } from '../../domain/model.js'
import type { Q } from './pg-runner.js'

export async function addTransition(
  q: Q, seq: number, from: CommitState | null, to: CommitState, at: string, reason: string | null, kind: EntryKind = 'artifacts',
): Promise<void> {
  // The state machine is the domain's; a transition it forbids is a bug, and fails its transaction.
  if (!canTransition(from, to, kind)) throw new Error(`log entry ${seq} (${kind}): ${from ?? 'nothing'} → ${to} is not a transition`)
  await q`INSERT INTO transitions (commit_seq, from_state, to_state, at, reason) VALUES (${seq}, ${from}, ${to}, ${at}, ${reason})`
}

/** Every committed entry of a session moves its head, so the session ETag changes with every change. */
export async function moveSessionHead(q: Q, sessionId: string, seq: number, now: string): Promise<void> {
  await q`UPDATE sessions SET head_seq = ${seq}, updated_at = ${now} WHERE id = ${sessionId}`
}

/** Appends a committed entry of a session-level change and moves the session head to it. Returns its seq. */
export async function appendSessionEntry(
  q: Q, sessionId: string, kind: Exclude<EntryKind, 'artifacts'>, change: EntryChange, now: string, options: { needsRecovery?: boolean } = {},
): Promise<number> {
  // A removal is unsettled until its plain files are gone: recovery removes them if the process is not there to.
  const [row] = await q<{ seq: number }[]>`INSERT INTO commits (id, session_id, kind, state, change, created_at, finished_at, needs_recovery)
    VALUES (${uuidv7()}, ${sessionId}, ${kind}, 'committed', ${JSON.stringify(change)}, ${now}, ${now}, ${options.needsRecovery === true})
    RETURNING seq`
  const seq = mustSeq(row)
  await addTransition(q, seq, null, 'committed', now, null, kind)
  await moveSessionHead(q, sessionId, seq, now)
  return seq
}

export function mustSeq(row: { seq: number } | undefined): number {
  if (row === undefined) throw new Error('INSERT … RETURNING seq returned no row')
  return row.seq
}

