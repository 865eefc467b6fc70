// Idempotency-Key: a replay returns the original result, the same key with another body is a 409,
// and concurrent duplicates wait for the first attempt instead of racing it, in one process or across replicas.
import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { canonicalJson, MAX_JSON_DEPTH } from '../domain/content.js'
import { IdempotencyKeyHeld, IdempotencyKeyInFlight, IdempotencyKeyReused, StorageFault } from '../domain/errors.js'
import type { CommitRecord } from '../domain/model.js'
import type { CommitLog, IdempotencyWaits, StoredIdempotencyKey } from '../domain/ports.js'

export interface GatedOutcome {
  record: CommitRecord
  /** True when an Idempotency-Key replay returned an earlier result. */
  replayed: boolean
}

/**
 * How long a duplicate waits for another replica's attempt holding its key: past the 30 s within which the
 * replica sweep aborts a dead replica's pending entry (SPEC "Scale-out mode"), so a holder that died is
 * outwaited, and one still alive after that is answered 503 with Retry-After rather than held for ever.
 */
export const DEFAULT_IDEMPOTENCY_WAIT_MS = 35_000
/** Polling the log for the holder's end: soon at first (most commits land in milliseconds), then less often. */
const FIRST_POLL_MS = 50
const LONGEST_POLL_MS = 250

/** What identifies a request for its key: the SHA-256 of its canonical JSON. */
export function fingerprint(value: unknown): string {
  // The request wraps artifact JSON already checked against the depth limit: allow for the wrapping.
  return createHash('sha256').update(canonicalJson(value, 'request', MAX_JSON_DEPTH + 8)).digest('hex')
}

function reused(sessionId: string, key: string): IdempotencyKeyReused {
  return new IdempotencyKeyReused(`Idempotency-Key ${JSON.stringify(key)} was used for a different request in session ${sessionId}`, { field: 'Idempotency-Key' })
}

export class IdempotencyGate {
  constructor(
    private readonly log: CommitLog,
    private readonly waits: IdempotencyWaits,
    private readonly maxWaitMs = DEFAULT_IDEMPOTENCY_WAIT_MS,
  ) {}

  /**
   * Runs `attempt` unless the key already has a result. The attempt's pending entry takes the key (the log
   * refuses it, writing nothing, while another entry holds the key), its commit keeps it, its failure lets it
   * go: only a committed attempt consumes its key, and a duplicate never leaves an entry of its own.
   */
  async run(sessionId: string, key: string | undefined, print: string, attempt: () => Promise<CommitRecord>): Promise<GatedOutcome> {
    if (key === undefined) return { record: await attempt(), replayed: false }
    // Another request under a key already held is a 409 at once, not after the duplicates queued below.
    const holder = await this.log.idempotencyKey(sessionId, key)
    if (holder !== undefined && holder.fingerprint !== print) throw reused(sessionId, key)
    // In one process duplicates wait here for the first attempt, then find its result; its failure is
    // reported to its own caller only, and the next duplicate runs.
    return this.waits.withKey(sessionId, key, () => this.runOnce(sessionId, key, print, attempt))
  }

  /**
   * A duplicate through another replica meets that replica's entry holding the key: it replays the entry once
   * committed, runs once the entry failed or was aborted (the key is free again), and meanwhile polls the log.
   */
  private async runOnce(sessionId: string, key: string, print: string, attempt: () => Promise<CommitRecord>): Promise<GatedOutcome> {
    const deadline = Date.now() + this.maxWaitMs
    let pauseMs = FIRST_POLL_MS
    let holder = await this.log.idempotencyKey(sessionId, key)
    for (;;) {
      if (holder === undefined) {
        const outcome = await this.attemptUnlessHeld(sessionId, key, print, attempt)
        if ('record' in outcome) return outcome
        holder = outcome.holder
      }
      // Another request under the same key is a 409 at once, whether its attempt has landed yet or not.
      if (holder.fingerprint !== print) throw reused(sessionId, key)
      if (holder.state === 'committed') return this.replay(holder)
      if (Date.now() + pauseMs > deadline) {
        throw new IdempotencyKeyInFlight(
          `Idempotency-Key ${JSON.stringify(key)} of session ${sessionId} is held by an attempt still in flight (entry ${holder.commitSeq}) after ${this.maxWaitMs} ms; retry later for its result`,
          { field: 'Idempotency-Key' },
        )
      }
      await sleep(pauseMs)
      pauseMs = Math.min(pauseMs * 2, LONGEST_POLL_MS)
      holder = await this.log.idempotencyKey(sessionId, key)
    }
  }

  /**
   * The attempt's outcome, or the entry that holds the key: the one the log named when the attempt went to
   * take it, or the same request committed meanwhile through another replica. That one's outcome is the
   * answer even when this attempt failed on its own (a precondition that the other commit made false,
   * checked before this attempt reached the key): the request was carried out once.
   */
  private async attemptUnlessHeld(
    sessionId: string, key: string, print: string, attempt: () => Promise<CommitRecord>,
  ): Promise<GatedOutcome | { holder: StoredIdempotencyKey }> {
    try {
      return { record: await attempt(), replayed: false }
    } catch (error) {
      if (error instanceof IdempotencyKeyHeld) return { holder: error.holder }
      // A failed attempt's entry lets its key go, so a committed holder of the same request is another
      // attempt, or this one when only reading its record back failed: either way it was carried out. A
      // lookup that fails leaves the attempt's own error as the answer.
      const holder = await this.log.idempotencyKey(sessionId, key).catch(() => undefined)
      if (holder?.state === 'committed' && holder.fingerprint === print) return { holder }
      throw error
    }
  }

  private async replay(holder: StoredIdempotencyKey): Promise<GatedOutcome> {
    const original = await this.log.commitBySeq(holder.commitSeq)
    if (original === undefined) throw new StorageFault('the commit an idempotency key points to is missing from the log')
    return { record: original, replayed: true }
  }
}
