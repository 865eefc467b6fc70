// Idempotency keys in SQLite: a key is taken with its pending entry, stays with it once committed (the key's
// result), and is let go when the entry fails or is aborted. Each runs inside the caller's transaction.
import { keyHeld } from '../../domain/preconditions.js'
import type { IdempotencyClaim, StoredIdempotencyKey } from '../../domain/ports.js'
import type { SqlRunner } from './sql-runner.js'

/** The entry holding a session's key, with its state (the row lives only while the entry is pending or committed). */
export function keyHolder(run: SqlRunner, sessionId: string, key: string): StoredIdempotencyKey | undefined {
  const row = run.sql(`SELECT k.fingerprint, k.commit_seq, c.state FROM idempotency_keys k JOIN commits c ON c.seq = k.commit_seq
    WHERE k.session_id = ? AND k.key = ?`).get(sessionId, key) as { fingerprint: string; commit_seq: number; state: StoredIdempotencyKey['state'] } | undefined
  return row === undefined ? undefined : { fingerprint: row.fingerprint, commitSeq: row.commit_seq, state: row.state }
}

/** Refuses, writing nothing, while another entry holds the key; call before the entry is written. */
export function assertKeyFree(run: SqlRunner, sessionId: string, claim: IdempotencyClaim): void {
  const holder = keyHolder(run, sessionId, claim.key)
  if (holder !== undefined) throw keyHeld(sessionId, claim.key, holder)
}

/** The pending entry `seq` takes the key; the primary key (session_id, key) refuses a second holder. */
export function takeKey(run: SqlRunner, sessionId: string, claim: IdempotencyClaim, seq: number, now: string): void {
  run.sql('INSERT INTO idempotency_keys (session_id, key, fingerprint, commit_seq, created_at) VALUES (?, ?, ?, ?, ?)')
    .run(sessionId, claim.key, claim.fingerprint, seq, now)
}

/** An entry that ended without committing lets its key go, so a retry under it runs. */
export function releaseKey(run: SqlRunner, seq: number): void {
  run.sql('DELETE FROM idempotency_keys WHERE commit_seq = ?').run(seq)
}
