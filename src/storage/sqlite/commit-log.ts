// The SQLite transaction log: commits, their transitions, artifact versions and idempotency keys.
import type { Statement } from 'better-sqlite3'
import type { CommitState } from '../../domain/commit-state.js'
import type { ArtifactVersion, CommitArtifact, CommitError, CommitRecord, CommitWithTransitions, EntryChange, Transition } from '../../domain/model.js'
import type { CommitFilter, CommitLog, EndedAttempt, PendingCommit, PendingEntry, PlannedArtifact, StoredIdempotencyKey, UnsettledCommit } from '../../domain/ports.js'
import { GroupCommit } from './group-commit.js'
import { addTransition, moveSessionHead, parseChange } from './log-entries.js'
import { toVersion, VERSION_COLUMNS, type ArtifactRow, type CommitRow, type VersionRow } from './rows.js'
import type { SessionRows } from './session-rows.js'
import { toStorageFailure, type SqlRunner } from './sql-runner.js'
import type { Db } from './ledger-db.js'

/** The upper bound of names under `prefix/`: '/' is 0x2F, so '0' (0x30) sorts right after all of them. */
function childRange(name: string): [string, string] {
  return [`${name}/`, `${name}0`]
}

export class SqliteCommitLog implements CommitLog {
  private readonly run: SqlRunner
  private readonly group: GroupCommit

  constructor(
    private readonly db: Db,
    run: SqlRunner,
    /** Commits create sessions and move closed ones between complete and incomplete. */
    private readonly sessions: SessionRows,
  ) {
    this.run = run
    this.group = new GroupCommit(db, (error) => toStorageFailure('log-group-commit', error))
  }

  private sql(text: string): Statement {
    return this.run.sql(text)
  }

  private write<T>(step: string, work: () => T): T {
    return this.run.write(step, work)
  }

  private now(): string {
    return this.run.now()
  }

  headSeq(sessionId: string): number {
    const row = this.sql('SELECT head_seq FROM sessions WHERE id = ?').get(sessionId) as { head_seq: number } | undefined
    return row?.head_seq ?? 0
  }

  sessionExists(sessionId: string): boolean {
    return this.sql('SELECT 1 FROM sessions WHERE id = ?').get(sessionId) !== undefined
  }

  latestVersions(sessionId: string, atSeq?: number): ArtifactVersion[] {
    if (atSeq === undefined) {
      const rows = this.sql(`SELECT ${VERSION_COLUMNS} FROM latest_artifacts la
        JOIN commit_artifacts ca ON ca.session_id = la.session_id AND ca.name = la.name AND ca.version = la.version
        JOIN commits c ON c.seq = ca.commit_seq
        WHERE la.session_id = ? ORDER BY la.name`).all(sessionId) as VersionRow[]
      return rows.map(toVersion)
    }
    const rows = this.sql(`SELECT ${VERSION_COLUMNS} FROM commit_artifacts ca
      JOIN commits c ON c.seq = ca.commit_seq
      WHERE ca.session_id = ? AND ca.version IS NOT NULL AND ca.commit_seq <= ?
        AND ca.version = (SELECT MAX(x.version) FROM commit_artifacts x
          WHERE x.session_id = ca.session_id AND x.name = ca.name AND x.version IS NOT NULL AND x.commit_seq <= ?)
      ORDER BY ca.name`).all(sessionId, atSeq, atSeq) as VersionRow[]
    return rows.map(toVersion)
  }

  latestVersion(sessionId: string, name: string, atSeq?: number): ArtifactVersion | undefined {
    const row = this.sql(`SELECT ${VERSION_COLUMNS} FROM commit_artifacts ca
      JOIN commits c ON c.seq = ca.commit_seq
      WHERE ca.session_id = ? AND ca.name = ? AND ca.version IS NOT NULL AND ca.commit_seq <= ?
      ORDER BY ca.version DESC LIMIT 1`).get(sessionId, name, atSeq ?? Number.MAX_SAFE_INTEGER) as VersionRow | undefined
    return row === undefined ? undefined : toVersion(row)
  }

  version(sessionId: string, name: string, version: number): ArtifactVersion | undefined {
    const row = this.sql(`SELECT ${VERSION_COLUMNS} FROM commit_artifacts ca
      JOIN commits c ON c.seq = ca.commit_seq
      WHERE ca.session_id = ? AND ca.name = ? AND ca.version = ?`).get(sessionId, name, version) as VersionRow | undefined
    return row === undefined ? undefined : toVersion(row)
  }

  versionHistory(sessionId: string, name: string): ArtifactVersion[] {
    const rows = this.sql(`SELECT ${VERSION_COLUMNS} FROM commit_artifacts ca
      JOIN commits c ON c.seq = ca.commit_seq
      WHERE ca.session_id = ? AND ca.name = ? AND ca.version IS NOT NULL
      ORDER BY ca.version`).all(sessionId, name) as VersionRow[]
    return rows.map(toVersion)
  }

