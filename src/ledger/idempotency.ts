// Idempotency-Key: a replay returns the original result, the same key with another body is a 409,
// and concurrent duplicates wait for the first attempt instead of racing it.
import { createHash } from 'node:crypto'
import { canonicalJson, MAX_JSON_DEPTH } from '../domain/content.js'
import { IdempotencyKeyReused, StorageFault } from '../domain/errors.js'
import type { CommitRecord } from '../domain/model.js'
import type { CommitLog, IdempotencyWaits, StoredIdempotencyKey } from '../domain/ports.js'

export interface GatedOutcome {
  record: CommitRecord
  /** True when an Idempotency-Key replay returned an earlier result. */
  replayed: boolean
}

/** What identifies a request for its key: the SHA-256 of its canonical JSON. */
export function fingerprint(value: unknown): string {
  // The request wraps artifact JSON already checked against the depth limit: allow for the wrapping.
  return createHash('sha256').update(canonicalJson(value, 'request', MAX_JSON_DEPTH + 8)).digest('hex')
}

export class IdempotencyGate {
  constructor(
    private readonly log: CommitLog,
    private readonly waits: IdempotencyWaits,
  ) {}

  /**
   * Runs `attempt` unless the key already has a result. Keys are stored with the commit, in the
   * same transaction, so only a committed attempt consumes its key: a failed one can be retried.
   */
  async run(sessionId: string, key: string | undefined, print: string, attempt: () => Promise<CommitRecord>): Promise<GatedOutcome> {
    if (key === undefined) return { record: await attempt(), replayed: false }
    // Concurrent duplicates wait for the first attempt, then find its result; its failure is reported
    // to its own caller only, and the next duplicate runs.
    return this.waits.withKey(sessionId, key, async () => {
      const stored = await this.log.idempotencyKey(sessionId, key)
      if (stored === undefined) return this.attemptOrReplay(sessionId, key, print, attempt)
      return this.replay(sessionId, key, print, stored)
    })
  }

  /**
   * A duplicate through another replica runs beside this attempt (the waits are per process): the log
   * refuses whichever lands second, and that one replays the first (or is a 409 if it differs).
   */
  private async attemptOrReplay(sessionId: string, key: string, print: string, attempt: () => Promise<CommitRecord>): Promise<GatedOutcome> {
    try {
      return { record: await attempt(), replayed: false }
    } catch (error) {
      const stored = error instanceof IdempotencyKeyReused ? await this.log.idempotencyKey(sessionId, key) : undefined
      if (stored === undefined) throw error
      return this.replay(sessionId, key, print, stored)
    }
  }

  private async replay(sessionId: string, key: string, print: string, stored: StoredIdempotencyKey): Promise<GatedOutcome> {
    if (stored.fingerprint !== print) {
      throw new IdempotencyKeyReused(`Idempotency-Key ${JSON.stringify(key)} was used for a different request in session ${sessionId}`, { field: 'Idempotency-Key' })
    }
    const original = await this.log.commitBySeq(stored.commitSeq)
    if (original === undefined) throw new StorageFault('the commit an idempotency key points to is missing from the log')
    return { record: original, replayed: true }
  }
}
