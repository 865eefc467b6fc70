// What a ledger is built with: limits, where its errors go, and how often each piece of background work runs.
import type { Retention } from '../domain/session.js'
import type { LedgerLogger } from './background-errors.js'
import type { DiskThresholds } from './health.js'

export interface LedgerSettings {
  version: string
  maxArtifactBytes: number
  disk: DiskThresholds
  /** Where background errors are reported; nothing below HTTP drops an error without a word. */
  logger: LedgerLogger
  /** 0 (the default) runs no periodic canary; `runCanary()` still works. */
  canaryIntervalMs?: number
  /** 0 (the default) runs no background scrub; `runScrub()` still works. */
  scrubIntervalMs?: number
  scrubRateBytesPerSec?: number
  /** 0 (the default) runs no background garbage collection; `runGc()` still works. */
  gcIntervalMs?: number
  /** See GcSettings.graceSeconds (default 1 h). */
  gcGraceSeconds?: number
  /** The deadline of a session that does not name one: this long after it is created (default 24 h). */
  sessionDeadlineSeconds?: number
  /** How often deadlines are checked (default 1 s, so a session closes within 5 s of its deadline). */
  deadlineCheckIntervalMs?: number
  /** The server's retention for what a session does not set; absent members keep everything. */
  retention?: Retention
  /** 0 (the default) runs no background expiry; `runExpiry()` still works. */
  expiryIntervalMs?: number
  /** Versions expired per tick of the sweep (default 1000): the bound on its rate. */
  expiryBatchSize?: number
  /**
   * How long the history of removed versions (their commits, the expiries that removed them) is kept
   * after the removal; pruned by the expiry sweep after that. 0 (the default here) keeps it all.
   */
  historyRetentionSeconds?: number
  /** Event streams (GET /v1/events) open at once (default 64). */
  maxEventSubscribers?: number
  /** How often an event stream looks at the log when nothing woke it (default 1 s). */
  eventPollMs?: number
  /**
   * How often plain files shown since the last batch are flushed and the checkpoint recorded (default
   * DEFAULT_PLAIN_VIEW_FLUSH_MS). 0 flushes each plain file before its commit's 2xx, as before batching.
   */
  plainViewFlushMs?: number
  /**
   * How often a replica looks for pending commits of replicas that died, on a log several share (default
   * DEFAULT_REPLICA_SWEEP_MS); 0 never. Nothing to look for under the single-writer rule.
   */
  replicaSweepIntervalMs?: number
  /**
   * How long a duplicate Idempotency-Key waits for another replica's attempt holding the key before it is
   * answered 503 idempotency_key_in_flight (default DEFAULT_IDEMPOTENCY_WAIT_MS, past the sweep's 30 s bound).
   */
  idempotencyWaitMs?: number
}

/** Measured in docs/performance.md ("The plain view flushed in batches"). */
export const DEFAULT_PLAIN_VIEW_FLUSH_MS = 100
