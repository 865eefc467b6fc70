// startLedger() with LEDGER_TARGET=cluster: a fresh database and bucket prefix, three built replicas and
// nginx (scripts/cluster.mjs), and a TestLedger whose app.inject sends real HTTP to the balancer. The
// answer has the shape the suites read from light-my-request, and is checked against openapi.yaml here,
// on the client side, since no onSend hook of ours runs in the replicas.
import { randomUUID } from 'node:crypto'
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import { Readable } from 'node:stream'
import { inject as provided } from 'vitest'
import type { LightMyRequestResponse as InjectResponse } from 'fastify'
import { objectStoreUrlOf, startCluster, type Cluster } from '../../scripts/cluster.mjs'
import { createDatabase } from '../../scripts/postgres.mjs'
import type { App } from '../../src/app.js'
import { contractChecker, type ContractChecker } from './contract.js'
import type { StartOptions, TestLedger } from './start-ledger.js'
import './cluster-target.js'

const REPLICAS = Number(process.env['LEDGER_CLUSTER_REPLICAS'] ?? 3)
let databases = 0

interface InjectRequest {
  method?: string
  url: string
  headers?: Record<string, string>
  payload?: unknown
}

/** The service's settings the suites pass, as the replicas' environment; the rest exist only in-process. */
function envOf(options: StartOptions): Record<string, string> {
  const inProcessOnly = (['dataDir', 'fs', 'storage', 'appLogger', 'settings', 'auth'] as const).filter((key) => options[key] !== undefined)
  if (inProcessOnly.length > 0) throw new Error(`startLedger({ ${inProcessOnly.join(', ')} }) is in-process only; mark the test itInProcess(…) for LEDGER_TARGET=cluster`)
  const env: Record<string, string> = {
    // As the in-process fixture: no background timers, no disk reserves, its body limits.
    CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0', GC_INTERVAL_MS: '0', EXPIRY_INTERVAL_MS: '0',
    DISK_HARD_RESERVE_BYTES: '0', DISK_SOFT_RESERVE_BYTES: '0',
    BODY_LIMIT_BYTES: String(options.bodyLimitBytes ?? 16 * 1024 * 1024),
    MAX_ARTIFACT_BYTES: String(options.maxArtifactBytes ?? 64 * 1024 * 1024),
  }
  if (options.bodyIdleTimeoutMs !== undefined) env['BODY_IDLE_TIMEOUT_MS'] = String(options.bodyIdleTimeoutMs)
  if (options.maxConcurrentUploads !== undefined) env['MAX_CONCURRENT_UPLOADS'] = String(options.maxConcurrentUploads)
  if (options.eventsHeartbeatMs !== undefined) env['EVENTS_HEARTBEAT_MS'] = String(options.eventsHeartbeatMs)
  return env
}

/** The body and the headers light-my-request would send for `payload`: objects as JSON, streams chunked. */
function bodyOf(payload: unknown, headers: Record<string, string>): Buffer | Readable | undefined {
  if (payload === undefined) return undefined
  if (payload instanceof Readable) return payload
  const bytes = typeof payload === 'string' || Buffer.isBuffer(payload) ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload))
  if (!(typeof payload === 'string' || Buffer.isBuffer(payload)) && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
  if (headers['content-length'] === undefined) headers['content-length'] = String(bytes.byteLength)
  return bytes
}

function answerOf(statusCode: number, statusMessage: string, headers: IncomingHttpHeaders, raw: Buffer): InjectResponse {
  const text = raw.toString('utf8')
  const answer = {
    statusCode, statusMessage, headers, rawPayload: raw, payload: text, body: text, trailers: {}, cookies: [],
    json: () => JSON.parse(text) as unknown,
    stream: () => Readable.from([raw]),
  }
  return answer as unknown as InjectResponse
}

/** Sends one request to `base` and reads the whole answer. */
function send(agent: Agent, base: string, options: InjectRequest): Promise<InjectResponse> {
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]))
  const body = bodyOf(options.payload, headers)
  const target = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: target.hostname, port: target.port, method: options.method ?? 'GET', path: options.url, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('error', reject)
      res.once('end', () => resolve(answerOf(res.statusCode ?? 0, res.statusMessage ?? '', res.headers, Buffer.concat(chunks))))
    })
    req.once('error', reject)
    if (body instanceof Readable) body.pipe(req)
    else req.end(body)
  })
}

/** An App whose only working member is inject(); every other one says it exists only in-process. */
function balancedApp(inject: (options: string | InjectRequest) => Promise<InjectResponse>): App {
  return new Proxy({}, {
    get(_target, key) {
      if (key === 'inject') return inject
      if (key === 'then') return undefined
      throw new Error(`t.app.${String(key)} is in-process only; against a cluster t.app offers inject() alone`)
    },
  }) as App
}

function inProcessOnly(field: string): never {
  throw new Error(`t.${field} is in-process only (LEDGER_TARGET=cluster); mark the test itInProcess(…)`)
}

export async function startClusterLedger(options: StartOptions): Promise<TestLedger> {
  const backing = provided('clusterBacking')
  const name = `t_${process.pid}_${++databases}`
  const postgresUrl = await createDatabase(backing.postgresAdminUrl, name)
  const objectStoreUrl = objectStoreUrlOf(backing.rgw, `test-${randomUUID()}`)
  const cluster: Cluster = await startCluster({ replicas: REPLICAS, postgresUrl, objectStoreUrl, env: envOf(options), logLevel: 'error' })
  const agent = new Agent({ keepAlive: true, maxSockets: 64 })
  const contract: ContractChecker = await contractChecker()
  const contractViolations: string[] = []
  const inject = async (request: string | InjectRequest): Promise<InjectResponse> => {
    const options = typeof request === 'string' ? { url: request } : request
    const answer = await send(agent, cluster.url, options)
    const type = answer.headers['content-type']?.toString()
    contractViolations.push(...contract.violations({
      method: options.method ?? 'GET', url: options.url, statusCode: answer.statusCode, contentType: type, body: answer.rawPayload,
    }))
    return answer
  }
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    agent.destroy()
    await cluster.stop()
    if (contractViolations.length > 0) throw new Error(`responses broke openapi.yaml:\n${contractViolations.join('\n')}`)
  }
  return {
    app: balancedApp(inject),
    get ledger(): never {
      return inProcessOnly('ledger')
    },
    get dataDir(): never {
      return inProcessOnly('dataDir')
    },
    get logs(): never {
      return inProcessOnly('logs')
    },
    contractViolations,
    close,
    cleanup: close,
  }
}
