// The memory log's state: entries, sessions, versions and bookkeeping in plain maps, and the helpers
// its writes share. One gate serialises units of work; a unit that throws puts the state back.
import { v7 as uuidv7 } from 'uuid'
import { canTransition, type CommitState } from '../../domain/commit-state.js'
import type { ArtifactVersion, CommitArtifact, CommitRecord, EntryChange, EntryKind, Transition } from '../../domain/model.js'
import type { GcRecord, GcTotals, ScrubRecord, StoredIdempotencyKey } from '../../domain/ports.js'
import { missingArtifacts, settledState, settlesByArtifacts, type SessionRow } from '../../domain/session.js'
import { UnitGate } from '../unit-gate.js'

/** An artifact of an entry; `removedSeq` is the delete or expire entry that removed its version (null: live). */
export interface MemoryArtifact extends CommitArtifact {
  removedSeq: number | null
}

/** An entry as the memory log keeps it: the record, what it changed, whether recovery owes it anything, its transitions. */
export interface EntryRow extends Omit<CommitRecord, 'expect' | 'close' | 'session' | 'delete' | 'expire' | 'artifacts'> {
  artifacts: MemoryArtifact[]
  change: EntryChange
  needsRecovery: boolean
  transitions: Transition[]
}

export interface LogData {
  nextSeq: number
  entries: Map<number, EntryRow>
  sessions: Map<string, SessionRow>
  /** session → name → the seq of the entry holding its latest version. */
  latest: Map<string, Map<string, number>>
  /** `releasedAt`: when the object's last live version was removed (null while one is live). */
  objects: Map<string, { size: number; state: 'ok' | 'corrupt' | 'missing'; createdAt: string; releasedAt: string | null }>
  /** session and key (keyOf) → the entry holding it: taken with its pending entry, let go if it fails or is aborted. */
  idempotency: Map<string, { fingerprint: string; commitSeq: number }>
  scrubs: ScrubRecord[]
  /** Garbage collection: objects taken out of `objects` and not yet deleted, the runs, the totals. */
  toCollect: Set<string>
  gcRuns: GcRecord[]
  gcTotals: GcTotals
  /** What history pruning took: commits of bytes by state (still counted), every entry, and the snapshot horizon. */
  pruned: { commitsByState: Partial<Record<CommitState, number>>; entries: number; completeSnapshotsFrom: number }
  /** StorageBookkeeping.plainViewCheckpoint; undefined until one is set. */
  plainViewCheckpoint?: number
}

export function keyOf(sessionId: string, key: string): string {
  return `${sessionId}\u0000${key}`
}

/** The entry holding a session's key, and whether it is still in flight or committed. */
export function keyHolder(data: LogData, sessionId: string, key: string): StoredIdempotencyKey | undefined {
  const held = data.idempotency.get(keyOf(sessionId, key))
  if (held === undefined) return undefined
  const state = mustEntry(data, held.commitSeq).state
  if (state !== 'pending' && state !== 'committed') throw new Error(`idempotency key held by entry ${held.commitSeq}, which is ${state}`)
  return { ...held, state }
}

export class MemoryLogState {
  data: LogData = {
    nextSeq: 1, entries: new Map(), sessions: new Map(), latest: new Map(), objects: new Map(), idempotency: new Map(), scrubs: [],
    toCollect: new Set(), gcRuns: [], gcTotals: { runs: 0, reclaimedObjects: 0, reclaimedBytes: 0 },
    pruned: { commitsByState: {}, entries: 0, completeSnapshotsFrom: 0 },
  }
  readonly gate = new UnitGate()

  /** A read or write once no unit of work holds the log; results are copies, never the state itself. */
  run<T>(work: (data: LogData) => T): Promise<T> {
    return this.gate.whenFree(() => structuredClone(work(this.data)))
  }

  /** A unit of work: one at a time, and all of it or nothing (the state is put back when it throws). */
  unitOfWork<T>(work: () => Promise<T>): Promise<T> {
    return this.gate.hold(async () => {
      const before = structuredClone(this.data)
      try {
        return await work()
      } catch (error) {
        this.data = before
        throw error
      }
    })
  }
}

export function now(): string {
  return new Date().toISOString()
}

export function mustEntry(data: LogData, seq: number): EntryRow {
  const entry = data.entries.get(seq)
  if (entry === undefined) throw new Error(`log entry ${seq} does not exist`)
  return entry
}

export function mustSession(data: LogData, sessionId: string): SessionRow {
  const session = data.sessions.get(sessionId)
  if (session === undefined) throw new Error(`session ${sessionId} vanished`)
  return session
}

