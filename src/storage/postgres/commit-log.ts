// The log on PostgreSQL: entries, their transitions, artifact versions and idempotency keys. Commits of
// concurrent writers share one transaction (group-commit.ts); every write holds the log's write lock.
// Same meaning as ../sqlite/commit-log.ts, statement for statement where it can be.
import { COMMIT_STATES, type CommitState } from '../../domain/commit-state.js'
import { countsFor } from '../../domain/counts.js'
import { headMoved } from '../../domain/preconditions.js'
import { StorageFault } from '../../domain/errors.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions, EntryChange, EntryKind } from '../../domain/model.js'
import type {
  CommitFilter, CommitLog, EndedAttempt, MarkCommittedOptions, ExpiryCandidate, ExpiryQuery, HistoryHorizon, HistoryPruneQuery, HistoryPruneResult, PendingCommit, PendingEntry, PlannedArtifact, StoredIdempotencyKey, UnsettledCommit,
} from '../../domain/ports.js'
import { GroupCommit } from './group-commit.js'
import { historyHorizon, pruneHistory } from './history.js'
import { assertKeyFree, keyHolder, releaseKey, takeKey } from './idempotency-keys.js'
import { addTransition, moveSessionHead, mustSeq } from './log-entries.js'
import * as read from './log-queries.js'
import { COUNTER_FAMILIES } from './pg-counters.js'
import { OBJECT_LOCKS, type PgRunner, type Q } from './pg-runner.js'
import { expirable } from './removals.js'
import { jsonText, type CommitRow } from '../sql-rows.js'
import { addExpected, ensureSession, lockSession, rederive } from './session-rows.js'

async function insertArtifacts(q: Q, seq: number, sessionId: string, artifacts: readonly PlannedArtifact[]): Promise<void> {
  for (const [position, a] of artifacts.entries()) {
    await q`INSERT INTO commit_artifacts (commit_seq, position, session_id, name, sha256, size, media_type)
      VALUES (${seq}, ${position}, ${sessionId}, ${a.name}, ${a.sha256}, ${a.size}, ${a.mediaType})`
  }
}

/**
 * The pending entry is the commit's claim on its objects across replicas (object-claims.ts): each object's
 * lock, shared, until the entry is committed, so a deletion of one of them either ends before the entry lands
 * (the upload after it then finds the object absent and writes it) or sees the entry and leaves the object.
 * Taken after the log's write lock; a deletion holds one object's lock and never waits for the write lock, so
 * this cannot close a cycle (sorted anyway, so two of these never wait on each other in two orders).
 */
async function claimObjects(q: Q, artifacts: readonly PlannedArtifact[]): Promise<void> {
  const digests = [...new Set(artifacts.map((a) => a.sha256))].sort()
  for (const sha256 of digests) await q`SELECT pg_advisory_xact_lock_shared(${OBJECT_LOCKS}::int, hashtext(${sha256}))`
}

export class PgCommitLog implements CommitLog {
  private readonly group: GroupCommit

  constructor(private readonly run: PgRunner) {
    this.group = new GroupCommit(run, 'log-group-commit')
  }

  private read<T>(work: (q: Q) => Promise<T>): Promise<T> {
    return this.run.read('log-read', work)
  }

  headSeq(sessionId: string): Promise<number> {
    return this.read(async (q) => (await q<{ head_seq: number }[]>`SELECT head_seq FROM sessions WHERE id = ${sessionId}`)[0]?.head_seq ?? 0)
  }

  sessionExists(sessionId: string): Promise<boolean> {
    return this.read(async (q) => (await q`SELECT 1 FROM sessions WHERE id = ${sessionId}`).length > 0)
  }

  latestVersions(sessionId: string, atSeq?: number): Promise<ArtifactVersion[]> {
    return this.read((q) => read.latestVersions(q, sessionId, atSeq))
  }

  latestVersion(sessionId: string, name: string, atSeq?: number): Promise<ArtifactVersion | undefined> {
    return this.read((q) => read.latestVersion(q, sessionId, name, atSeq))
  }

