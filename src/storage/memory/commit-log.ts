// The log held in memory: nothing survives the process. For tests and tools, and the proof that the
// log port (asynchronous, units of work) fits a backend other than SQLite: it passes the same contract.
import { COMMIT_STATES, type CommitState } from '../../domain/commit-state.js'
import { countsFor, tally } from '../../domain/counts.js'
import type { ArtifactVersion, CommitError, CommitRecord, CommitWithTransitions } from '../../domain/model.js'
import { headMoved, keyHeld } from '../../domain/preconditions.js'
import type {
  CommitFilter, CommitLog, EndedAttempt, MarkCommittedOptions, ExpiryCandidate, ExpiryQuery, HistoryHorizon, HistoryPruneQuery, HistoryPruneResult, PendingCommit, PendingEntry, StoredIdempotencyKey, UnsettledCommit,
} from '../../domain/ports.js'
import { CANARY_SESSION_ID } from '../../domain/session.js'
import {
  append, byName, ensureSession, inSnapshot, keyHolder, keyOf, moveHead, mustEntry, mustSession, now, rederive, toRecord, transition, versions,
  type EntryRow, type LogData, type MemoryLogState,
} from './log-state.js'
import { historyHorizon, pruneHistory } from './history.js'
import { expirable } from './removals.js'

export class MemoryCommitLog implements CommitLog {
  constructor(private readonly state: MemoryLogState) {}

  private run<T>(work: (data: LogData) => T): Promise<T> {
    return this.state.run(work)
  }

  headSeq(sessionId: string): Promise<number> {
    return this.run((data) => data.sessions.get(sessionId)?.headSeq ?? 0)
  }

  sessionExists(sessionId: string): Promise<boolean> {
    return this.run((data) => data.sessions.has(sessionId))
  }

  latestVersions(sessionId: string, atSeq?: number): Promise<ArtifactVersion[]> {
    return this.run((data) => {
      // Versions come oldest first, so the last one in the snapshot is each name's latest.
      const latest = new Map<string, ArtifactVersion>()
      for (const v of versions(data, sessionId)) if (inSnapshot(v, atSeq)) latest.set(v.name, v)
      return [...latest.values()].sort(byName)
    })
  }

  latestVersion(sessionId: string, name: string, atSeq?: number): Promise<ArtifactVersion | undefined> {
    return this.run((data) => [...versions(data, sessionId)].filter((v) => v.name === name && inSnapshot(v, atSeq)).at(-1))
  }

  version(sessionId: string, name: string, version: number): Promise<ArtifactVersion | undefined> {
    return this.run((data) => [...versions(data, sessionId)].find((v) => v.name === name && v.version === version))
  }

  versionHistory(sessionId: string, name: string): Promise<ArtifactVersion[]> {
    return this.run((data) => [...versions(data, sessionId)].filter((v) => v.name === name))
  }

  findNameConflict(sessionId: string, names: readonly string[]): Promise<{ name: string; existing: string } | undefined> {
    return this.run((data) => {
      const present = [...(data.latest.get(sessionId)?.keys() ?? [])].sort()
      for (const name of names) {
        const existing = present.find((other) => name.startsWith(`${other}/`)) ?? present.find((other) => other.startsWith(`${name}/`))
        if (existing !== undefined) return { name, existing }
      }
      return undefined
    })
  }

  insertPending(commit: PendingCommit): Promise<number> {
    return this.run((data) => {
      const { idempotency } = commit
      // Refused before anything is written: the session is not even created.
      const holder = idempotency === undefined ? undefined : keyHolder(data, commit.sessionId, idempotency.key)
      if (idempotency !== undefined && holder !== undefined) throw keyHeld(commit.sessionId, idempotency.key, holder)
      const at = now()
      ensureSession(data, commit.sessionId, at, commit.newSessionDeadline)
      const { seq } = append(data, {
        id: commit.id, sessionId: commit.sessionId, kind: 'artifacts', state: 'pending', message: commit.message, metadata: commit.metadata,
        error: null, change: {}, needsRecovery: true, at, finished: false, reason: null,
        artifacts: commit.artifacts.map((a) => ({ ...a, version: null, removedSeq: null })),
      })
      if (idempotency !== undefined) data.idempotency.set(keyOf(commit.sessionId, idempotency.key), { fingerprint: idempotency.fingerprint, commitSeq: seq })
      return seq
    })
  }