export function transition(entry: EntryRow, to: CommitState, at: string, reason: string | null): void {
  const from = entry.transitions.length === 0 ? null : entry.state
  // The state machine is the domain's; a transition it forbids is a bug.
  if (!canTransition(from, to, entry.kind)) throw new Error(`log entry ${entry.seq} (${entry.kind}): ${from ?? 'nothing'} → ${to} is not a transition`)
  entry.transitions.push({ from, to, at, reason })
  entry.state = to
}

/** Appends an entry, born in `state`; returns it. */
export function append(data: LogData, fields: Pick<EntryRow, 'id' | 'sessionId' | 'kind' | 'state' | 'error' | 'change' | 'needsRecovery' | 'artifacts'> &
  Partial<Pick<EntryRow, 'message' | 'metadata'>> & { at: string; finished: boolean; reason: string | null }): EntryRow {
  const { at, finished, reason, state, ...rest } = fields
  const entry: EntryRow = {
    message: null, metadata: null, ...rest, seq: data.nextSeq++, state, createdAt: at, finishedAt: finished ? at : null, transitions: [],
  }
  transition(entry, state, at, reason)
  data.entries.set(entry.seq, entry)
  return entry
}

/** Sessions come into being with their first commit attempt or declaration, with the deadline given. */
export function ensureSession(data: LogData, sessionId: string, at: string, deadline: string | null): boolean {
  if (data.sessions.has(sessionId)) return false
  data.sessions.set(sessionId, {
    id: sessionId, state: 'open', createdAt: at, updatedAt: at, completedAt: null, headSeq: 0, metadata: null,
    expectedArtifacts: [], deadline, closedBy: null, error: null, retention: null, hold: false,
  })
  return true
}

/** Which of `names` the session holds. */
export function presentNames(data: LogData, sessionId: string, names: readonly string[]): string[] {
  const latest = data.latest.get(sessionId)
  return names.filter((name) => latest?.has(name) === true)
}

/** A closed session is complete exactly when nothing it expects is missing; open and failed ones stay. */
export function rederive(data: LogData, sessionId: string, at: string): void {
  const session = data.sessions.get(sessionId)
  if (session === undefined || !settlesByArtifacts(session.state)) return
  const next = settledState(session.state, missingArtifacts(session.expectedArtifacts, presentNames(data, sessionId, session.expectedArtifacts)))
  if (next !== session.state) Object.assign(session, { state: next, updatedAt: at })
}

/** Every committed entry of a session moves its head. */
export function moveHead(data: LogData, sessionId: string, seq: number, at: string): void {
  Object.assign(mustSession(data, sessionId), { headSeq: seq, updatedAt: at })
}

/** Appends a committed entry of a session-level change and moves the session head to it. */
export function appendSessionEntry(
  data: LogData, sessionId: string, kind: Exclude<EntryKind, 'artifacts'>, change: EntryChange, at: string, needsRecovery = false,
): EntryRow {
  const entry = append(data, { id: uuidv7(), sessionId, kind, state: 'committed', error: null, change, needsRecovery, artifacts: [], at, finished: true, reason: null })
  moveHead(data, sessionId, entry.seq, at)
  return entry
}

export function toRecord(entry: EntryRow): CommitRecord {
  const { change, needsRecovery, transitions, artifacts, ...record } = entry
  return {
    ...record, artifacts: artifacts.map(({ removedSeq, ...artifact }) => artifact), expect: change.expect ?? null, close: change.close ?? null, session: change.session ?? null,
    delete: change.delete ?? null, expire: change.expire ?? null,
  }
}

/** Every committed version in the log, oldest first; a removed one carries its mark. */
export function* versions(data: LogData, sessionId?: string): Generator<ArtifactVersion> {
  for (const entry of data.entries.values()) {
    if (sessionId !== undefined && entry.sessionId !== sessionId) continue
    for (const a of entry.artifacts) {
      if (a.version === null || a.sha256 === null) continue
      const removal = a.removedSeq === null ? undefined : data.entries.get(a.removedSeq)
      yield {
        name: a.name, version: a.version, sha256: a.sha256, size: a.size ?? 0, mediaType: a.mediaType ?? '',
        commitId: entry.id, seq: entry.seq, committedAt: entry.finishedAt ?? entry.createdAt,
        ...(removal === undefined || (removal.kind !== 'delete' && removal.kind !== 'expire')
          ? {}
          : { removed: { seq: removal.seq, kind: removal.kind, at: removal.createdAt } }),
      }
    }
  }
}

/** In the snapshot as of `atSeq`: committed at or before it and not removed at or before it (live, without one). */
export function inSnapshot(v: ArtifactVersion, atSeq = Infinity): boolean {
  return v.seq <= atSeq && (v.removed === undefined || v.removed.seq > atSeq)
}

export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0
}
