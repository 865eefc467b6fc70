// Idempotency keys on PostgreSQL: a key is taken with its pending entry, stays with it once committed (the key's
// result), and is let go when the entry fails or is aborted. Each runs inside the caller's write transaction,
// under the log's write lock (pg-runner.ts): a check and the insert after it see every other replica's writes.
import { keyHeld } from '../../domain/preconditions.js'
import type { IdempotencyClaim, StoredIdempotencyKey } from '../../domain/ports.js'
import type { Q } from './pg-runner.js'

/** The entry holding a session's key, with its state (the row lives only while the entry is pending or committed). */
export async function keyHolder(q: Q, sessionId: string, key: string): Promise<StoredIdempotencyKey | undefined> {
  const [row] = await q<{ fingerprint: string; commit_seq: number; state: StoredIdempotencyKey['state'] }[]>`
    SELECT k.fingerprint, k.commit_seq, c.state FROM idempotency_keys k JOIN commits c ON c.seq = k.commit_seq
    WHERE k.session_id = ${sessionId} AND k.key = ${key}`
  return row === undefined ? undefined : { fingerprint: row.fingerprint, commitSeq: row.commit_seq, state: row.state }
}

/** Refuses, writing nothing, while another entry holds the key; call before the entry is written. */
export async function assertKeyFree(q: Q, sessionId: string, claim: IdempotencyClaim): Promise<void> {
  const holder = await keyHolder(q, sessionId, claim.key)
  if (holder !== undefined) throw keyHeld(sessionId, claim.key, holder)
}

/** The pending entry `seq` takes the key; the primary key (session_id, key) refuses a second holder. */
export async function takeKey(q: Q, sessionId: string, claim: IdempotencyClaim, seq: number, now: string): Promise<void> {
  await q`INSERT INTO idempotency_keys (session_id, key, fingerprint, commit_seq, created_at)
    VALUES (${sessionId}, ${claim.key}, ${claim.fingerprint}, ${seq}, ${now})`
}

/** An entry that ended without committing lets its key go, so a retry under it runs. */
export async function releaseKey(q: Q, seq: number): Promise<void> {
  await q`DELETE FROM idempotency_keys WHERE commit_seq = ${seq}`
}
