// Liveness and readiness as application/health+json: each named check says pass, warn or fail.
import type { StorageProbes } from '../domain/ports.js'
import type { StandingError } from './background-errors.js'
import { describeError } from './describe-error.js'
import type { ServiceState } from './service-state.js'

/** What readiness reads of the ledger besides its storage. */
export interface LedgerHealthView {
  state: ServiceState
  /** Failures the log could not record yet: ready waits until it has. */
  owedFailures: () => number
  /** Plain files whose batched flush failed and that are not written again yet: ready waits for them too. */
  owedPlainFiles: () => number
  backgroundErrors: () => StandingError[]
}

export type HealthStatus = 'pass' | 'warn' | 'fail'

export interface HealthCheck {
  status: HealthStatus
  componentType?: string
  observedValue?: string | number
  observedUnit?: string
  output?: string
  time: string
}

export interface HealthReport {
  status: HealthStatus
  version: string
  serviceId: string
  description: string
  checks: Record<string, HealthCheck[]>
}

export interface DiskThresholds {
  /** Below this much free space the service is not ready: room is kept to record failures. */
  hardReserveBytes: number
  /** Below this it still serves, but warns. */
  softReserveBytes: number
}

function worst(statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes('fail')) return 'fail'
  if (statuses.includes('warn')) return 'warn'
  return 'pass'
}

export function report(version: string, checks: Record<string, HealthCheck>): HealthReport {
  return {
    status: worst(Object.values(checks).map((c) => c.status)),
    version,
    serviceId: 'artifact-ledger',
    description: 'verifiable artifact persistence',
    checks: Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, [check]])),
  }
}

/** Runs a probe; returns why it failed (the errno of a storage failure, such as EROFS, or the domain's detail), if it did. */
async function attempt(action: () => unknown): Promise<string | undefined> {
  try {
    await action()
    return undefined
  } catch (error) {
    const described = describeError(error)
    const errno = described.facts?.['errno']
    if (typeof errno === 'string') return errno
    return described.code === 'internal' ? 'the probe failed' : described.detail
  }
}

/** Whether a store answers: `error` says why not. */
export interface Reachability {
  ok: boolean
  error: string | null
}

/** The stores this replica depends on, each asked at once: the database always, the object store where it is elsewhere (S3). */
export interface StoreReachability {
  database: Reachability
  objectStore: Reachability | null
}

async function reach(action: () => unknown): Promise<Reachability> {
  const problem = await attempt(action)
  return { ok: problem === undefined, error: problem ?? null }
}

/** Readiness, status and metrics ask this: a replica that cannot reach either store is taken out by its balancer. */
export async function storeReachability(probes: StorageProbes): Promise<StoreReachability> {
  const [database, objectStore] = await Promise.all([
    reach(() => probes.checkDatabase()),
    probes.checkObjectStore === undefined ? null : reach(() => probes.checkObjectStore?.()),
  ])
  return { database, objectStore }
}

function reachabilityCheck(reachability: Reachability, time: string): HealthCheck {
  return { status: reachability.ok ? 'pass' : 'fail', componentType: 'datastore', ...(reachability.error === null ? {} : { output: reachability.error }), time }
}

export async function readinessChecks(
  view: LedgerHealthView,
  probes: StorageProbes,
  thresholds: DiskThresholds,
  tryRecover: () => Promise<void>,
): Promise<Record<string, HealthCheck>> {
  const { state } = view
  const time = new Date().toISOString()
  const checks: Record<string, HealthCheck> = {}
  checks['recovery'] = {
    status: state.phase === 'ready' ? 'pass' : 'fail',
    observedValue: state.phase,
    ...(state.phase === 'ready' ? {} : { output: `the service is ${state.phase}` }),
    time,
  }
  const stores = await storeReachability(probes)
  checks['database:writable'] = reachabilityCheck(stores.database, time)
  if (stores.objectStore !== null) checks['objectstore:reachable'] = reachabilityCheck(stores.objectStore, time)
  const dirProblem = await attempt(() => probes.checkDataDir())
  checks['datadir:writable'] = { status: dirProblem === undefined ? 'pass' : 'fail', componentType: 'datastore', ...(dirProblem === undefined ? {} : { output: dirProblem }), time }

  const needsRecovery = (): boolean => state.unrecoveredFault !== undefined || state.dirtySessions.size > 0 || view.owedFailures() > 0 || view.owedPlainFiles() > 0
  if (needsRecovery() && state.phase === 'ready') await tryRecover()
  const fault = state.unrecoveredFault
  const owed = view.owedFailures()
  checks['storage:faults'] = fault !== undefined
    ? { status: 'fail', observedValue: fault.code, output: `unrecovered storage fault since ${fault.at}: ${fault.detail}`, time }
    : owed > 0
      ? { status: 'fail', observedValue: owed, output: `${owed} failed commits are not in the log yet; they are recorded once it takes writes`, time }
      : state.dirtySessions.size > 0
        ? { status: 'fail', observedValue: state.dirtySessions.size, output: 'plain files of some sessions are not back in line with the log yet', time }
        : view.owedPlainFiles() > 0
          ? { status: 'fail', observedValue: view.owedPlainFiles(), output: 'plain files whose flush failed are not written again yet', time }
          : { status: 'pass', time }

  // Background work that failed with an error it could not handle: still serving, but not as it should.
  const standing = view.backgroundErrors()
  checks['background'] = standing.length === 0
    ? { status: 'pass', time }
    : { status: 'warn', observedValue: standing.length, output: standing.map((e) => `${e.path}: ${e.code} since ${e.since} (${e.count}×)`).join('; '), time }

  const canary = state.canary
  checks['canary'] = canary === undefined
    ? { status: 'pass', output: 'no canary commit has run yet', time }
    : {
      status: canary.ok ? 'pass' : 'warn', observedValue: canary.latencyMs, observedUnit: 'ms', time,
      ...(canary.ok ? {} : { output: `the last canary commit at ${canary.at} failed: ${canary.error ?? 'unknown'}` }),
    }

  try {
    const { freeBytes } = await probes.diskSpace()
    const status: HealthStatus = freeBytes < thresholds.hardReserveBytes ? 'fail' : freeBytes < thresholds.softReserveBytes ? 'warn' : 'pass'
    checks['disk:free'] = {
      status, componentType: 'system', observedValue: freeBytes, observedUnit: 'bytes', time,
      ...(status === 'pass' ? {} : { output: `free space ${freeBytes} bytes is below the ${status === 'fail' ? 'hard reserve' : 'soft threshold'}` }),
    }
  } catch (error) {
    checks['disk:free'] = { status: 'fail', componentType: 'system', output: describeError(error).detail, time }
  }
  return checks
}
