// The one wiring place of storage: which adapter fills each port. By default ledger.db, objects/ and
// sessions/ under DATA_DIR with the probes over them; the log on PostgreSQL (LOG_URL) and/or the objects
// in S3 (OBJECT_STORE_URL); or everything in memory. Coordination is in-process (one writer per data dir), but
// on PostgreSQL, where replicas share the log, object claims and recovery are decided across them.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { LedgerPorts, ObjectStore } from '../domain/ports.js'
import { realFs, type DurableFs } from './files/fs-seam.js'
import { FileFailureJournal } from './files/failure-journal.js'
import { FileObjectStore } from './files/object-store.js'
import { FilePlainView } from './files/plain-view.js'
import { inProcessCoordination, InProcessObjectClaims } from './in-process/coordination.js'
import { MemoryCommitLog } from './memory/commit-log.js'
import { MemoryFailureJournal } from './memory/failure-journal.js'
import { MemoryLogState } from './memory/log-state.js'
import { MemoryObjectStore } from './memory/object-store.js'
import { MemoryProbes } from './memory/probes.js'
import { MemoryBookkeeping, MemorySessionStore } from './memory/session-store.js'
import { PlainViewOff } from './plain-view-off.js'
import { parseS3Location } from './s3/location.js'
import { S3ObjectStore } from './s3/object-store.js'
import { PgCollectorTurn } from './postgres/collector-turn.js'
import { PgObjectClaims } from './postgres/object-claims.js'
import { openPostgresLog, type PostgresLog } from './postgres/open-postgres-log.js'
import { SqliteBookkeeping } from './sqlite/bookkeeping.js'
import { logGroupCommit, SqliteCommitLog } from './sqlite/commit-log.js'
import { InlineObjects } from './sqlite/inline-objects.js'
import { openLedgerDb, type Db } from './sqlite/ledger-db.js'
import { SqliteLogProbe } from './sqlite/log-probe.js'
import { SqliteSessionStore } from './sqlite/session-store.js'
import { SqlRunner } from './sqlite/sql-runner.js'
import { RealStorageProbes, type ObjectStoreProbe } from './storage-probes.js'
import { TieredObjectStore } from './tiered-object-store.js'

export interface LocalStorageOptions {
  /**
   * Content of at most this many bytes is kept inside ledger.db (INLINE_OBJECT_MAX_BYTES); 0, the
   * default here, keeps every object a file: tests that damage or delete an object's file by path run
   * on that. The service passes its configured value.
   */
  inlineObjectMaxBytes?: number
  /** The objects live elsewhere (OBJECT_STORE_URL): readiness checks that this store answers. */
  remoteObjects?: ObjectStoreProbe
}

/** The ports a ledger runs on by default: SQLite, files under DATA_DIR, in-process coordination. */
export function openStorage(dataDir: string, fs: DurableFs = realFs, options: LocalStorageOptions = {}): LedgerPorts {
  return openLocalStorage(dataDir, fs, options).ports
}

/** The same, with the database handle beside the ports, for the tests of the SQLite adapter's own faults. */
export function openLocalStorage(dataDir: string, fs: DurableFs = realFs, options: LocalStorageOptions = {}): { ports: LedgerPorts; db: Db } {
  mkdirSync(dataDir, { recursive: true })
  const db = openLedgerDb(join(dataDir, 'ledger.db'))
  // The plain view is on: uploads stage its copy beside the object's, in the same pass.
  const files = new FileObjectStore(dataDir, { fs, stagesViewCopy: true })
  const run = new SqlRunner(db)
  // One group commit for the log and the inline objects: a small commit's bytes share its fsyncs.
  const group = logGroupCommit(run)
  const objects = new TieredObjectStore(new InlineObjects(run, group), files, options.inlineObjectMaxBytes ?? 0)
  const sessions = new SqliteSessionStore(run)
  const ports: LedgerPorts = {
    log: new SqliteCommitLog(run, sessions, group),
    sessions,
    bookkeeping: new SqliteBookkeeping(run),
    objects,
    view: new FilePlainView(dataDir, (sha256) => objects.contentOf(sha256), fs),
    probes: new RealStorageProbes(dataDir, new SqliteLogProbe(run), fs, options.remoteObjects),
    failureJournal: new FileFailureJournal(dataDir),
    coordination: inProcessCoordination(),
  }
  return { ports, db }
}

