// Prometheus metrics for one app: counters fed by ledger events, gauges read from the ledger's status at scrape time.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import { BACKGROUND_PATHS, type LedgerObserver } from '../domain/ports.js'
import { CLOSED_BY, CLOSED_STATES, SESSION_STATES } from '../domain/session.js'
import type { Ledger } from '../ledger/ledger.js'
import type { StatusReport } from '../ledger/status.js'

const PREFIX = 'artifact_ledger_'

type IntegrityKind = Parameters<LedgerObserver['integrityProblem']>[0]

// Every label value is known up front, so each series exists (at 0) before its first event: rate() and alerts see it.
const COMMIT_OUTCOMES = ['committed', 'failed', 'aborted'] as const
const INTEGRITY_KINDS: readonly IntegrityKind[] = ['read_back_mismatch', 'object_corrupt', 'object_missing', 'plain_mismatch', 'plain_missing']
/** Why commits are aborted: their client stalled or vanished mid-body, or the service restarted. */
const ABORT_CODES = ['client_timeout', 'client_disconnected', 'service_restarted'] as const
const SCRUB_FINDINGS = ['missing', 'corrupt', 'orphaned', 'repaired'] as const

/**
 * prom-client's default gauges that `promtool check metrics` rejects (a gauge must not end in `_total`);
 * the per-type series `nodejs_active_handles{type}` and friends carry the same numbers.
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

/** From a quick JSON commit to a large streamed upload on a slow disk. */
const COMMIT_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]

interface Snapshot {
  status: StatusReport
  /** What /health/ready says: anything but `fail` answers 200. */
  isReady: boolean
}

export interface LedgerMetrics {
  register: Registry
  /** The text exposition, gauges read from the ledger now. */
  render(): Promise<string>
}

/** Seconds since the epoch of an ISO timestamp; 0 stands for "never". */
function epochSeconds(iso: string | undefined): number {
  return iso === undefined ? 0 : Date.parse(iso) / 1000
}

/** One status read per scrape: every gauge's collect() runs in the same tick and shares the read in flight. */
function coalesce(load: () => Promise<Snapshot>): () => Promise<Snapshot> {
  let inFlight: Promise<Snapshot> | undefined
  return () => {
    inFlight ??= load().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }
}

