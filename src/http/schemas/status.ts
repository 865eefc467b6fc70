// The status report schema, shared by the route and the client.
import { Type } from '@sinclair/typebox'

const Nullable = <T extends ReturnType<typeof Type.Object>>(schema: T) => Type.Union([schema, Type.Null()])
const Count = Type.Integer({ minimum: 0 })

const CommitSummary = Type.Object({ id: Type.String(), seq: Type.Integer(), sessionId: Type.String(), at: Type.String() })

export const GcRecord = Type.Object({
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  ok: Type.Boolean(),
  examinedObjects: Type.Integer({ minimum: 0, description: 'objects whose references were checked' }),
  reclaimedObjects: Type.Integer({ minimum: 0, description: 'objects no live version referred to, past the grace period, deleted' }),
  reclaimedBytes: Type.Integer({ minimum: 0 }),
  reclaimedDatabaseBytes: Type.Integer({ minimum: 0, description: 'free ledger.db pages handed back to the filesystem' }),
  error: Type.Union([Type.String(), Type.Null()], { description: 'why the run stopped short (code: detail), when it did' }),
}, { title: 'GcRecord' })

const Reachability = Type.Object({
  ok: Type.Boolean(),
  error: Type.Union([Type.String(), Type.Null()], { description: 'why the store did not answer (an errno or status code, or the detail)' }),
}, { title: 'Reachability' })

export const StatusReport = Type.Object({
  service: Type.String(),
  version: Type.String(),
  phase: Type.String(),
  startedAt: Type.String({ format: 'date-time' }),
  uptimeSeconds: Count,
  commits: Type.Object({ pending: Count, committed: Count, failed: Count, aborted: Count, total: Count }),
  lastCommit: Nullable(CommitSummary),
  lastFailure: Nullable(Type.Composite([CommitSummary, Type.Object({ state: Type.String(), code: Type.String(), detail: Type.String() })])),
  storage: Type.Object({
    objectCount: Count,
    objectBytes: Count,
    databaseBytes: Count,
    freeBytes: Type.Union([Count, Type.Null()]),
    totalBytes: Type.Union([Count, Type.Null()]),
  }),
  checks: Type.Object({
    database: Reachability,
    objectStore: Type.Union([Reachability, Type.Null()], { description: 'null when the objects are files under the data dir (checked as the data dir)' }),
  }, { description: 'whether this replica reaches its stores now (as /health/ready checks database:writable and objectstore:reachable)' }),
  sessions: Type.Object({
    total: Count, open: Count, complete: Count, incomplete: Count, failed: Count, deleted: Count,
    closedByDeadline: Type.Integer({ minimum: 0, description: 'sessions the service closed because their writer had not by the deadline' }),
    incompleteIds: Type.Array(Type.String(), { description: 'the 100 most recently changed incomplete sessions' }),
    failedIds: Type.Array(Type.String(), { description: 'the 100 most recently changed sessions whose writer reported a failure' }),
  }),
  lastScrub: Nullable(Type.Object({
    startedAt: Type.String(), finishedAt: Type.String(), ok: Type.Boolean(), checkedObjects: Count, checkedPlainFiles: Count,
    bytes: Count, missing: Count, corrupt: Count, orphaned: Count, repaired: Count,
  })),
  scrubRunning: Type.Boolean(),
  lastGc: Type.Union([GcRecord, Type.Null()]),
  gc: Type.Object({
    runs: Count, reclaimedObjects: Count, reclaimedBytes: Count, running: Type.Boolean(),
  }, { description: 'what garbage collection has reclaimed since the ledger was created' }),
  history: Type.Object({
    retentionSeconds: Type.Integer({ minimum: 0, description: 'how long the history of a removed version stays after its removal (HISTORY_RETENTION_SECONDS; 0: all history is kept)' }),
    prunedEntries: Type.Integer({ minimum: 0, description: 'log entries pruned since the ledger was created; commit counts still include them' }),
    completeSnapshotsFrom: Type.Integer({ minimum: 0, description: 'a snapshot (?at=) before this seq answers 410 history_pruned; 0 when nothing was pruned' }),
  }, { description: 'history retention: entries of versions removed long ago, and the expiries that removed them, are pruned' }),
  canary: Nullable(Type.Object({ at: Type.String(), ok: Type.Boolean(), latencyMs: Count, error: Type.Union([Type.String(), Type.Null()]) })),
  recovery: Nullable(Type.Object({ abortedCommits: Count, settledCommits: Count, removedTemps: Count, durationMs: Count })),
  unrecoveredFault: Nullable(Type.Object({ at: Type.String(), code: Type.String(), detail: Type.String() })),
  owedFailures: Type.Integer({ minimum: 0, description: 'failed commits the log could not record yet; recorded once it takes writes again' }),
  backgroundErrors: Type.Array(Type.Object({
    path: Type.String({ description: 'the background work: scrub, gc, canary, deadlines, recovery, record-failure, cleanup, undo, fault-probe, reads, plain-view-flush' }),
    code: Type.String(),
    detail: Type.String(),
    since: Type.String({ format: 'date-time' }),
    count: Count,
  }), { description: 'background work whose last run failed, until it next succeeds' }),
}, { title: 'StatusReport' })
