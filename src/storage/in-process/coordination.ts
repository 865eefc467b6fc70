// In-process coordination: correct because one process writes a data dir (the single-writer rule,
// enforced by storage/data-dir-lock.ts before anything is opened).
import type { Coordination, IdempotencyWaits, ObjectClaims, RecoverableEntry, RecoveryScope, SessionLocks } from '../../domain/ports.js'
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

/** Counts the commits in flight that need each object. */
export class InProcessObjectClaims implements ObjectClaims {
  private readonly counts = new Map<string, number>()

  async claim(sha256s: readonly string[]): Promise<() => Promise<void>> {
    const held = [...sha256s]
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
}

/** Every unfinished entry is this process's: the process that left it is gone (it held the data dir). */
export class SingleWriterRecovery implements RecoveryScope {
  async mine<T extends RecoverableEntry>(entries: readonly T[]): Promise<T[]> {
    return [...entries]
  }
}

export function inProcessCoordination(): Coordination {
  return {
    sessions: new InProcessSessionLocks(),
    idempotency: new InProcessIdempotencyWaits(),
    objects: new InProcessObjectClaims(),
    recovery: new SingleWriterRecovery(),
  }
}