/** A fresh registry per app (never the global one), so tests can build several apps side by side. */
export function createLedgerMetrics(ledger: Ledger): LedgerMetrics {
  const register = new Registry()
  collectDefaultMetrics({ register })
  for (const name of LINT_FAILING_DEFAULTS) register.removeSingleMetric(name)
  observeLedger(ledger, register)

  const snapshot = coalesce(async () => {
    const [status, health] = await Promise.all([ledger.status(), ledger.readiness()])
    return { status, isReady: health.status !== 'fail' }
  })
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], read: (g: Gauge<L>, s: Snapshot) => void): void => {
    new Gauge<L>({
      name: PREFIX + name, help, labelNames, registers: [register],
      async collect() {
        read(this, await snapshot())
      },
    })
  }

  gauge('ready', '1 when /health/ready answers 200 (pass or warn), 0 when it fails', [], (g, { isReady }) => {
    g.set(isReady ? 1 : 0)
  })
  gauge('store_reachable', '1 when this replica reaches the store now, 0 when not: the database, and the object store where it is not files', ['store'], (g, { status }) => {
    g.set({ store: 'database' }, status.checks.database.ok ? 1 : 0)
    if (status.checks.objectStore !== null) g.set({ store: 'object_store' }, status.checks.objectStore.ok ? 1 : 0)
  })
  gauge('unrecovered_storage_fault', '1 while a write, fsync or database fault has not been recovered by a probe write', [], (g, { status }) => {
    g.set(status.unrecoveredFault === null ? 0 : 1)
  })
  gauge('sessions', 'Sessions by state (the canary excluded)', ['state'], (g, { status }) => {
    for (const state of SESSION_STATES) g.set({ state }, status.sessions[state])
  })
  gauge('incomplete_sessions', 'Sessions closed (by their writer or their deadline) without all of their expected artifacts', [], (g, { status }) => {
    g.set(status.sessions.incomplete)
  })
  gauge('failed_sessions', 'Sessions whose writer reported a failure when it closed them', [], (g, { status }) => {
    g.set(status.sessions.failed)
  })
  gauge('sessions_closed_by_deadline', 'Sessions the service closed because their writer had not by the deadline', [], (g, { status }) => {
    g.set(status.sessions.closedByDeadline)
  })
  gauge('owed_failures', 'Failed commits the log could not record yet (it was failing); recorded once it takes writes again', [], (g, { status }) => {
    g.set(status.owedFailures)
  })
  // Unknown sizes are NaN, not 0: a failed statfs must not look like a full disk (readiness fails on it instead).
  gauge('disk_free_bytes', 'Free bytes on the filesystem of the data directory (NaN when unknown)', [], (g, { status }) => {
    g.set(status.storage.freeBytes ?? Number.NaN)
  })
  gauge('disk_total_bytes', 'Size in bytes of the filesystem of the data directory (NaN when unknown)', [], (g, { status }) => {
    g.set(status.storage.totalBytes ?? Number.NaN)
  })
  gauge('stored_objects', 'Content-addressed objects recorded in the log', [], (g, { status }) => {
    g.set(status.storage.objectCount)
  })
  gauge('stored_object_bytes', 'Bytes of the content-addressed objects recorded in the log', [], (g, { status }) => {
    g.set(status.storage.objectBytes)
  })
  gauge('database_bytes', 'Bytes of the SQLite transaction log', [], (g, { status }) => {
    g.set(status.storage.databaseBytes)
  })
  gauge('scrub_findings', 'Findings of the last scrub by kind (0 before the first scrub)', ['kind'], (g, { status }) => {
    for (const kind of SCRUB_FINDINGS) g.set({ kind }, status.lastScrub?.[kind] ?? 0)
  })
  gauge('scrub_success', '1 when the last scrub found nothing wrong, 0 when it did, NaN before the first scrub', [], (g, { status }) => {
    g.set(status.lastScrub === null ? Number.NaN : status.lastScrub.ok ? 1 : 0)
  })
  gauge('scrub_last_run_timestamp_seconds', 'When the last scrub finished, in seconds since the epoch (0: never)', [], (g, { status }) => {
    g.set(epochSeconds(status.lastScrub?.finishedAt))
  })
  // Totals kept in the log, so they survive a restart: counters whose value is read, not incremented here.
  const total = (name: string, help: string, read: (s: Snapshot) => number): void => {
    new Counter({
      name: PREFIX + name, help, registers: [register],
      async collect() {
        this.reset()
        this.inc(read(await snapshot()))
      },
    })
  }
  total('gc_runs_total', 'Garbage-collection runs finished since the ledger was created', ({ status }) => status.gc.runs)
  total('gc_reclaimed_objects_total', 'Objects garbage collection deleted because no live version referred to them', ({ status }) => status.gc.reclaimedObjects)
  total('gc_reclaimed_bytes_total', 'Bytes of the objects garbage collection deleted', ({ status }) => status.gc.reclaimedBytes)
  total('history_pruned_entries_total', 'Log entries history retention pruned (their versions removed longer ago than HISTORY_RETENTION_SECONDS)',
    ({ status }) => status.history.prunedEntries)
  gauge('gc_success', '1 when the last garbage collection finished, 0 when it failed, NaN before the first', [], (g, { status }) => {
    g.set(status.lastGc === null ? Number.NaN : status.lastGc.ok ? 1 : 0)
  })
  gauge('gc_last_run_timestamp_seconds', 'When the last garbage collection finished, in seconds since the epoch (0: never)', [], (g, { status }) => {
    g.set(epochSeconds(status.lastGc?.finishedAt))
  })
  gauge('canary_success', '1 when the last canary commit succeeded, 0 when it failed, NaN before the first', [], (g, { status }) => {
    g.set(status.canary === null ? Number.NaN : status.canary.ok ? 1 : 0)
  })
  gauge('canary_latency_seconds', 'How long the last canary commit took (NaN before the first)', [], (g, { status }) => {
    g.set(status.canary === null ? Number.NaN : status.canary.latencyMs / 1000)
  })
  gauge('canary_last_run_timestamp_seconds', 'When the last canary commit started, in seconds since the epoch (0: never)', [], (g, { status }) => {
    g.set(epochSeconds(status.canary?.at))
  })

  return { register, render: () => register.metrics() }
}