  version(sessionId: string, name: string, version: number): Promise<ArtifactVersion | undefined> {
    return this.read((q) => read.version(q, sessionId, name, version))
  }

  versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    return this.read((q) => read.versionHistory(q, sessionId, name))
  }

  findNameConflict(sessionId: string, names: readonly string[]): Promise<{ name: string; existing: string } | undefined> {
    return this.read((q) => read.findNameConflict(q, sessionId, names))
  }

  /** Batched with concurrent writes: resolves once the pending row is committed. */
  insertPending(commit: PendingCommit): Promise<number> {
    return this.group.submit(async (tx) => {
      const { idempotency } = commit
      // Under the write lock: of two replicas' duplicates, the second sees the first's key here and writes nothing.
      if (idempotency !== undefined) await assertKeyFree(tx, commit.sessionId, idempotency)
      await claimObjects(tx, commit.artifacts)
      const now = this.run.now()
      await ensureSession(tx, commit.sessionId, now, commit.newSessionDeadline)
      const [row] = await tx<{ seq: number }[]>`INSERT INTO commits (id, session_id, state, message, metadata, created_at)
        VALUES (${commit.id}, ${commit.sessionId}, 'pending', ${commit.message}, ${jsonText(commit.metadata)}, ${now}) RETURNING seq`
      const seq = mustSeq(row)
      await addTransition(tx, seq, null, 'pending', now, null)
      await insertArtifacts(tx, seq, commit.sessionId, commit.artifacts)
      if (idempotency !== undefined) await takeKey(tx, commit.sessionId, idempotency, seq, now)
      return seq
    })
  }

  /** Batched with concurrent writes: resolves once the commit is durably `committed`. */
  markCommitted(seq: number, options: MarkCommittedOptions = {}): Promise<void> {
    const { expect, sessionHead } = options
    return this.group.submit(async (tx) => {
      const now = this.run.now()
      const [commit] = await tx<{ session_id: string; state: CommitState }[]>`SELECT session_id, state FROM commits WHERE seq = ${seq} FOR UPDATE`
      // Another replica took this one for dead (its connection to the log went) and aborted the entry:
      // a fault of this replica's hold on the log, not a bug. The commit fails; nothing of it is published.
      if (commit?.state === 'aborted') throw new StorageFault(`commit ${seq} was aborted by another replica of the log`, { step: 'log-commit', path: 'postgresql' })
      if (commit?.state !== 'pending') throw new Error(`commit ${seq} is not pending`)
      const sessionId = commit.session_id
      // Versions are numbered under the session's row lock: a concurrent commit to the session waits for it.
      const session = await lockSession(tx, sessionId)
      // A session If-Match is re-checked here, under the row lock: another replica may have moved the head.
      if (sessionHead !== undefined && session.headSeq !== sessionHead) throw headMoved(sessionHead, session.headSeq)
      const artifacts = await tx<{ position: number; name: string; sha256: string; size: number }[]>`
        SELECT position, name, sha256, size FROM commit_artifacts WHERE commit_seq = ${seq} ORDER BY position`
      for (const artifact of artifacts) {
        // Numbers continue after a deletion (the removed versions keep theirs): never from the latest row.
        const [previous] = await tx<{ version: number | null }[]>`SELECT MAX(version) AS version FROM commit_artifacts
          WHERE session_id = ${sessionId} AND name = ${artifact.name} AND version IS NOT NULL`
        const version = (previous?.version ?? 0) + 1
        await tx`UPDATE commit_artifacts SET version = ${version} WHERE commit_seq = ${seq} AND position = ${artifact.position}`
        await tx`INSERT INTO latest_artifacts (session_id, name, version, sha256, commit_seq) VALUES (${sessionId}, ${artifact.name}, ${version}, ${artifact.sha256}, ${seq})
          ON CONFLICT (session_id, name) DO UPDATE SET version = EXCLUDED.version, sha256 = EXCLUDED.sha256, commit_seq = EXCLUDED.commit_seq`
        await tx`INSERT INTO objects (sha256, size, created_at) VALUES (${artifact.sha256}, ${artifact.size}, ${now})
          ON CONFLICT (sha256) DO UPDATE SET state = 'ok', released_at = NULL`
      }
      // The expectations a commit declares land with its bytes, so no reader sees one without the other.
      const added = expect === undefined ? [] : await addExpected(tx, sessionId, expect, now)
      const change: EntryChange | undefined = added.length === 0 ? undefined : { expect: { add: added, remove: [] } }
      await tx`UPDATE commits SET state = 'committed', finished_at = ${now}, needs_recovery = false, change = ${jsonText(change)} WHERE seq = ${seq}`
      await addTransition(tx, seq, 'pending', 'committed', now, null)
      await moveSessionHead(tx, sessionId, seq, now)
      await rederive(tx, sessionId, now)
      // The key this entry took with its pending row (if any) stays where it is: now the key's result. No
      // duplicate can have taken it meanwhile (insertPending refuses a held key), so nothing is re-checked.
    })
  }

  markFailed(seq: number, error: CommitError, settled: boolean): Promise<void> {
    return this.finish(seq, 'failed', error, settled)
  }

  markAborted(seq: number, error: CommitError): Promise<void> {
    return this.finish(seq, 'aborted', error, false)
  }

  private finish(seq: number, to: 'failed' | 'aborted', error: CommitError, settled: boolean): Promise<void> {
    return this.run.write(`log-${to}`, async (tx) => {
      const now = this.run.now()
      const changed = await tx`UPDATE commits SET state = ${to}, finished_at = ${now}, error_code = ${error.code}, error_detail = ${error.detail},
        error_facts = ${jsonText(error.facts)}, needs_recovery = ${!settled} WHERE seq = ${seq} AND state = 'pending' RETURNING seq`
      if (changed.length === 0) return
      await addTransition(tx, seq, 'pending', to, now, `${error.code}: ${error.detail}`)
      // Recovery's aborts and the replica sweep's (a dead replica's entries) come through here too.
      await releaseKey(tx, seq)
    })
  }

  markSettled(seq: number): Promise<void> {
    return this.run.write('log-settled', async (tx) => {
      await tx`UPDATE commits SET needs_recovery = false WHERE seq = ${seq}`
    })
  }

  recordEnded(attempt: EndedAttempt): Promise<void> {
    return this.run.write(`log-${attempt.state}`, async (tx) => {
      // Recorded late (the log was failing when the attempt ended) and perhaps more than once: one row per id.
      if ((await tx`SELECT 1 FROM commits WHERE id = ${attempt.id}`).length > 0) return
      const now = this.run.now()
      const { error } = attempt
      await ensureSession(tx, attempt.sessionId, now, attempt.newSessionDeadline)
      const [row] = await tx<{ seq: number }[]>`INSERT INTO commits (id, session_id, state, created_at, finished_at, error_code, error_detail, error_facts, needs_recovery)
        VALUES (${attempt.id}, ${attempt.sessionId}, ${attempt.state}, ${now}, ${now}, ${error.code}, ${error.detail}, ${jsonText(error.facts)}, false) RETURNING seq`
      const seq = mustSeq(row)
      await addTransition(tx, seq, null, attempt.state, now, `${error.code}: ${error.detail}`)
      await insertArtifacts(tx, seq, attempt.sessionId, attempt.artifacts)
    })
  }

  pendingCommits(): Promise<PendingEntry[]> {
    return this.read(async (q) => (await q<{ seq: number; id: string; session_id: string }[]>`SELECT seq, id, session_id FROM commits WHERE state = 'pending' ORDER BY seq`)
      .map((row) => ({ seq: row.seq, id: row.id, sessionId: row.session_id })))
  }

  unsettledCommits(): Promise<UnsettledCommit[]> {
    return this.read(async (q) => {
      const rows = await q<{ seq: number; id: string; session_id: string; state: CommitState; kind: EntryKind }[]>`
        SELECT seq, id, session_id, state, kind FROM commits WHERE needs_recovery ORDER BY seq`
      const unsettled: UnsettledCommit[] = []
      for (const row of rows) {
        // A delete or expire entry touched the names whose versions it removed; their objects are the GC's.
        const artifacts = row.kind === 'delete' || row.kind === 'expire'
          ? await q<{ name: string; sha256: null }[]>`SELECT DISTINCT name, NULL::text AS sha256 FROM commit_artifacts WHERE removed_seq = ${row.seq} ORDER BY name`
          : await q<{ name: string; sha256: string | null }[]>`SELECT name, sha256 FROM commit_artifacts WHERE commit_seq = ${row.seq} ORDER BY position`
        unsettled.push({ seq: row.seq, id: row.id, sessionId: row.session_id, state: row.state, artifacts: artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })) })
      }
      return unsettled
    })
  }

  isObjectReferenced(sha256: string): Promise<boolean> {
    return this.read(async (q) => (await q`SELECT 1 FROM commit_artifacts WHERE sha256 = ${sha256} AND version IS NOT NULL LIMIT 1`).length > 0)
  }

  expirable(query: ExpiryQuery): Promise<ExpiryCandidate[]> {
    return this.read((q) => expirable(q, query))
  }

  pruneHistory(prune: HistoryPruneQuery): Promise<HistoryPruneResult> {
    return this.run.write('log-prune-history', (tx) => pruneHistory(tx, prune))
  }

  historyHorizon(): Promise<HistoryHorizon> {
    return this.read((q) => historyHorizon(q))
  }

  idempotencyKey(sessionId: string, key: string): Promise<StoredIdempotencyKey | undefined> {
    return this.read((q) => keyHolder(q, sessionId, key))
  }

  commitBySeq(seq: number): Promise<CommitRecord | undefined> {
    return this.read((q) => read.commitBySeq(q, seq))
  }

  commitById(id: string): Promise<CommitWithTransitions | undefined> {
    return this.read((q) => read.commitById(q, id))
  }

  listCommits(filter: CommitFilter): Promise<CommitRecord[]> {
    return this.read((q) => read.listCommits(q, filter))
  }

  lastSeq(): Promise<number> {
    return this.read(async (q) => (await q<{ seq: number }[]>`SELECT COALESCE(MAX(seq), 0) AS seq FROM commits`)[0]?.seq ?? 0)
  }

  referencedObjects(sessionId?: string): Promise<{ sha256: string; size: number }[]> {
    return this.read((q) => q<{ sha256: string; size: number }[]>`SELECT DISTINCT sha256, size FROM commit_artifacts
      WHERE version IS NOT NULL AND removed_seq IS NULL AND (${sessionId ?? null}::text IS NULL OR session_id = ${sessionId ?? null}::text) ORDER BY sha256`)
      .then((rows) => rows.map(({ sha256, size }) => ({ sha256, size })))
  }

  latestForVerify(sessionId?: string): Promise<{ sessionId: string; name: string; sha256: string }[]> {
    return this.read(async (q) => (await q<{ session_id: string; name: string; sha256: string }[]>`SELECT session_id, name, sha256 FROM latest_artifacts
      WHERE (${sessionId ?? null}::text IS NULL OR session_id = ${sessionId ?? null}::text) ORDER BY session_id, name`)
      .map((row) => ({ sessionId: row.session_id, name: row.name, sha256: row.sha256 })))
  }

  commitCounts(): Promise<Record<CommitState, number>> {
    return this.read(async (q) => countsFor(COMMIT_STATES, await read.readCounters(q, COUNTER_FAMILIES.commitsByState)))
  }

  lastCommit(): Promise<CommitRecord | undefined> {
    return this.newest('committed')
  }

  lastFailure(): Promise<CommitRecord | undefined> {
    return this.newest('failed')
  }

  /** The entry a `newest` seq of the counters names (pg-counters.ts): two lookups by key. */
  private newest(key: 'committed' | 'failed'): Promise<CommitRecord | undefined> {
    return this.read(async (q) => {
      const seq = (await read.readCounters(q, COUNTER_FAMILIES.newest)).get(key)
      if (seq === undefined) return undefined
      return (await read.toRecords(q, await q<CommitRow[]>`SELECT * FROM commits WHERE seq = ${seq}`))[0]
    })
  }

  close(): Promise<void> {
    return this.run.close()
  }
}