  findNameConflict(sessionId: string, names: readonly string[]): { name: string; existing: string } | undefined {
    const exact = this.sql('SELECT name FROM latest_artifacts WHERE session_id = ? AND name = ?')
    const child = this.sql('SELECT name FROM latest_artifacts WHERE session_id = ? AND name >= ? AND name < ? LIMIT 1')
    for (const name of names) {
      const segments = name.split('/')
      for (let i = 1; i < segments.length; i++) {
        const prefix = segments.slice(0, i).join('/')
        if (exact.get(sessionId, prefix) !== undefined) return { name, existing: prefix }
      }
      const [low, high] = childRange(name)
      const row = child.get(sessionId, low, high) as { name: string } | undefined
      if (row !== undefined) return { name, existing: row.name }
    }
    return undefined
  }

  private addTransition(seq: number, from: CommitState | null, to: CommitState, at: string, reason: string | null): void {
    addTransition(this.run, seq, from, to, at, reason)
  }

  private insertArtifacts(seq: number, sessionId: string, artifacts: readonly PlannedArtifact[]): void {
    const insert = this.sql(`INSERT INTO commit_artifacts (commit_seq, position, session_id, name, sha256, size, media_type)
      VALUES (?, ?, ?, ?, ?, ?, ?)`)
    artifacts.forEach((a, position) => insert.run(seq, position, sessionId, a.name, a.sha256, a.size, a.mediaType))
  }

  /** Batched with concurrent writes: resolves once the pending row is durable. */
  insertPending(commit: PendingCommit): Promise<number> {
    return this.group.submit(() => this.write('log-pending', () => {
      const now = this.now()
      this.sessions.ensure(commit.sessionId, now, commit.newSessionDeadline)
      const { lastInsertRowid } = this.sql(`INSERT INTO commits (id, session_id, state, message, metadata, created_at)
        VALUES (?, ?, 'pending', ?, ?, ?)`).run(
        commit.id, commit.sessionId, commit.message,
        commit.metadata === null ? null : JSON.stringify(commit.metadata), now,
      )
      const seq = Number(lastInsertRowid)
      this.addTransition(seq, null, 'pending', now, null)
      this.insertArtifacts(seq, commit.sessionId, commit.artifacts)
      return seq
    }))
  }

  /** Batched with concurrent writes: resolves once the commit is durably `committed`. */
  markCommitted(seq: number, options: { idempotency?: { key: string; fingerprint: string }; expect?: string[] } = {}): Promise<void> {
    const { idempotency, expect } = options
    return this.group.submit(() => this.write('log-committed', () => {
      const now = this.now()
      const commit = this.sql("SELECT session_id FROM commits WHERE seq = ? AND state = 'pending'").get(seq) as { session_id: string } | undefined
      if (commit === undefined) throw new Error(`commit ${seq} is not pending`)
      const sessionId = commit.session_id
      const artifacts = this.sql('SELECT position, name, sha256, size FROM commit_artifacts WHERE commit_seq = ? ORDER BY position')
        .all(seq) as { position: number; name: string; sha256: string; size: number }[]
      for (const artifact of artifacts) {
        const previous = this.sql('SELECT version FROM latest_artifacts WHERE session_id = ? AND name = ?')
          .get(sessionId, artifact.name) as { version: number } | undefined
        const version = (previous?.version ?? 0) + 1
        this.sql('UPDATE commit_artifacts SET version = ? WHERE commit_seq = ? AND position = ?').run(version, seq, artifact.position)
        this.sql(`INSERT INTO latest_artifacts (session_id, name, version, sha256, commit_seq) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (session_id, name) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256, commit_seq = excluded.commit_seq`)
          .run(sessionId, artifact.name, version, artifact.sha256, seq)
        this.sql(`INSERT INTO objects (sha256, size, created_at) VALUES (?, ?, ?)
          ON CONFLICT (sha256) DO UPDATE SET state = 'ok'`).run(artifact.sha256, artifact.size, now)
      }
      // The expectations a commit declares land with its bytes, so no reader sees one without the other.
      const added = expect === undefined ? [] : this.sessions.addExpected(sessionId, expect, now)
      const change: EntryChange | undefined = added.length === 0 ? undefined : { expect: { add: added, remove: [] } }
      this.sql("UPDATE commits SET state = 'committed', finished_at = ?, needs_recovery = 0, change = ? WHERE seq = ?")
        .run(now, change === undefined ? null : JSON.stringify(change), seq)
      this.addTransition(seq, 'pending', 'committed', now, null)
      moveSessionHead(this.run, sessionId, seq, now)
      this.sessions.rederive(sessionId, now)
      if (idempotency !== undefined) {
        this.sql('INSERT INTO idempotency_keys (session_id, key, fingerprint, commit_seq, created_at) VALUES (?, ?, ?, ?, ?)')
          .run(sessionId, idempotency.key, idempotency.fingerprint, seq, now)
      }
    }))
  }

