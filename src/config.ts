// Configuration from the environment, validated at start: a bad value stops start-up by name.
import { resolve } from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

const LogLevel = Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))
const Bytes = (description: string, minimum = 0) => Type.Integer({ minimum, description })

/** The server's data dir when DATA_DIR is not set; `artifact-ledger backup` defaults to the same. */
export const DEFAULT_DATA_DIR = './data'
/**
 * How long an object stays on disk after its upload and after its last live version went, before
 * garbage collection may remove it: the longest a backup may take from its database snapshot to its
 * last object (a backup inside it cannot lose an object to GC).
 */
export const DEFAULT_GC_GRACE_SECONDS = 60 * 60

/** Chosen by measurement (docs/performance.md, "Small artifacts inside ledger.db"). */
export const DEFAULT_INLINE_OBJECT_MAX_BYTES = 32 * 1024

export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  DATA_DIR: Type.String({ minLength: 1, default: DEFAULT_DATA_DIR }),
  LOG_LEVEL: Type.Unsafe<Config['logLevel']>({ ...LogLevel, default: 'info' }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 64 * 1024 * 1024, description: 'largest JSON commit body' }),
  MAX_ARTIFACT_BYTES: Type.Integer({ minimum: 1, default: 4 * 1024 * 1024 * 1024, description: 'largest streamed PUT body' }),
  DISK_HARD_RESERVE_BYTES: Type.Optional(Bytes('free space below which the service is not ready')),
  DISK_SOFT_RESERVE_BYTES: Type.Optional(Bytes('free space below which readiness warns')),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, default: 10_000 }),
  AUTH_TOKENS: Type.Optional(Type.String({ description: 'bearer tokens: name=token:scope+scope, comma-separated' })),
  AUTH_TOKENS_FILE: Type.Optional(Type.String({ minLength: 1, description: 'file of tokens, one per line' })),
  ALLOW_ANONYMOUS: Type.Boolean({ default: false, description: 'serve without tokens on a non-loopback address' }),
  METRICS_REQUIRE_TOKEN: Type.Boolean({ default: false }),
  CANARY_INTERVAL_MS: Type.Integer({ minimum: 0, default: 30_000, description: '0 disables the canary' }),
  SCRUB_INTERVAL_MS: Type.Integer({ minimum: 0, default: 6 * 60 * 60 * 1000, description: '0 disables the background scrub' }),
  SCRUB_RATE_BYTES_PER_SEC: Type.Integer({ minimum: 1, default: 64 * 1024 * 1024 }),
  GC_INTERVAL_MS: Type.Integer({ minimum: 0, default: 10 * 60 * 1000, description: '0 disables background garbage collection; POST /v1/gc still runs it' }),
  REPLICA_SWEEP_INTERVAL_MS: Type.Integer({
    minimum: 0, default: 10_000, description: 'with LOG_URL: how often a replica aborts the pending commits of replicas that died; 0 never',
  }),
  SESSION_DEADLINE_SECONDS: Type.Integer({ minimum: 1, default: 24 * 60 * 60, description: 'deadline of a session that names none, from its creation' }),
  BODY_IDLE_TIMEOUT_MS: Type.Integer({ minimum: 1, default: 30_000, description: 'a request body that makes no progress this long is cut off' }),
  MAX_CONCURRENT_UPLOADS: Type.Integer({ minimum: 1, default: 128, description: 'write request bodies received at once; beyond, 503 with Retry-After' }),
  GC_GRACE_SECONDS: Type.Integer({ minimum: 1, default: DEFAULT_GC_GRACE_SECONDS, description: 'an unreferenced object younger than this (since upload and release) is kept' }),
  RETENTION_KEEP_VERSIONS: Type.Optional(Type.Integer({ minimum: 1, description: 'default: only the newest N versions of each artifact stay' })),
  RETENTION_DELETE_AFTER_DAYS: Type.Optional(Type.Integer({ minimum: 1, description: 'default: versions committed more than D days ago expire' })),
  EXPIRY_INTERVAL_MS: Type.Integer({ minimum: 0, default: 5000, description: 'how often a batch of expiry runs; 0 disables it' }),
  EXPIRY_BATCH_SIZE: Type.Integer({ minimum: 1, default: 1000, description: 'versions expired per batch' }),
  HISTORY_RETENTION_SECONDS: Type.Integer({
    minimum: 0, default: 30 * 24 * 60 * 60,
    description: 'the history of removed versions is pruned this long after their removal; 0 keeps all history',
  }),
  EVENTS_HEARTBEAT_MS: Type.Integer({ minimum: 1, default: 15_000, description: 'a heartbeat comment on every event stream this often' }),
  MAX_EVENT_SUBSCRIBERS: Type.Integer({ minimum: 1, default: 64, description: 'event streams (GET /v1/events) open at once; beyond, 503 with Retry-After' }),
  INLINE_OBJECT_MAX_BYTES: Type.Integer({
    minimum: 0, maximum: 1024 * 1024, default: DEFAULT_INLINE_OBJECT_MAX_BYTES,
    description: 'artifacts of at most this size are kept inside ledger.db instead of objects/; 0 keeps every one a file',
  }),
  LOG_URL: Type.Optional(Type.String({
    pattern: '^postgres(ql)?://', description: 'postgres://user:password@host:port/database: the log on PostgreSQL instead of ledger.db',
  })),
  OBJECT_STORE_URL: Type.Optional(Type.String({
    pattern: '^s3://', description: 's3://[key:secret@]bucket[/prefix]?endpoint=…&region=…: the objects in an S3 bucket instead of objects/ (the plain view is then off)',
  })),
  OBJECT_STORE_LEFTOVER_AGE_MS: Type.Integer({
    minimum: 0, default: 24 * 60 * 60 * 1000,
    description: 'with OBJECT_STORE_URL: start-up removes unfinished uploads (staging keys, multipart uploads) only once older than this, ' +
      'so another replica\'s upload in flight survives; longer than the longest upload may take. 0 removes every one (one ledger per bucket)',
  }),
  PLAIN_VIEW_FLUSH_MS: Type.Integer({
    minimum: 0, default: 100,
    description: 'plain files are fsynced in batches this often, behind a checkpoint start-up recovery checks after; 0 fsyncs each before its 2xx',
  }),
}, { additionalProperties: true })