/** Counters and the latency histogram, fed by ledger events as they happen (the canary's own commits are not reported). */
function observeLedger(ledger: Ledger, register: Registry): void {
  const registers = [register]
  const commits = new Counter({
    name: `${PREFIX}commits_total`, help: 'Commit attempts by outcome: committed, failed, or aborted by recovery', labelNames: ['outcome'], registers,
  })
  const failures = new Counter({
    name: `${PREFIX}commit_failures_total`, help: 'Failed commits by error code', labelNames: ['code'], registers,
  })
  const duration = new Histogram({
    name: `${PREFIX}commit_duration_seconds`, help: 'Latency of committed commits, from start to verified and logged', buckets: COMMIT_DURATION_BUCKETS, registers,
  })
  const written = new Counter({
    name: `${PREFIX}written_bytes_total`, help: 'Artifact bytes made durable by committed commits', registers,
  })
  const integrity = new Counter({
    name: `${PREFIX}integrity_problems_total`,
    help: 'Verification failures: read-back mismatches, corrupt or missing objects, plain files that differ from the log',
    labelNames: ['kind'], registers,
  })
  const aborts = new Counter({
    name: `${PREFIX}commit_aborts_total`,
    help: 'Aborted commits by reason: the client stalled or went away mid-body, or the service restarted (not failures of the service)',
    labelNames: ['code'], registers,
  })
  const closes = new Counter({
    name: `${PREFIX}session_closes_total`,
    help: 'Sessions closed, by the state they closed in and by whom: their writer, or the service at their deadline',
    labelNames: ['state', 'by'], registers,
  })
  const background = new Counter({
    name: `${PREFIX}background_errors_total`,
    help: 'Errors of background work (scrub, canary, deadlines, cleanup, recording failures…) by path and code; internal means a bug',
    labelNames: ['path', 'code'], registers,
  })
  for (const outcome of COMMIT_OUTCOMES) commits.inc({ outcome }, 0)
  for (const kind of INTEGRITY_KINDS) integrity.inc({ kind }, 0)
  for (const code of ABORT_CODES) aborts.inc({ code }, 0)
  for (const state of CLOSED_STATES) for (const by of CLOSED_BY) closes.inc({ state, by }, 0)
  for (const path of BACKGROUND_PATHS) background.inc({ path, code: 'internal' }, 0)

  ledger.addObserver({
    commitFinished(outcome, { durationSeconds, bytes, code }) {
      commits.inc({ outcome })
      if (outcome === 'failed') failures.inc({ code: code ?? 'unknown' })
      if (outcome === 'aborted') aborts.inc({ code: code ?? 'unknown' })
      if (outcome !== 'committed') return
      duration.observe(durationSeconds)
      written.inc(bytes)
    },
    commitsAborted(count) {
      commits.inc({ outcome: 'aborted' }, count)
      aborts.inc({ code: 'service_restarted' }, count)
    },
    sessionClosed(state, by) {
      closes.inc({ state, by })
    },
    integrityProblem(kind) {
      integrity.inc({ kind })
    },
    backgroundError(path, code) {
      background.inc({ path, code })
    },
  })
}