  markCommitted(seq: number, options: MarkCommittedOptions = {}): Promise<void> {
    return this.run((data) => {
      const entry = mustEntry(data, seq)
      if (entry.state !== 'pending') throw new Error(`commit ${seq} is not pending`)
      const { expect, sessionHead } = options
      const head = data.sessions.get(entry.sessionId)?.headSeq ?? 0
      if (sessionHead !== undefined && head !== sessionHead) throw headMoved(sessionHead, head)
      const at = now()
      const latest = data.latest.get(entry.sessionId) ?? new Map<string, number>()
      data.latest.set(entry.sessionId, latest)
      for (const artifact of entry.artifacts) {
        // Numbers continue after a deletion (the removed versions keep theirs): never from the latest.
        const previousVersion = Math.max(0, ...[...versions(data, entry.sessionId)].filter((v) => v.name === artifact.name).map((v) => v.version))
        artifact.version = previousVersion + 1
        latest.set(artifact.name, seq)
        if (artifact.sha256 !== null) {
          const object = data.objects.get(artifact.sha256)
          if (object === undefined) data.objects.set(artifact.sha256, { size: artifact.size ?? 0, state: 'ok', createdAt: at, releasedAt: null })
          else Object.assign(object, { state: 'ok', releasedAt: null })
        }
      }
      // The expectations a commit declares land with its bytes, so no reader sees one without the other.
      const session = mustSession(data, entry.sessionId)
      const have = new Set(session.expectedArtifacts)
      const added = [...new Set(expect ?? [])].filter((name) => !have.has(name))
      if (added.length > 0) Object.assign(session, { expectedArtifacts: [...session.expectedArtifacts, ...added], updatedAt: at })
      entry.change = added.length === 0 ? {} : { expect: { add: added, remove: [] } }
      Object.assign(entry, { finishedAt: at, needsRecovery: false })
      transition(entry, 'committed', at, null)
      moveHead(data, entry.sessionId, seq, at)
      rederive(data, entry.sessionId, at)
    })
  }

  markFailed(seq: number, error: CommitError, settled: boolean): Promise<void> {
    return this.finish(seq, 'failed', error, settled)
  }

  markAborted(seq: number, error: CommitError): Promise<void> {
    return this.finish(seq, 'aborted', error, false)
  }

  private finish(seq: number, to: 'failed' | 'aborted', error: CommitError, settled: boolean): Promise<void> {
    return this.run((data) => {
      const entry = data.entries.get(seq)
      if (entry?.state !== 'pending') return
      const at = now()
      Object.assign(entry, { finishedAt: at, error: structuredClone(error), needsRecovery: !settled })
      transition(entry, to, at, `${error.code}: ${error.detail}`)
      // Only a committed attempt consumes its key: this one lets it go, for a retry to take.
      for (const [key, held] of data.idempotency) if (held.commitSeq === seq) data.idempotency.delete(key)
    })
  }

  markSettled(seq: number): Promise<void> {
    return this.run((data) => {
      const entry = data.entries.get(seq)
      if (entry !== undefined) entry.needsRecovery = false
    })
  }

  recordEnded(attempt: EndedAttempt): Promise<void> {
    return this.run((data) => {
      // Recorded late, and perhaps more than once: one entry per id.
      if ([...data.entries.values()].some((e) => e.id === attempt.id)) return
      const at = now()
      ensureSession(data, attempt.sessionId, at, attempt.newSessionDeadline)
      append(data, {
        id: attempt.id, sessionId: attempt.sessionId, kind: 'artifacts', state: attempt.state, error: structuredClone(attempt.error), change: {},
        needsRecovery: false, artifacts: attempt.artifacts.map((a) => ({ ...a, version: null, removedSeq: null })), at, finished: true,
        reason: `${attempt.error.code}: ${attempt.error.detail}`,
      })
    })
  }

  pendingCommits(): Promise<PendingEntry[]> {
    return this.run((data) => this.entries(data, (e) => e.state === 'pending').map(({ seq, id, sessionId }) => ({ seq, id, sessionId })))
  }

  unsettledCommits(): Promise<UnsettledCommit[]> {
    return this.run((data) => this.entries(data, (e) => e.needsRecovery).map(({ seq, id, sessionId, state, kind, artifacts }) => ({
      seq, id, sessionId, state,
      // A delete or expire entry touched the names whose versions it removed; their objects are the GC's.
      artifacts: kind === 'delete' || kind === 'expire'
        ? [...new Set([...versions(data, sessionId)].filter((v) => v.removed?.seq === seq).map((v) => v.name))].sort().map((name) => ({ name, sha256: null }))
        : artifacts.map(({ name, sha256 }) => ({ name, sha256 })),
    })))
  }

  private entries(data: LogData, keep: (entry: EntryRow) => boolean): EntryRow[] {
    return [...data.entries.values()].filter(keep)
  }