/** A day: longer than any upload takes, so a replica starting never cuts short another's (OBJECT_STORE_LEFTOVER_AGE_MS). */
export const DEFAULT_LEFTOVER_AGE_MS = 24 * 60 * 60 * 1000

/** Where the log and the objects live when not under DATA_DIR (LOG_URL, OBJECT_STORE_URL). */
export interface StorageLocations {
  logUrl?: string | undefined
  objectStoreUrl?: string | undefined
  /**
   * Start-up removes the bucket's unfinished uploads only once older than this (S3ObjectStoreOptions
   * removeLeftoversOlderThanMs): replicas share the bucket, and a younger one may be another's in flight.
   */
  objectStoreLeftoverAgeMs?: number | undefined
}

/**
 * The ports the configuration names: the log on PostgreSQL (LOG_URL) and the objects in an S3 bucket
 * (OBJECT_STORE_URL), each or both; what is not named stays under DATA_DIR as by default. With objects in
 * a bucket the plain view, a projection of this host's files, is off. On PostgreSQL each process is a replica
 * whose recovery leaves other live replicas' entries alone; the other coordination stays in-process.
 */
export async function openConfiguredStorage(dataDir: string, locations: StorageLocations, options: LocalStorageOptions = {}): Promise<LedgerPorts> {
  if (locations.logUrl === undefined && locations.objectStoreUrl === undefined) return openStorage(dataDir, realFs, options)
  const objects = locations.objectStoreUrl === undefined ? undefined : S3ObjectStore.open(parseS3Location(locations.objectStoreUrl), {
      removeLeftoversOlderThanMs: locations.objectStoreLeftoverAgeMs ?? DEFAULT_LEFTOVER_AGE_MS,
    })
  if (locations.logUrl === undefined) {
    const local = openLocalStorage(dataDir, realFs, { ...options, inlineObjectMaxBytes: 0, ...(objects === undefined ? {} : { remoteObjects: objects }) }).ports
    return objects === undefined ? local : { ...local, objects, view: new PlainViewOff() }
  }
  return postgresStorage(dataDir, await openPostgresLog(locations.logUrl), realFs, objects)
}

/** A store that can say whether it answers (S3) is checked by readiness beside the log; files need not be. */
function reachabilityOf(objects: (ObjectStore & Partial<ObjectStoreProbe>) | undefined): ObjectStoreProbe | undefined {
  const check = objects?.checkReachable
  return check === undefined ? undefined : { checkReachable: () => check.call(objects) }
}

/** The log on PostgreSQL (already open: tests share one server), the rest under DATA_DIR unless `objects` is given. */
export function postgresStorage(dataDir: string, pg: PostgresLog, fs: DurableFs = realFs, objects?: ObjectStore & Partial<ObjectStoreProbe>): LedgerPorts {
  mkdirSync(dataDir, { recursive: true })
  const files = objects === undefined ? new FileObjectStore(dataDir, { fs, stagesViewCopy: true }) : undefined
  return {
    log: pg.log,
    sessions: pg.sessions,
    bookkeeping: pg.bookkeeping,
    objects: objects ?? (files as FileObjectStore),
    view: files === undefined ? new PlainViewOff() : new FilePlainView(dataDir, (sha256) => files.contentOf(sha256), fs),
    probes: new RealStorageProbes(dataDir, pg.probe, fs, reachabilityOf(objects)),
    failureJournal: new FileFailureJournal(dataDir),
    // Session locks and idempotency waits stay in-process (the log re-checks what they guard as it commits);
    // object claims, which unfinished entries to recover and garbage collection's turn are decided across replicas.
    coordination: {
      ...inProcessCoordination(),
      objects: new PgObjectClaims(pg.run.sql, pg.replica, new InProcessObjectClaims()),
      recovery: pg.replica,
      collector: new PgCollectorTurn(pg.run.sql),
    },
  }
}

/**
 * A whole ledger's ports in memory, the plain view off. Nothing survives the process: for tools that
 * need a ledger but no data (rendering openapi.yaml), and tests showing the ledger runs on any adapters.
 */
export function openMemoryStorage(): LedgerPorts {
  const state = new MemoryLogState()
  return {
    log: new MemoryCommitLog(state),
    sessions: new MemorySessionStore(state),
    bookkeeping: new MemoryBookkeeping(state),
    objects: new MemoryObjectStore(),
    view: new PlainViewOff(),
    probes: new MemoryProbes(),
    failureJournal: new MemoryFailureJournal(),
    coordination: inProcessCoordination(),
  }
}