export interface Config {
  port: number
  host: string
  dataDir: string
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  bodyLimitBytes: number
  maxArtifactBytes: number
  diskHardReserveBytes: number
  diskSoftReserveBytes: number
  shutdownGraceMs: number
  authTokens: string | undefined
  authTokensFile: string | undefined
  allowAnonymous: boolean
  metricsRequireToken: boolean
  canaryIntervalMs: number
  scrubIntervalMs: number
  scrubRateBytesPerSec: number
  gcIntervalMs: number
  replicaSweepIntervalMs: number
  gcGraceSeconds: number
  /** Content of at most this many bytes is stored inside ledger.db (docs/performance.md); 0: every object a file. */
  inlineObjectMaxBytes: number
  sessionDeadlineSeconds: number
  bodyIdleTimeoutMs: number
  maxConcurrentUploads: number
  /** The server's retention, for sessions that do not set their own; empty keeps every version. */
  retention: { keepVersions?: number; deleteAfterDays?: number }
  expiryIntervalMs: number
  expiryBatchSize: number
  historyRetentionSeconds: number
  eventsHeartbeatMs: number
  maxEventSubscribers: number
  plainViewFlushMs: number
  /** The log on PostgreSQL when set; ledger.db under DATA_DIR otherwise. */
  logUrl: string | undefined
  /** The objects in an S3 bucket when set; objects/ under DATA_DIR otherwise. */
  objectStoreUrl: string | undefined
  /** Unfinished uploads in the bucket older than this are another writer's no longer: start-up removes them. */
  objectStoreLeftoverAgeMs: number
}

const DEFAULT_HARD_RESERVE = 64 * 1024 * 1024
const DEFAULT_SOFT_RESERVE = 1024 * 1024 * 1024

export class ConfigError extends Error {}

type Env = Static<typeof EnvSchema>