  isObjectReferenced(sha256: string): Promise<boolean> {
    return this.run((data) => [...versions(data)].some((v) => v.sha256 === sha256))
  }

  expirable(query: ExpiryQuery): Promise<ExpiryCandidate[]> {
    return this.run((data) => expirable(data, query))
  }

  pruneHistory(query: HistoryPruneQuery): Promise<HistoryPruneResult> {
    return this.run((data) => pruneHistory(data, query))
  }

  historyHorizon(): Promise<HistoryHorizon> {
    return this.run((data) => historyHorizon(data))
  }

  idempotencyKey(sessionId: string, key: string): Promise<StoredIdempotencyKey | undefined> {
    return this.run((data) => keyHolder(data, sessionId, key))
  }

  commitById(id: string): Promise<CommitWithTransitions | undefined> {
    return this.run((data) => {
      const entry = [...data.entries.values()].find((e) => e.id === id)
      return entry === undefined ? undefined : { ...toRecord(entry), transitions: entry.transitions }
    })
  }

  commitBySeq(seq: number): Promise<CommitRecord | undefined> {
    return this.run((data) => {
      const entry = data.entries.get(seq)
      return entry === undefined ? undefined : toRecord(entry)
    })
  }

  lastSeq(): Promise<number> {
    return this.run((data) => {
      // A loop, not Math.max(...keys): spreading half a million arguments overflows the stack.
      let last = 0
      for (const seq of data.entries.keys()) last = Math.max(last, seq)
      return last
    })
  }

  listCommits(filter: CommitFilter): Promise<CommitRecord[]> {
    return this.run((data) => this.entries(data, (e) =>
      e.seq > (filter.afterSeq ?? 0) &&
      (filter.sessionId !== undefined ? e.sessionId === filter.sessionId : e.sessionId !== filter.excludeSessionId) &&
      (filter.state === undefined || e.state === filter.state) &&
      (filter.kind === undefined || e.kind === filter.kind) &&
      (filter.since === undefined || e.createdAt >= filter.since)).slice(0, filter.limit).map(toRecord))
  }

  referencedObjects(sessionId?: string): Promise<{ sha256: string; size: number }[]> {
    return this.run((data) => {
      const found = new Map<string, number>()
      for (const v of versions(data, sessionId)) if (v.removed === undefined) found.set(v.sha256, v.size)
      return [...found].sort(([a], [b]) => (a < b ? -1 : 1)).map(([sha256, size]) => ({ sha256, size }))
    })
  }

  latestForVerify(sessionId?: string): Promise<{ sessionId: string; name: string; sha256: string }[]> {
    return this.run((data) => {
      const found: { sessionId: string; name: string; sha256: string }[] = []
      for (const [sid, names] of data.latest) {
        if (sessionId !== undefined && sid !== sessionId) continue
        for (const [name, seq] of names) {
          const sha256 = data.entries.get(seq)?.artifacts.find((a) => a.name === name)?.sha256
          if (sha256 !== undefined && sha256 !== null) found.push({ sessionId: sid, name, sha256 })
        }
      }
      return found.sort((a, b) => (a.sessionId === b.sessionId ? byName(a, b) : a.sessionId < b.sessionId ? -1 : 1))
    })
  }

  // Counted by a walk of the entries: a memory log stays small, and the walk is the plain statement of what SQLite's counters keep.
  commitCounts(): Promise<Record<CommitState, number>> {
    return this.run((data) => {
      const live = tally(this.entries(data, (e) => e.kind === 'artifacts' && e.sessionId !== CANARY_SESSION_ID).map((e) => e.state))
      // Pruned commits stay counted, as SQLite's counters keep them.
      for (const [state, n] of Object.entries(data.pruned.commitsByState)) live.set(state, (live.get(state) ?? 0) + n)
      return countsFor(COMMIT_STATES, live)
    })
  }

  lastCommit(): Promise<CommitRecord | undefined> {
    return this.lastOf((e) => e.state === 'committed' && e.kind === 'artifacts' && e.sessionId !== CANARY_SESSION_ID)
  }

  lastFailure(): Promise<CommitRecord | undefined> {
    return this.lastOf((e) => (e.state === 'failed' || e.state === 'aborted') && e.sessionId !== CANARY_SESSION_ID)
  }

  private lastOf(keep: (entry: EntryRow) => boolean): Promise<CommitRecord | undefined> {
    return this.run((data) => {
      const entry = this.entries(data, keep).at(-1)
      return entry === undefined ? undefined : toRecord(entry)
    })
  }

  async close(): Promise<void> {
    await this.state.gate.whenFree(() => undefined)
  }
}
