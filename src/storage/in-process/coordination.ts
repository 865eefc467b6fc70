// In-process coordination: correct because one process writes a data dir (the single-writer rule,
// enforced by storage/data-dir-lock.ts before anything is opened).
import type { Coordination, ExclusiveRun, IdempotencyWaits, ObjectClaims, RecoverableEntry, RecoveryScope, SessionLocks, TurnOutcome } from '../../domain/ports.js'
import { KeyedLock } from './keyed-lock.js'

export class InProcessSessionLocks implements SessionLocks {
  private readonly lock = new KeyedLock()

  withLock<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    return this.lock.run(sessionId, work)
  }
}

export class InProcessIdempotencyWaits implements IdempotencyWaits {
  private readonly lock = new KeyedLock()

  withKey<T>(sessionId: string, key: string, work: () => Promise<T>): Promise<T> {
    return this.lock.run(`${sessionId}\u0000${key}`, work)
  }
}

/** Counts the commits in flight that need each object, and keeps claims off objects being removed. */
export class InProcessObjectClaims implements ObjectClaims {
  readonly coversEveryRemover = true
  private readonly counts = new Map<string, number>()
  private readonly removals = new Map<string, Promise<unknown>>()

  async claim(sha256s: readonly string[]): Promise<() => Promise<void>> {
    const held = [...sha256s]
    // Counted only once no removal of these objects is under way; a removal that starts after that
    // sees the count and does not run.
    for (;;) {
      const pending = held.flatMap((sha256) => this.removals.get(sha256) ?? [])
      if (pending.length === 0) break
      await Promise.allSettled(pending)
    }
    for (const sha256 of held) this.counts.set(sha256, (this.counts.get(sha256) ?? 0) + 1)
    return async () => {
      for (const sha256 of held) {
        const left = (this.counts.get(sha256) ?? 1) - 1
        if (left === 0) this.counts.delete(sha256)
        else this.counts.set(sha256, left)
      }
    }
  }

  async isClaimed(sha256: string): Promise<boolean> {
    return this.counts.has(sha256)
  }

  async removeUnclaimed(sha256: string, remove: () => Promise<void>): Promise<boolean> {
    for (;;) {
      const earlier = this.removals.get(sha256)
      if (earlier === undefined) break
      await Promise.allSettled([earlier])
    }
    if (this.counts.has(sha256)) return false
    const removal = remove()
    this.removals.set(sha256, removal)
    try {
      await removal
    } finally {
      this.removals.delete(sha256)
    }
    return true
  }
}

/** Every unfinished entry is this process's: the process that left it is gone (it held the data dir). */
export class SingleWriterRecovery implements RecoveryScope {
  async mine<T extends RecoverableEntry>(entries: readonly T[]): Promise<T[]> {
    return [...entries]
  }
}

/** No other process shares the log: the turn is always free (the caller runs one at a time itself). */
export class SingleWriterRun implements ExclusiveRun {
  async run<T>(work: () => Promise<T>): Promise<TurnOutcome<T>> {
    return { ran: true, value: await work() }
  }
}

export function inProcessCoordination(): Coordination {
  return {
    sessions: new InProcessSessionLocks(),
    idempotency: new InProcessIdempotencyWaits(),
    objects: new InProcessObjectClaims(),
    recovery: new SingleWriterRecovery(),
    collector: new SingleWriterRun(),
  }
}
