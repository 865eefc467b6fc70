// Coordination: what the ledger assumes about who else is writing. One process per data dir today
// (see the single-writer rule in ../ports.ts), so each port has an in-process implementation; a
// multi-replica deployment replaces all of them together, with the log's own locks or leases.

/**
 * Changes to one session run one at a time: its commits (pending row to final row), undoing a failed
 * one, reconciling its plain files, and verify's checks of them. Version numbers, the session head and
 * the plain files therefore move in seq order (the ordering rule).
 */
export interface SessionLocks {
  /** Runs `work` once no other work holds `sessionId`, and holds it until `work` settles. */
  withLock<T>(sessionId: string, work: () => Promise<T>): Promise<T>
}

/**
 * Attempts that carry the same Idempotency-Key in a session run one at a time: a concurrent duplicate
 * waits for the first attempt to settle, then finds its result in the log (or, if it failed, runs).
 */
export interface IdempotencyWaits {
  /** Runs `work` once no other attempt holds this key, and holds it until `work` settles. */
  withKey<T>(sessionId: string, key: string, work: () => Promise<T>): Promise<T>
}

/**
 * Objects that commits still in flight need. An object is deleted (a failed commit's undo, garbage
 * collection, recovery) only when no commit claims it and no committed version refers to it.
 */
export interface ObjectClaims {
  /**
   * True when a claim alone keeps every remover off the object (one process: every undo, collection and
   * recovery asks this process's claims), so a commit may write its objects before its pending entry is
   * durable. False across replicas, where the pending entry is the claim the other processes see.
   */
  readonly coversEveryRemover: boolean
  /**
   * Claims every digest until the release resolves; claims are counted, so two commits may claim one
   * object. A claim waits for a removal of the same object in progress (removeUnclaimed) to finish, so
   * a commit that claims an object then finds it either whole or absent (and writes it), never going.
   */
  claim(sha256s: readonly string[]): Promise<() => Promise<void>>
  isClaimed(sha256: string): Promise<boolean>
  /**
   * Runs `remove` only when nothing claims the object, and holds off new claims on it until `remove`
   * settles; resolves false, without running it, when the object is claimed. Every deletion of an
   * object (an undo, garbage collection, recovery) goes through here: checking isClaimed and then
   * deleting would race a commit that claims and reuses the object in between.
   */
  removeUnclaimed(sha256: string, remove: () => Promise<void>): Promise<boolean>
}

/** A log entry that start-up recovery may have to end or settle. */
export interface RecoverableEntry {
  seq: number
  sessionId: string
}

/**
 * Which unfinished entries are this process's to recover. Under the single-writer rule every one is:
 * whatever is pending at start-up belonged to a process that is gone. Replicas sharing a log recover
 * only their own and those of replicas that are gone, never a live one's in-flight work.
 */
export interface RecoveryScope {
  /** At start-up, before serving: the entries to end and settle now. */
  mine<T extends RecoverableEntry>(entries: readonly T[]): Promise<T[]>
  /**
   * While serving: the entries of replicas that have gone since, which this process takes over (one
   * replica recovers each gone one). Absent where no other process shares the log (the single-writer rule).
   */
  orphaned?<T extends RecoverableEntry>(entries: readonly T[]): Promise<T[]>
}

/** What ExclusiveRun.run did: ran `work` (its value), or left it because another process holds the turn. */
export type TurnOutcome<T> = { ran: true; value: T } | { ran: false }

/**
 * One run at a time among every process sharing the log (garbage collection's). Within a process the caller
 * already runs one at a time; under the single-writer rule every turn is free. Only spares duplicate work:
 * what a run deletes is guarded object by object (ObjectClaims), whoever runs it.
 */
export interface ExclusiveRun {
  /**
   * Runs `work` holding the turn, and lets go when it settles. `wait: false` resolves `{ ran: false }` at
   * once when another process holds it; `wait: true` waits for that process's run to end, then runs
   * (rejecting with the signal's reason if it is aborted while waiting).
   */
  run<T>(work: () => Promise<T>, options: { wait: boolean; signal?: AbortSignal }): Promise<TurnOutcome<T>>
}

export interface Coordination {
  sessions: SessionLocks
  idempotency: IdempotencyWaits
  objects: ObjectClaims
  recovery: RecoveryScope
  /** Garbage collection's turn among processes sharing the log. */
  collector: ExclusiveRun
}
