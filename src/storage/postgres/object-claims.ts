// Object claims across the replicas of one PostgreSQL log, as the registry GCs of distribution and GitLab
// do it: a commit's pending entry (its commit_artifacts rows, inserted before any byte is uploaded) is its
// durable claim on each object, and a deletion runs under an exclusive per-object advisory lock that the
// transaction inserting a pending entry takes in shared mode (commit-log.ts insertPending). Either the entry
// lands first and the deletion, checking after taking its lock, sees it and leaves the object; or the
// deletion finishes first and the claimant, uploading after its entry, finds no object and writes it.
// This replica's own commits claim in-process too (the inner claims): its entries are left to those, since a
// failed commit's undo runs while its own entry is still pending.
import type { ObjectClaims } from '../../domain/ports.js'
import { toStorageFailure } from './pg-errors.js'
import { OBJECT_LOCKS, type PgSql, type Q } from './pg-runner.js'

/** Whose unfinished entries this replica answers for: its own, and those of gone replicas it adopted. */
export interface ClaimScope {
  ownersRecoveredHere(): string[]
}

export class PgObjectClaims implements ObjectClaims {
  readonly coversEveryRemover = false
  /** This process's deletions, one at a time: each holds a pooled connection while its object goes. */
  private tail: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly sql: PgSql,
    private readonly scope: ClaimScope,
    private readonly inner: ObjectClaims,
  ) {}

  /** The durable claim is the pending entry, already inserted; this adds the in-process count. */
  claim(sha256s: readonly string[]): Promise<() => Promise<void>> {
    return this.inner.claim(sha256s)
  }

  async isClaimed(sha256: string): Promise<boolean> {
    if (await this.inner.isClaimed(sha256)) return true
    try {
      return await this.claimedElsewhere(this.sql, sha256)
    } catch (error) {
      throw toStorageFailure('object-claims', error)
    }
  }

  /**
   * In a transaction holding the object's lock exclusively, and nothing else: never the log's write lock,
   * which a pending entry's transaction holds while it waits for this lock (taking it here would be a cycle).
   * `remove` only reads the log and deletes from the store. Resolves once the transaction has ended, so a
   * claimant waiting on the lock then finds the object gone.
   */
  removeUnclaimed(sha256: string, remove: () => Promise<void>): Promise<boolean> {
    const run = this.tail.then(async () => {
      let removed = false
      try {
        await this.sql.begin(async (tx) => {
          await tx`SELECT pg_advisory_xact_lock(${OBJECT_LOCKS}::int, hashtext(${sha256}))`
          if (await this.claimedElsewhere(tx, sha256)) return
          removed = await this.inner.removeUnclaimed(sha256, remove)
        })
      } catch (error) {
        throw toStorageFailure('object-claims', error)
      }
      return removed
    })
    // The caller gets `run`'s rejection; the queue only needs to know it ended, so the next deletion may start.
    // The catch also marks `run` handled while its caller awaits other things (as in pg-runner.ts).
    this.tail = run.catch(() => undefined)
    return run
  }

  /** A pending (or not yet settled) entry of another live replica names the object. */
  private async claimedElsewhere(q: Q, sha256: string): Promise<boolean> {
    const excluded = this.scope.ownersRecoveredHere()
    const rows = await q`SELECT 1 FROM commit_artifacts a JOIN commits c ON c.seq = a.commit_seq
      WHERE a.sha256 = ${sha256} AND (c.state = 'pending' OR c.needs_recovery)
        AND COALESCE(c.owner, '') <> ALL(${excluded}::text[]) LIMIT 1`
    return rows.length > 0
  }
}
