// Test harness: a real ledger on a fresh mkdtemp data dir, real SQLite, real files, app.inject. It is
// set up through the ports: which storage it runs on is one option, and nothing here knows SQL.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import { buildApp, type App } from '../../src/app.js'
import type { LedgerPorts } from '../../src/domain/ports.js'
import type { AuthSettings } from '../../src/http/auth.js'
import { Ledger, type LedgerSettings } from '../../src/ledger/ledger.js'
import type { DurableFs } from '../../src/storage/files/fs-seam.js'
import { openStorage } from '../../src/storage/open-storage.js'
import { isClusterTarget } from './cluster-target.js'
import { contractChecker } from './contract.js'
import { RecordingLogger } from './recording-logger.js'

export interface TestLedger {
  app: App
  ledger: Ledger
  dataDir: string
  /** What the ledger logged (background errors and their recoveries). */
  logs: RecordingLogger
  /**
   * Responses that broke openapi.yaml (an unlisted status, an undeclared media type, a body off its
   * schema). `close` fails the test when there are any, so a drift fails the test where it happens.
   */
  contractViolations: string[]
  /** Closes the app (and the ledger with it); the data dir stays until `cleanup`. */
  close(): Promise<void>
  cleanup(): Promise<void>
}

/** Opens the ports a ledger runs on, over a data dir and the fs seam. */
export type OpenStorage = (dataDir: string, fs?: DurableFs) => LedgerPorts

export interface StartOptions {
  dataDir?: string
  fs?: DurableFs
  /** The storage to run on; the default is the service's own (SQLite and files under the data dir). */
  storage?: OpenStorage
  /** The app's request logger (pino); none by default. */
  appLogger?: FastifyBaseLogger
  bodyLimitBytes?: number
  maxArtifactBytes?: number
  settings?: Partial<LedgerSettings>
  /** Bearer-token auth, as main.ts passes it; absent means open. */
  auth?: AuthSettings
  bodyIdleTimeoutMs?: number
  maxConcurrentUploads?: number
  eventsHeartbeatMs?: number
}

/** Every data dir made in this test file; test/support/remove-data-dirs.ts removes them after it. */
const dataDirsMade: string[] = []

export async function makeDataDir(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'artifact-ledger-test-'))
  dataDirsMade.push(dataDir)
  return dataDir
}

export async function removeDataDirsMade(): Promise<void> {
  await Promise.all(dataDirsMade.splice(0).map((dataDir) => rm(dataDir, { recursive: true, force: true })))
}

export async function startLedger(options: StartOptions = {}): Promise<TestLedger> {
  // npm run test:cluster: the same suites over HTTP to replicas behind nginx; loaded only then.
  if (isClusterTarget) return (await import('./cluster-ledger.js')).startClusterLedger(options)
  const dataDir = options.dataDir ?? (await makeDataDir())
  const maxArtifactBytes = options.maxArtifactBytes ?? 64 * 1024 * 1024
  const storage = (options.storage ?? openStorage)(dataDir, options.fs)
  const logs = new RecordingLogger()
  const ledger = new Ledger(storage, {
    version: 'test',
    maxArtifactBytes,
    disk: { hardReserveBytes: 0, softReserveBytes: 0 },
    logger: logs,
    ...options.settings,
  })
  const app = await buildApp({
    ledger,
    bodyLimitBytes: options.bodyLimitBytes ?? 16 * 1024 * 1024,
    maxArtifactBytes,
    ...(options.bodyIdleTimeoutMs === undefined ? {} : { bodyIdleTimeoutMs: options.bodyIdleTimeoutMs }),
    ...(options.maxConcurrentUploads === undefined ? {} : { maxConcurrentUploads: options.maxConcurrentUploads }),
    ...(options.auth === undefined ? {} : { auth: options.auth }),
    ...(options.eventsHeartbeatMs === undefined ? {} : { eventsHeartbeatMs: options.eventsHeartbeatMs }),
    ...(options.appLogger === undefined ? {} : { logger: options.appLogger }),
  })
  app.addHook('onClose', async () => {
    await ledger.close()
  })
  const contract = await contractChecker()
  const contractViolations: string[] = []
  app.addHook('onSend', async (req, reply, payload) => {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : payload === null || payload === undefined ? '' : undefined
    const type = reply.getHeader('content-type')
    contractViolations.push(...contract.violations({
      method: req.method, url: req.url, statusCode: reply.statusCode, contentType: typeof type === 'string' ? type : undefined, body,
    }))
  })
  await ledger.recover()
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await app.close()
    if (contractViolations.length > 0) throw new Error(`responses broke openapi.yaml:\n${contractViolations.join('\n')}`)
  }
  return {
    app,
    ledger,
    dataDir,
    logs,
    contractViolations,
    close,
    async cleanup() {
      await close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}
