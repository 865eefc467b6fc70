// The SQLite transaction log: commits, their transitions, artifact versions and idempotency keys.
// Synchronous inside (better-sqlite3), asynchronous at the port; commits of concurrent writers share
// one transaction and one WAL fsync (group-commit.ts).
import { COMMIT_STATES, type CommitState } from '../../domain/commit-state.js'
import { countsFor } from '../../domain/counts.js'
import { headMoved } from '../../domain/preconditions.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions, EntryChange, EntryKind } from '../../domain/model.js'
import type {
  CommitFilter, CommitLog, EndedAttempt, MarkCommittedOptions, ExpiryCandidate, ExpiryQuery, HistoryHorizon, HistoryPruneQuery, HistoryPruneResult, PendingCommit, PendingEntry, PlannedArtifact, StoredIdempotencyKey, UnsettledCommit,
} from '../../domain/ports.js'
import { COUNTER_FAMILIES } from './counters.js'
import { GroupCommit } from './group-commit.js'
import { historyHorizon, pruneHistory } from './history.js'
import { assertKeyFree, keyHolder, releaseKey, takeKey } from './idempotency-keys.js'
import { addTransition, moveSessionHead } from './log-entries.js'
import * as query from './log-queries.js'
import { expirable } from './removals.js'
import type { CommitRow } from '../sql-rows.js'
import type { SqliteSessionStore } from './session-store.js'
import type { SqlRunner } from './sql-runner.js'
import { toStorageFailure } from './sqlite-errors.js'

export class SqliteCommitLog implements CommitLog {
  private readonly group: GroupCommit

  constructor(
    private readonly run: SqlRunner,
    /** Commits create sessions and move closed ones between complete and incomplete. */
    private readonly sessions: SqliteSessionStore,
    /** Shared with whatever else writes small rows beside commits (inline objects), so they share fsyncs. */
    group?: GroupCommit,
  ) {
    this.group = group ?? logGroupCommit(run)
  }

  private read<T>(work: (run: SqlRunner) => T): Promise<T> {
    return this.run.read('log-read', () => work(this.run))
  }

  headSeq(sessionId: string): Promise<number> {
    return this.read((run) => (run.sql('SELECT head_seq FROM sessions WHERE id = ?').get(sessionId) as { head_seq: number } | undefined)?.head_seq ?? 0)
  }

  sessionExists(sessionId: string): Promise<boolean> {
    return this.read((run) => run.sql('SELECT 1 FROM sessions WHERE id = ?').get(sessionId) !== undefined)
  }

  latestVersions(sessionId: string, atSeq?: number): Promise<ArtifactVersion[]> {
    return this.read((run) => query.latestVersions(run, sessionId, atSeq))
  }

  latestVersion(sessionId: string, name: string, atSeq?: number): Promise<ArtifactVersion | undefined> {
    return this.read((run) => query.latestVersion(run, sessionId, name, atSeq))
  }

  version(sessionId: string, name: string, version: number): Promise<ArtifactVersion | undefined> {
    return this.read((run) => query.version(run, sessionId, name, version))
  }

  versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    return this.read((run) => query.versionHistory(run, sessionId, name))
  }

  findNameConflict(sessionId: string, names: readonly string[]): Promise<{ name: string; existing: string } | undefined> {
    return this.read((run) => query.findNameConflict(run, sessionId, names))
  }

  private insertArtifacts(seq: number, sessionId: string, artifacts: readonly PlannedArtifact[]): void {
    const insert = this.run.sql(`INSERT INTO commit_artifacts (commit_seq, position, session_id, name, sha256, size, media_type)
      VALUES (?, ?, ?, ?, ?, ?, ?)`)
    artifacts.forEach((a, position) => insert.run(seq, position, sessionId, a.name, a.sha256, a.size, a.mediaType))
  }

  /** Batched with concurrent writes: resolves once the pending row is durable. */
  insertPending(commit: PendingCommit): Promise<number> {
    return this.group.submit(() => this.run.writeNow('log-pending', () => {
      const { idempotency } = commit
      if (idempotency !== undefined) assertKeyFree(this.run, commit.sessionId, idempotency)
      const now = this.run.now()
      this.sessions.ensure(commit.sessionId, now, commit.newSessionDeadline)
      const { lastInsertRowid } = this.run.sql(`INSERT INTO commits (id, session_id, state, message, metadata, created_at)
        VALUES (?, ?, 'pending', ?, ?, ?)`).run(
        commit.id, commit.sessionId, commit.message,
        commit.metadata === null ? null : JSON.stringify(commit.metadata), now,
      )
      const seq = Number(lastInsertRowid)
      addTransition(this.run, seq, null, 'pending', now, null)
      this.insertArtifacts(seq, commit.sessionId, commit.artifacts)
      if (idempotency !== undefined) takeKey(this.run, commit.sessionId, idempotency, seq, now)
      return seq
    }))
  }

  /** Batched with concurrent writes: resolves once the commit is durably `committed`. */
  markCommitted(seq: number, options: MarkCommittedOptions = {}): Promise<void> {
    const { expect, sessionHead } = options
    return this.group.submit(() => this.run.writeNow('log-committed', () => {
      const now = this.run.now()
      const sql = (text: string) => this.run.sql(text)
      const commit = sql("SELECT session_id FROM commits WHERE seq = ? AND state = 'pending'").get(seq) as { session_id: string } | undefined
      if (commit === undefined) throw new Error(`commit ${seq} is not pending`)
      const sessionId = commit.session_id
      if (sessionHead !== undefined) {
        const head = (sql('SELECT head_seq FROM sessions WHERE id = ?').get(sessionId) as { head_seq: number } | undefined)?.head_seq ?? 0
        if (head !== sessionHead) throw headMoved(sessionHead, head)
      }
      const artifacts = sql('SELECT position, name, sha256, size FROM commit_artifacts WHERE commit_seq = ? ORDER BY position')
        .all(seq) as { position: number; name: string; sha256: string; size: number }[]
      for (const artifact of artifacts) {
        // Numbers continue after a deletion (the removed versions keep theirs): never from the latest row.
        const previous = sql('SELECT MAX(version) AS version FROM commit_artifacts WHERE session_id = ? AND name = ? AND version IS NOT NULL')
          .get(sessionId, artifact.name) as { version: number | null }
        const version = (previous.version ?? 0) + 1
        sql('UPDATE commit_artifacts SET version = ? WHERE commit_seq = ? AND position = ?').run(version, seq, artifact.position)
        sql(`INSERT INTO latest_artifacts (session_id, name, version, sha256, commit_seq) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (session_id, name) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, commit_seq = excluded.commit_seq`)
          .run(sessionId, artifact.name, version, artifact.sha256, seq)
        sql(`INSERT INTO objects (sha256, size, created_at) VALUES (?, ?, ?)
          ON CONFLICT (sha256) DO UPDATE SET state = 'ok', released_at = NULL`).run(artifact.sha256, artifact.size, now)
      }
      // The expectations a commit declares land with its bytes, so no reader sees one without the other.
      const added = expect === undefined ? [] : this.sessions.addExpected(sessionId, expect, now)
      const change: EntryChange | undefined = added.length === 0 ? undefined : { expect: { add: added, remove: [] } }
      sql("UPDATE commits SET state = 'committed', finished_at = ?, needs_recovery = 0, change = ? WHERE seq = ?")
        .run(now, change === undefined ? null : JSON.stringify(change), seq)
      addTransition(this.run, seq, 'pending', 'committed', now, null)
      moveSessionHead(this.run, sessionId, seq, now)
      this.sessions.rederive(sessionId, now)
      // The key this entry took with its pending row (if any) stays where it is: now the key's result. No
      // duplicate can have taken it meanwhile (insertPending refuses a held key), so nothing is re-checked.
    }))
  }

  markFailed(seq: number, error: CommitError, settled: boolean): Promise<void> {
    return this.finish(seq, 'failed', error, settled)
  }

  markAborted(seq: number, error: CommitError): Promise<void> {
    return this.finish(seq, 'aborted', error, false)
  }

  private finish(seq: number, to: 'failed' | 'aborted', error: CommitError, settled: boolean): Promise<void> {
    return this.run.write(`log-${to}`, () => {
      const now = this.run.now()
      const changed = this.run.sql(`UPDATE commits SET state = ?, finished_at = ?, error_code = ?, error_detail = ?, error_facts = ?,
        needs_recovery = ? WHERE seq = ? AND state = 'pending'`).run(
        to, now, error.code, error.detail, error.facts === undefined ? null : JSON.stringify(error.facts), settled ? 0 : 1, seq,
      )
      if (changed.changes === 0) return
      addTransition(this.run, seq, 'pending', to, now, `${error.code}: ${error.detail}`)
      // Only a committed attempt consumes its key (recovery's aborts come through here too).
      releaseKey(this.run, seq)
    })
  }

  markSettled(seq: number): Promise<void> {
    return this.run.write('log-settled', () => {
      this.run.sql('UPDATE commits SET needs_recovery = 0 WHERE seq = ?').run(seq)
    })
  }

  recordEnded(attempt: EndedAttempt): Promise<void> {
    return this.run.write(`log-${attempt.state}`, () => {
      // Recorded late (the log was failing when the attempt ended) and perhaps more than once: one row per id.
      if (this.run.sql('SELECT 1 FROM commits WHERE id = ?').get(attempt.id) !== undefined) return
      const now = this.run.now()
      const { error } = attempt
      this.sessions.ensure(attempt.sessionId, now, attempt.newSessionDeadline)
      const { lastInsertRowid } = this.run.sql(`INSERT INTO commits (id, session_id, state, created_at, finished_at,
        error_code, error_detail, error_facts, needs_recovery) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`).run(
        attempt.id, attempt.sessionId, attempt.state, now, now, error.code, error.detail, error.facts === undefined ? null : JSON.stringify(error.facts),
      )
      const seq = Number(lastInsertRowid)
      addTransition(this.run, seq, null, attempt.state, now, `${error.code}: ${error.detail}`)
      this.insertArtifacts(seq, attempt.sessionId, attempt.artifacts)
    })
  }

  pendingCommits(): Promise<PendingEntry[]> {
    return this.read((run) => (run.sql("SELECT seq, id, session_id FROM commits WHERE state = 'pending' ORDER BY seq").all() as { seq: number; id: string; session_id: string }[])
      .map((row) => ({ seq: row.seq, id: row.id, sessionId: row.session_id })))
  }

  unsettledCommits(): Promise<UnsettledCommit[]> {
    return this.read((run) => {
      const rows = run.sql('SELECT seq, id, session_id, state, kind FROM commits WHERE needs_recovery = 1 ORDER BY seq').all() as
        { seq: number; id: string; session_id: string; state: CommitState; kind: EntryKind }[]
      const artifacts = run.sql('SELECT name, sha256 FROM commit_artifacts WHERE commit_seq = ? ORDER BY position')
      // A delete or expire entry touched the names whose versions it removed; their objects are the GC's.
      const removed = run.sql('SELECT DISTINCT name, NULL AS sha256 FROM commit_artifacts WHERE removed_seq = ? ORDER BY name')
      return rows.map((row) => ({
        seq: row.seq,
        id: row.id,
        sessionId: row.session_id,
        state: row.state,
        artifacts: (row.kind === 'delete' || row.kind === 'expire' ? removed : artifacts).all(row.seq) as { name: string; sha256: string | null }[],
      }))
    })
  }

  isObjectReferenced(sha256: string): Promise<boolean> {
    return this.read((run) => run.sql('SELECT 1 FROM commit_artifacts WHERE sha256 = ? AND version IS NOT NULL LIMIT 1').get(sha256) !== undefined)
  }

  expirable(query: ExpiryQuery): Promise<ExpiryCandidate[]> {
    return this.read((run) => expirable(run, query))
  }

  pruneHistory(prune: HistoryPruneQuery): Promise<HistoryPruneResult> {
    return this.run.write('log-prune-history', () => pruneHistory(this.run, prune))
  }

  historyHorizon(): Promise<HistoryHorizon> {
    return this.read((run) => historyHorizon(run))
  }

  idempotencyKey(sessionId: string, key: string): Promise<StoredIdempotencyKey | undefined> {
    return this.read((run) => keyHolder(run, sessionId, key))
  }

  commitBySeq(seq: number): Promise<CommitRecord | undefined> {
    return this.read((run) => query.commitBySeq(run, seq))
  }

  commitById(id: string): Promise<CommitWithTransitions | undefined> {
    return this.read((run) => query.commitById(run, id))
  }

  listCommits(filter: CommitFilter): Promise<CommitRecord[]> {
    return this.read((run) => query.listCommits(run, filter))
  }

  lastSeq(): Promise<number> {
    return this.read((run) => (run.sql('SELECT COALESCE(MAX(seq), 0) AS seq FROM commits').get() as { seq: number }).seq)
  }

  referencedObjects(sessionId?: string): Promise<{ sha256: string; size: number }[]> {
    return this.read((run) => (sessionId === undefined
      ? run.sql('SELECT DISTINCT sha256, size FROM commit_artifacts WHERE version IS NOT NULL AND removed_seq IS NULL ORDER BY sha256').all()
      : run.sql('SELECT DISTINCT sha256, size FROM commit_artifacts WHERE version IS NOT NULL AND removed_seq IS NULL AND session_id = ? ORDER BY sha256').all(sessionId)) as
      { sha256: string; size: number }[])
  }

  latestForVerify(sessionId?: string): Promise<{ sessionId: string; name: string; sha256: string }[]> {
    return this.read((run) => {
      const rows = sessionId === undefined
        ? run.sql('SELECT session_id, name, sha256 FROM latest_artifacts ORDER BY session_id, name').all()
        : run.sql('SELECT session_id, name, sha256 FROM latest_artifacts WHERE session_id = ? ORDER BY name').all(sessionId)
      return (rows as { session_id: string; name: string; sha256: string }[]).map((row) => ({ sessionId: row.session_id, name: row.name, sha256: row.sha256 }))
    })
  }

  commitCounts(): Promise<Record<CommitState, number>> {
    return this.read((run) => countsFor(COMMIT_STATES, query.readCounters(run, COUNTER_FAMILIES.commitsByState)))
  }

  lastCommit(): Promise<CommitRecord | undefined> {
    return this.newest('committed')
  }

  lastFailure(): Promise<CommitRecord | undefined> {
    return this.newest('failed')
  }

  /** The entry a `newest` seq of the counters names (counters.ts): two lookups by key. */
  private newest(key: 'committed' | 'failed'): Promise<CommitRecord | undefined> {
    return this.read((run) => {
      const seq = query.readCounters(run, COUNTER_FAMILIES.newest).get(key)
      const row = seq === undefined ? undefined : run.sql('SELECT * FROM commits WHERE seq = ?').get(seq) as CommitRow | undefined
      return row === undefined ? undefined : query.toRecord(run, row)
    })
  }

  close(): Promise<void> {
    return this.run.close()
  }
}

/** The log's group commit: concurrent writes submitted to it share one transaction and one WAL fsync. */
export function logGroupCommit(run: SqlRunner): GroupCommit {
  return new GroupCommit(run, (error) => toStorageFailure('log-group-commit', error))
}
