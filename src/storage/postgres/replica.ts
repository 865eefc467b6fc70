// This process as one replica of the log: it announces itself with a row in `replicas` and a session-level
// advisory lock on that row's key, held on a reserved connection for the process's life. The lock is the
// liveness signal: the server drops it the moment the connection goes (the process died, was killed, or
// lost the network), so a replica whose lock can be taken is gone. Every log entry records its owner
// (commits.owner, stamped from the connection's `ledger.replica` setting: pg-runner.ts), and recovery ends
// only the entries of this replica and of replicas that are gone, never another live replica's in-flight
// work. A gone replica's entries are adopted by taking its lock: whoever holds it recovers them, so two
// replicas never recover one dead replica at once; once none is left unfinished its row goes and the lock
// is let go.
import type { RecoverableEntry, RecoveryScope } from '../../domain/ports.js'
import { LOCKS, type PgSql, type PgTypes } from './pg-runner.js'
import { toStorageFailure } from './pg-errors.js'
import type postgres from 'postgres'

type Reserved = postgres.ReservedSql<PgTypes>

/** The advisory lock of one replica: (REPLICA_LOCKS, its lock_key); entries without an owner share (app, ownerless). */
export const REPLICA_LOCKS = 0x4c4552 // "LER"

interface LockKey {
  space: number
  key: number
}

const OWNERLESS: LockKey = { space: LOCKS.app, key: LOCKS.ownerless }

export class PgReplica implements RecoveryScope {
  /** Owners (a replica id, or '' for entries without one) whose lock this replica took to recover them. */
  private readonly adopted = new Map<string, LockKey>()
  private reserved: Reserved | undefined
  /** False once the connection holding it went, until it is taken again (stillAnnounced). */
  private holdsOwnLock = false
  private closed = false

  constructor(readonly id: string, private readonly sql: PgSql) {}

  /** Takes a connection of its own, records this replica and takes its lock; until close(). */
  async announce(now: string): Promise<void> {
    try {
      this.holdsOwnLock = await this.takeOwnLock(now, { wait: true })
    } catch (error) {
      throw toStorageFailure('replica-announce', error)
    }
  }

  /**
   * Resolves once this replica holds its own lock again after its connection went (the server restarted,
   * the network dropped): the lock went with it, and another replica may have taken this one for dead and
   * ended its pending entries (their commits then fail: markCommitted refuses an entry no longer pending).
   * Announces itself anew once whoever took over has let go; false while that has not happened.
   */
  private async stillAnnounced(now: string): Promise<boolean> {
    if (this.closed) throw new Error('the replica is closed')
    const reserved = this.reserved
    try {
      if (reserved !== undefined) await reserved`SELECT 1`
    } catch {
      reserved?.release()
      this.reserved = undefined
      this.holdsOwnLock = false
      this.adopted.clear()
    }
    if (!this.holdsOwnLock) this.holdsOwnLock = await this.takeOwnLock(now, { wait: false })
    return this.holdsOwnLock
  }

  private async takeOwnLock(now: string, options: { wait: boolean }): Promise<boolean> {
    const reserved = this.reserved ?? (await this.sql.reserve())
    this.reserved = reserved
    // One statement: others see the row only once its lock is held, so no replica ever finds it unlocked
    // and takes a starting replica for dead. A fresh id's key is free: only a replica that took this one
    // for dead (after its connection went) can be holding it.
    const [row] = options.wait
      ? await reserved<{ got: boolean }[]>`WITH announced AS (INSERT INTO replicas (id, started_at) VALUES (${this.id}, ${now})
          ON CONFLICT (id) DO UPDATE SET started_at = EXCLUDED.started_at RETURNING lock_key)
        SELECT true AS got, pg_advisory_lock(${REPLICA_LOCKS}::int, lock_key)::text AS locked FROM announced`
      : await reserved<{ got: boolean }[]>`WITH announced AS (INSERT INTO replicas (id, started_at) VALUES (${this.id}, ${now})
          ON CONFLICT (id) DO UPDATE SET started_at = EXCLUDED.started_at RETURNING lock_key)
        SELECT pg_try_advisory_lock(${REPLICA_LOCKS}::int, lock_key) AS got FROM announced`
    return row?.got === true
  }

  /**
   * Start-up recovery's scope: this replica's own entries (none for a fresh id; a ledger restarted in the
   * same process has its own) and those of replicas that are gone.
   */
  async mine<T extends RecoverableEntry>(entries: readonly T[]): Promise<T[]> {
    return this.select(entries, true)
  }

