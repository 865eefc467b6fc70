// Entry point: loadConfig, open storage, buildApp, listen, recover; close with grace on signals.
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { buildApp } from './app.js'
import { ConfigError, loadConfig, type Config } from './config.js'
import { assertSafeExposure, isLoopbackHost, loadTokens, type AuthToken } from './http/auth.js'
import { Ledger } from './ledger/ledger.js'
import { DataDirInUse, lockDataDir } from './storage/data-dir-lock.js'
import type { LedgerPorts } from './domain/ports.js'
import { openConfiguredStorage } from './storage/open-storage.js'
import { SERVICE_VERSION } from './version.js'

/** Config and tokens, checked before anything touches the data dir or a socket; a bad one is one line and exit 1. */
async function readConfig(): Promise<{ config: Config; tokens: AuthToken[] }> {
  try {
    const config = loadConfig(process.env)
    const tokens = await loadTokens(config)
    assertSafeExposure(config, tokens)
    return { config, tokens }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`artifact-ledger: ${error.message}\n`)
    process.exit(1)
  }
}

function takeDataDir(dataDir: string): () => void {
  try {
    return lockDataDir(dataDir)
  } catch (error) {
    if (!(error instanceof DataDirInUse)) throw error
    process.stderr.write(`artifact-ledger: ${error.message}\n`)
    process.exit(1)
  }
}

// Every file write, fsync and rename runs on libuv's thread pool; its default of 4 threads would cap
// the fsyncs in flight at 4 and keep the disk from batching them. Set before the pool first starts.
process.env['UV_THREADPOOL_SIZE'] ??= '32'

const { config, tokens } = await readConfig()
const releaseDataDir = takeDataDir(config.dataDir)
const logger = pino({ level: config.logLevel, base: { service: 'artifact-ledger', version: SERVICE_VERSION } })
/** The storage the config names; a log or bucket that cannot be opened is one line and exit 1. */
async function openStorageOrExit(): Promise<LedgerPorts> {
  try {
    return await openConfiguredStorage(
      config.dataDir,
      { logUrl: config.logUrl, objectStoreUrl: config.objectStoreUrl, objectStoreLeftoverAgeMs: config.objectStoreLeftoverAgeMs },
      { inlineObjectMaxBytes: config.inlineObjectMaxBytes },
    )
  } catch (error) {
    process.stderr.write(`artifact-ledger: cannot open the storage LOG_URL or OBJECT_STORE_URL names: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(1)
  }
}

const ledger = new Ledger(await openStorageOrExit(), {
  version: SERVICE_VERSION,
  maxArtifactBytes: config.maxArtifactBytes,
  disk: { hardReserveBytes: config.diskHardReserveBytes, softReserveBytes: config.diskSoftReserveBytes },
  canaryIntervalMs: config.canaryIntervalMs,
  scrubIntervalMs: config.scrubIntervalMs,
  scrubRateBytesPerSec: config.scrubRateBytesPerSec,
  gcIntervalMs: config.gcIntervalMs,
  replicaSweepIntervalMs: config.replicaSweepIntervalMs,
  gcGraceSeconds: config.gcGraceSeconds,
  sessionDeadlineSeconds: config.sessionDeadlineSeconds,
  retention: config.retention,
  expiryIntervalMs: config.expiryIntervalMs,
  expiryBatchSize: config.expiryBatchSize,
  historyRetentionSeconds: config.historyRetentionSeconds,
  maxEventSubscribers: config.maxEventSubscribers,
  plainViewFlushMs: config.plainViewFlushMs,
  logger: logger.child({ component: 'ledger' }),
})
const app = await buildApp({
  ledger,
  bodyLimitBytes: config.bodyLimitBytes,
  maxArtifactBytes: config.maxArtifactBytes,
  bodyIdleTimeoutMs: config.bodyIdleTimeoutMs,
  maxConcurrentUploads: config.maxConcurrentUploads,
  eventsHeartbeatMs: config.eventsHeartbeatMs,
  logger,
  auth: { tokens, metricsRequireToken: config.metricsRequireToken },
})
if (tokens.length > 0) logger.info({ tokens: tokens.map((t) => t.name), metricsRequireToken: config.metricsRequireToken }, 'bearer-token auth on')
else if (!isLoopbackHost(config.host)) logger.warn({ host: config.host }, 'serving without tokens on a non-loopback address (ALLOW_ANONYMOUS=true)')
// Closing order: stop accepting, let in-flight requests finish, then the ledger drains and closes the db.
app.addHook('onClose', async () => {
  await ledger.close()
  releaseDataDir()
})

closeWithGrace({ delay: config.shutdownGraceMs }, async ({ signal, err }) => {
  if (err !== undefined) logger.error({ err }, 'stopping after an unexpected error')
  else logger.info({ signal }, 'stopping')
  await app.close()
})

await app.listen({ port: config.port, host: config.host })
// Listening first lets /health/ready answer 503 while recovery runs; commits wait for it.
await ledger.recover()
logger.info({ dataDir: config.dataDir, recovery: ledger.state.lastRecovery }, 'ready')