function parseScalar(key: string, value: string): unknown {
  const trimmed = value.trim()
  if (/^(PORT|.*_BYTES|.*_MS|.*_PER_SEC|.*_SECONDS|.*_SIZE|MAX_.*|RETENTION_.*)$/.test(key)) return /^\d+$/.test(trimmed) ? Number(trimmed) : value
  if (key === 'ALLOW_ANONYMOUS' || key === 'METRICS_REQUIRE_TOKEN') {
    if (/^(1|true|yes)$/i.test(trimmed)) return true
    if (/^(0|false|no)$/i.test(trimmed)) return false
  }
  return value
}

/** Reads only the variables we know; each bad one is named in a single line. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const known = Object.keys(EnvSchema.properties)
  const raw: Record<string, unknown> = {}
  for (const key of known) {
    const value = env[key]
    if (value === undefined || value === '') continue
    raw[key] = parseScalar(key, value)
  }
  const withDefaults = Value.Default(EnvSchema, raw) as Record<string, unknown>
  const firstError = Value.Errors(EnvSchema, withDefaults).First()
  if (firstError !== undefined) {
    const name = firstError.path.replace(/^\//, '')
    throw new ConfigError(`invalid configuration: ${name}=${JSON.stringify(env[name] ?? '')} ${firstError.message.toLowerCase()}`)
  }
  const valid = withDefaults as Env
  return {
    port: valid.PORT,
    host: valid.HOST,
    dataDir: resolve(valid.DATA_DIR),
    logLevel: valid.LOG_LEVEL,
    bodyLimitBytes: valid.BODY_LIMIT_BYTES,
    maxArtifactBytes: valid.MAX_ARTIFACT_BYTES,
    diskHardReserveBytes: valid.DISK_HARD_RESERVE_BYTES ?? DEFAULT_HARD_RESERVE,
    diskSoftReserveBytes: valid.DISK_SOFT_RESERVE_BYTES ?? DEFAULT_SOFT_RESERVE,
    shutdownGraceMs: valid.SHUTDOWN_GRACE_MS,
    authTokens: valid.AUTH_TOKENS,
    authTokensFile: valid.AUTH_TOKENS_FILE,
    allowAnonymous: valid.ALLOW_ANONYMOUS,
    metricsRequireToken: valid.METRICS_REQUIRE_TOKEN,
    canaryIntervalMs: valid.CANARY_INTERVAL_MS,
    scrubIntervalMs: valid.SCRUB_INTERVAL_MS,
    scrubRateBytesPerSec: valid.SCRUB_RATE_BYTES_PER_SEC,
    gcIntervalMs: valid.GC_INTERVAL_MS,
    replicaSweepIntervalMs: valid.REPLICA_SWEEP_INTERVAL_MS,
    gcGraceSeconds: valid.GC_GRACE_SECONDS,
    inlineObjectMaxBytes: valid.INLINE_OBJECT_MAX_BYTES,
    sessionDeadlineSeconds: valid.SESSION_DEADLINE_SECONDS,
    bodyIdleTimeoutMs: valid.BODY_IDLE_TIMEOUT_MS,
    maxConcurrentUploads: valid.MAX_CONCURRENT_UPLOADS,
    retention: {
      ...(valid.RETENTION_KEEP_VERSIONS === undefined ? {} : { keepVersions: valid.RETENTION_KEEP_VERSIONS }),
      ...(valid.RETENTION_DELETE_AFTER_DAYS === undefined ? {} : { deleteAfterDays: valid.RETENTION_DELETE_AFTER_DAYS }),
    },
    expiryIntervalMs: valid.EXPIRY_INTERVAL_MS,
    expiryBatchSize: valid.EXPIRY_BATCH_SIZE,
    historyRetentionSeconds: valid.HISTORY_RETENTION_SECONDS,
    eventsHeartbeatMs: valid.EVENTS_HEARTBEAT_MS,
    maxEventSubscribers: valid.MAX_EVENT_SUBSCRIBERS,
    plainViewFlushMs: valid.PLAIN_VIEW_FLUSH_MS,
    logUrl: valid.LOG_URL,
    objectStoreUrl: valid.OBJECT_STORE_URL,
    objectStoreLeftoverAgeMs: valid.OBJECT_STORE_LEFTOVER_AGE_MS,
  }
}