  markFailed(seq: number, error: CommitError, settled: boolean): void {
    this.finish(seq, 'failed', error, settled)
  }

  private finish(seq: number, to: 'failed' | 'aborted', error: CommitError, settled: boolean): void {
    this.write(`log-${to}`, () => {
      const now = this.now()
      const changed = this.sql(`UPDATE commits SET state = ?, finished_at = ?, error_code = ?, error_detail = ?, error_facts = ?,
        needs_recovery = ? WHERE seq = ? AND state = 'pending'`).run(
        to, now, error.code, error.detail, error.facts === undefined ? null : JSON.stringify(error.facts), settled ? 0 : 1, seq,
      )
      if (changed.changes === 1) this.addTransition(seq, 'pending', to, now, `${error.code}: ${error.detail}`)
    })
  }

  markSettled(seq: number): void {
    this.write('log-settled', () => {
      this.sql('UPDATE commits SET needs_recovery = 0 WHERE seq = ?').run(seq)
    })
  }

  recordEnded(attempt: EndedAttempt): void {
    this.write(`log-${attempt.state}`, () => {
      // Recorded late (the log was failing when the attempt ended) and perhaps more than once: one row per id.
      if (this.sql('SELECT 1 FROM commits WHERE id = ?').get(attempt.id) !== undefined) return
      const now = this.now()
      const { error } = attempt
      this.sessions.ensure(attempt.sessionId, now, attempt.newSessionDeadline)
      const { lastInsertRowid } = this.sql(`INSERT INTO commits (id, session_id, state, created_at, finished_at,
        error_code, error_detail, error_facts, needs_recovery) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`).run(
        attempt.id, attempt.sessionId, attempt.state, now, now, error.code, error.detail, error.facts === undefined ? null : JSON.stringify(error.facts),
      )
      const seq = Number(lastInsertRowid)
      this.addTransition(seq, null, attempt.state, now, `${error.code}: ${error.detail}`)
      this.insertArtifacts(seq, attempt.sessionId, attempt.artifacts)
    })
  }

  markAborted(seq: number, error: CommitError): void {
    this.finish(seq, 'aborted', error, false)
  }

  pendingCommits(): PendingEntry[] {
    return (this.sql("SELECT seq, id, session_id FROM commits WHERE state = 'pending' ORDER BY seq").all() as { seq: number; id: string; session_id: string }[])
      .map((row) => ({ seq: row.seq, id: row.id, sessionId: row.session_id }))
  }

  unsettledCommits(): UnsettledCommit[] {
    const rows = this.sql('SELECT seq, id, session_id, state FROM commits WHERE needs_recovery = 1 ORDER BY seq').all() as
      { seq: number; id: string; session_id: string; state: CommitState }[]
    const artifacts = this.sql('SELECT name, sha256 FROM commit_artifacts WHERE commit_seq = ? ORDER BY position')
    return rows.map((row) => ({
      seq: row.seq,
      id: row.id,
      sessionId: row.session_id,
      state: row.state,
      artifacts: artifacts.all(row.seq) as { name: string; sha256: string | null }[],
    }))
  }

  isObjectReferenced(sha256: string): boolean {
    return this.sql('SELECT 1 FROM commit_artifacts WHERE sha256 = ? AND version IS NOT NULL LIMIT 1').get(sha256) !== undefined
  }

  idempotencyKey(sessionId: string, key: string): StoredIdempotencyKey | undefined {
    const row = this.sql('SELECT fingerprint, commit_seq FROM idempotency_keys WHERE session_id = ? AND key = ?')
      .get(sessionId, key) as { fingerprint: string; commit_seq: number } | undefined
    return row === undefined ? undefined : { fingerprint: row.fingerprint, commitSeq: row.commit_seq }
  }

  private toRecord(row: CommitRow): CommitRecord {
    const artifacts = (this.sql(`SELECT position, name, version, sha256, size, media_type FROM commit_artifacts
      WHERE commit_seq = ? ORDER BY position`).all(row.seq) as ArtifactRow[]).map(
      (a): CommitArtifact => ({ name: a.name, version: a.version, sha256: a.sha256, size: a.size, mediaType: a.media_type }),
    )
    const change = parseChange(row.change)
    return {
      id: row.id,
      seq: row.seq,
      sessionId: row.session_id,
      kind: row.kind,
      state: row.state,
      message: row.message,
      metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
      createdAt: row.created_at,
      finishedAt: row.finished_at,
      artifacts,
      error: row.error_code === null ? null : {
        code: row.error_code,
        detail: row.error_detail ?? '',
        ...(row.error_facts === null ? {} : { facts: JSON.parse(row.error_facts) as Record<string, unknown> }),
      },
      expect: change.expect ?? null,
      close: change.close ?? null,
      session: change.session ?? null,
    }
  }