  /** The background sweep's scope while serving: only gone replicas' entries (this one's may be in flight). */
  async orphaned<T extends RecoverableEntry>(entries: readonly T[]): Promise<T[]> {
    return this.select(entries, false)
  }

  /**
   * The owners whose unfinished entries this replica answers for: itself and the gone replicas it adopted
   * ('' for entries without an owner). Object claims (object-claims.ts) count every other owner's entries.
   */
  ownersRecoveredHere(): string[] {
    return [this.id, ...this.adopted.keys()]
  }

  /** Lets go of the replicas it has adopted and leaves the log's list of replicas. */
  async close(): Promise<void> {
    const reserved = this.reserved
    this.closed = true
    if (reserved === undefined) return
    this.reserved = undefined
    try {
      await reserved`DELETE FROM replicas WHERE id = ${this.id}`
      await reserved`SELECT pg_advisory_unlock_all()`
    } catch {
      // The connection is gone already: so are its locks, which is all closing is for.
    } finally {
      reserved.release()
    }
  }

  private async select<T extends RecoverableEntry>(entries: readonly T[], includeOwn: boolean): Promise<T[]> {
    try {
      // Without its own lock this replica might be taken for dead itself: it recovers nothing meanwhile.
      if (!(await this.stillAnnounced(new Date().toISOString()))) return []
      const reserved = this.connection()
      await this.forgetGone(reserved)
      await this.letGoOfFinished(reserved)
      if (entries.length === 0) return []
      const rows = await reserved<{ seq: number; owner: string | null }[]>`SELECT seq, owner FROM commits WHERE seq = ANY(${entries.map((e) => e.seq)}::bigint[])`
      const ownerOf = new Map(rows.map((row) => [row.seq, row.owner ?? '']))
      const recoverable = new Set<string>()
      for (const owner of new Set(ownerOf.values())) {
        if (owner === this.id ? includeOwn : await this.adopt(reserved, owner)) recoverable.add(owner)
      }
      return entries.filter((entry) => recoverable.has(ownerOf.get(entry.seq) ?? ''))
    } catch (error) {
      throw toStorageFailure('replica-scope', error)
    }
  }

  /** True when this replica holds `owner`'s lock: taken now (the owner is gone) or earlier. */
  private async adopt(reserved: Reserved, owner: string): Promise<boolean> {
    if (this.adopted.has(owner)) return true
    const [row] = owner === '' ? [] : await reserved<{ lock_key: number }[]>`SELECT lock_key FROM replicas WHERE id = ${owner}`
    // An owner without a row was recovered and forgotten, or wrote before replicas were recorded.
    const lock = row === undefined ? OWNERLESS : { space: REPLICA_LOCKS, key: row.lock_key }
    const [taken] = await reserved<{ got: boolean }[]>`SELECT pg_try_advisory_lock(${lock.space}::int, ${lock.key}::int) AS got`
    if (taken?.got !== true) return false
    this.adopted.set(owner, lock)
    return true
  }

  /**
   * Replicas that are gone and left nothing to recover (a clean stop, or a crash between commits) leave
   * their row behind: taking their lock proves them gone, and the row goes. Those that left entries are
   * adopted here, to be recovered by this replica.
   */
  private async forgetGone(reserved: Reserved): Promise<void> {
    const others = await reserved<{ id: string }[]>`SELECT id FROM replicas WHERE id <> ${this.id}`
    for (const { id } of others) {
      if (!this.adopted.has(id)) await this.adopt(reserved, id)
    }
  }

  /** Adopted owners with nothing left to recover: their row goes (a gone replica's), their lock is let go. */
  private async letGoOfFinished(reserved: Reserved): Promise<void> {
    for (const [owner, lock] of this.adopted) {
      const left = await reserved`SELECT 1 FROM commits WHERE (state = 'pending' OR needs_recovery) AND owner IS NOT DISTINCT FROM ${owner === '' ? null : owner}::text LIMIT 1`
      if (left.length > 0) continue
      if (owner !== '') await reserved`DELETE FROM replicas WHERE id = ${owner}`
      await reserved`SELECT pg_advisory_unlock(${lock.space}::int, ${lock.key}::int)`
      this.adopted.delete(owner)
    }
  }

  private connection(): Reserved {
    if (this.reserved === undefined) throw new Error('the replica has not announced itself (or is closed)')
    return this.reserved
  }
}