  commitBySeq(seq: number): CommitRecord | undefined {
    const row = this.sql('SELECT * FROM commits WHERE seq = ?').get(seq) as CommitRow | undefined
    return row === undefined ? undefined : this.toRecord(row)
  }

  commitById(id: string): CommitWithTransitions | undefined {
    const row = this.sql('SELECT * FROM commits WHERE id = ?').get(id) as CommitRow | undefined
    if (row === undefined) return undefined
    const transitions = (this.sql('SELECT from_state, to_state, at, reason FROM transitions WHERE commit_seq = ? ORDER BY rowid')
      .all(row.seq) as { from_state: CommitState | null; to_state: CommitState; at: string; reason: string | null }[])
      .map((t): Transition => ({ from: t.from_state, to: t.to_state, at: t.at, reason: t.reason }))
    return { ...this.toRecord(row), transitions }
  }

  listCommits(filter: CommitFilter): CommitRecord[] {
    const where: string[] = ['seq > ?']
    const params: (string | number)[] = [filter.afterSeq ?? 0]
    if (filter.sessionId !== undefined) {
      where.push('session_id = ?')
      params.push(filter.sessionId)
    } else if (filter.excludeSessionId !== undefined) {
      where.push('session_id != ?')
      params.push(filter.excludeSessionId)
    }
    if (filter.state !== undefined) {
      where.push('state = ?')
      params.push(filter.state)
    }
    if (filter.kind !== undefined) {
      where.push('kind = ?')
      params.push(filter.kind)
    }
    if (filter.since !== undefined) {
      // Seek to the first commit at or after `since` with one lookup in the (created_at, seq) index, then
      // page by seq from there: filtering created_at row by row from seq 0 would read half a million rows.
      const first = this.sql('SELECT seq FROM commits WHERE created_at >= ? ORDER BY created_at, seq LIMIT 1').get(filter.since) as { seq: number } | undefined
      params[0] = Math.max(Number(params[0]), (first?.seq ?? Number.MAX_SAFE_INTEGER) - 1)
      where.push('created_at >= ?')
      params.push(filter.since)
    }
    const rows = this.sql(`SELECT * FROM commits WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`)
      .all(...params, filter.limit) as CommitRow[]
    return rows.map((row) => this.toRecord(row))
  }

  *referencedObjects(sessionId?: string): Iterable<{ sha256: string; size: number }> {
    const rows = sessionId === undefined
      ? this.sql('SELECT DISTINCT sha256, size FROM commit_artifacts WHERE version IS NOT NULL ORDER BY sha256').all()
      : this.sql('SELECT DISTINCT sha256, size FROM commit_artifacts WHERE version IS NOT NULL AND session_id = ? ORDER BY sha256').all(sessionId)
    yield* rows as { sha256: string; size: number }[]
  }

  *latestForVerify(sessionId?: string): Iterable<{ sessionId: string; name: string; sha256: string }> {
    const rows = sessionId === undefined
      ? this.sql('SELECT session_id, name, sha256 FROM latest_artifacts ORDER BY session_id, name').all()
      : this.sql('SELECT session_id, name, sha256 FROM latest_artifacts WHERE session_id = ? ORDER BY name').all(sessionId)
    for (const row of rows as { session_id: string; name: string; sha256: string }[]) {
      yield { sessionId: row.session_id, name: row.name, sha256: row.sha256 }
    }
  }

  commitCounts(exclude: string): Record<CommitState, number> {
    const counts: Record<CommitState, number> = { pending: 0, committed: 0, failed: 0, aborted: 0 }
    for (const row of this.sql("SELECT state, COUNT(*) AS n FROM commits WHERE kind = 'artifacts' AND session_id != ? GROUP BY state").all(exclude) as { state: CommitState; n: number }[]) {
      counts[row.state] = row.n
    }
    return counts
  }

  lastCommit(exclude: string): CommitRecord | undefined {
    const row = this.sql("SELECT * FROM commits WHERE state = 'committed' AND kind = 'artifacts' AND session_id != ? ORDER BY seq DESC LIMIT 1").get(exclude) as CommitRow | undefined
    return row === undefined ? undefined : this.toRecord(row)
  }

  lastFailure(exclude: string): CommitRecord | undefined {
    const row = this.sql("SELECT * FROM commits WHERE state IN ('failed', 'aborted') AND session_id != ? ORDER BY seq DESC LIMIT 1").get(exclude) as CommitRow | undefined
    return row === undefined ? undefined : this.toRecord(row)
  }

  close(): void {
    this.db.close()
  }
}
