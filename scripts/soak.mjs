#!/usr/bin/env node
// Soak: starts the built server, holds a steady mixed load for N minutes, samples its RSS and open
// file descriptors, then verifies every stored byte. Not part of `npm test` (it takes minutes):
//
//   npm run soak -- --minutes 5 --connections 16 --rate 200
//
// A retention soak: a fixed set of sessions whose artifacts are overwritten again and again under a
// keepVersions policy; the data dir's size is sampled and must stay flat after the warm-up:
//
//   npm run soak -- --minutes 10 --sessions 8 --keep-versions 3 --blob-bytes 65536 \
//     --server-env GC_INTERVAL_MS=5000 --server-env GC_GRACE_SECONDS=5 --max-size-growth-mib 64
//
// Exits non-zero on any non-2xx answer, connection error or timeout, a failed or mismatched answer
// seen by the checks below, a failed commit in the log, a failed verify, or open fds that grew by
// more than --max-fd-growth. Plain JS (ESM) so it runs from the built tree without a compile step.
// Linux only: RSS and fds are read from /proc.
import { spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
// autocannon is the well-kept Node.js HTTP load generator (by the Fastify maintainers): it keeps
// connections busy at a fixed overall rate and corrects latencies for coordinated omission.
import autocannon from 'autocannon'
import { freePort } from './process-helpers.mjs'

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8' },
    // Requests per second over all connections; 0 sends as fast as the server answers.
    rate: { type: 'string', default: '150' },
    'sample-seconds': { type: 'string', default: '10' },
    'max-fd-growth': { type: 'string', default: '8' },
    'keep-data': { type: 'boolean', default: false },
    // 0: a new session every 40 cycles (the log and the data grow); N: cycle over N sessions for ever.
    sessions: { type: 'string', default: '0' },
    // Set on every session (PUT /v1/sessions/{sid} retention.keepVersions); 0 keeps everything.
    'keep-versions': { type: 'string', default: '0' },
    'blob-bytes': { type: 'string', default: '4096' },
    // The data dir may grow at most this much between the end of the warm-up (a third of the run) and the end.
    'max-size-growth-mib': { type: 'string', default: '0' },
    'server-env': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  console.log('usage: npm run soak -- [--minutes 2] [--connections 8] [--rate 150 (req/s, 0 = unlimited)] [--sample-seconds 10] [--max-fd-growth 8] [--keep-data]\n' +
    '         [--sessions N (0: new sessions)] [--keep-versions N] [--blob-bytes 4096] [--max-size-growth-mib M (0: not checked)] [--server-env KEY=VALUE]...')
  process.exit(0)
}

function positive(name, { allowZero = false } = {}) {
  const value = Number(args[name])
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    console.error(`soak: --${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, not ${JSON.stringify(args[name])}`)
    process.exit(2)
  }
  return value
}
const minutes = positive('minutes')
const connections = Math.round(positive('connections'))
const rate = positive('rate', { allowZero: true })
const sampleSeconds = positive('sample-seconds')
const maxFdGrowth = positive('max-fd-growth', { allowZero: true })
const durationSeconds = Math.max(1, Math.round(minutes * 60))
const fixedSessions = Math.round(positive('sessions', { allowZero: true }))
const keepVersions = Math.round(positive('keep-versions', { allowZero: true }))
const blobBytes = Math.round(positive('blob-bytes'))
const maxSizeGrowthMiB = positive('max-size-growth-mib', { allowZero: true })
const serverEnv = Object.fromEntries(args['server-env'].map((pair) => {
  const at = pair.indexOf('=')
  if (at <= 0) {
    console.error(`soak: --server-env takes KEY=VALUE, not ${JSON.stringify(pair)}`)
    process.exit(2)
  }
  return [pair.slice(0, at), pair.slice(at + 1)]
}))

const MAIN_JS = fileURLToPath(new URL('../dist/main.js', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))

// ---------------------------------------------------------------------------------------------
// The server under load
// ---------------------------------------------------------------------------------------------


/**
 * VmRSS and open descriptors of the server from /proc, and its V8 heap in use from its own /metrics:
 * a heap that keeps growing is a leak, an RSS that grows while the heap does not is the allocator
 * and SQLite's page cache.
 */
/** Bytes the data dir takes on disk (allocated blocks), by part: objects, the log (db and WAL), plain files. */
async function dataDirSize() {
  const parts = { objects: 0, log: 0, plain: 0, other: 0 }
  const walk = async (dir, part) => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const entry of entries) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path, part ?? (entry.name === 'objects' ? 'objects' : entry.name === 'sessions' ? 'plain' : 'other'))
      else {
        const size = await stat(path).then((s) => s.blocks * 512, () => 0)
        parts[part ?? (entry.name.startsWith('ledger.db') ? 'log' : 'other')] += size
      }
    }
  }
  await walk(dataDir, undefined)
  return { ...parts, total: parts.objects + parts.log + parts.plain + parts.other }
}

async function sample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1] ?? NaN)
  const fds = readdirSync(`/proc/${pid}/fd`).length
  const metrics = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text(), () => '')
  const heapBytes = Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(metrics)?.[1] ?? NaN)
  const size = await dataDirSize()
  return { at: Date.now(), rssMiB: kib / 1024, heapMiB: heapBytes / 1048576, fds, size }
}

const dataDir = await mkdtemp(join(tmpdir(), 'artifact-ledger-soak-'))
const port = await freePort()
const baseUrl = `http://127.0.0.1:${port}`
let logTail = ''
let warnings = 0
let errorLogs = 0
const server = spawn(process.execPath, [MAIN_JS], {
  cwd: REPO_ROOT,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    // A crowded shared disk must not make the server unready: the reserves are not what is soaked.
    DISK_HARD_RESERVE_BYTES: '0',
    DISK_SOFT_RESERVE_BYTES: '0',
    ...serverEnv,
  },
})
const keepLog = (chunk) => {
  const text = chunk.toString('utf8')
  logTail = (logTail + text).slice(-16 * 1024)
  for (const line of text.split('\n')) {
    const level = /"level":(\d+)/.exec(line)?.[1]
    if (level === '40') warnings++
    if (level !== undefined && Number(level) >= 50) errorLogs++
  }
}
server.stdout.on('data', keepLog)
server.stderr.on('data', keepLog)
let serverExit
const exited = new Promise((resolve) => server.once('exit', (code, signal) => {
  serverExit = { code, signal }
  resolve(serverExit)
}))

let load
let stopping = false
/** Stops the server by its pid: SIGTERM, then SIGKILL if it has not gone within 15 s. */
async function stopServer() {
  if (serverExit !== undefined) return serverExit
  process.kill(server.pid, 'SIGTERM')
  const result = await Promise.race([exited, sleep(15_000, 'timeout')])
  if (result !== 'timeout') return result
  process.kill(server.pid, 'SIGKILL')
  return exited
}
async function cleanUp() {
  await stopServer()
  if (!args['keep-data']) await rm(dataDir, { recursive: true, force: true })
}
process.once('SIGINT', () => {
  if (stopping) return
  stopping = true
  console.error('\nsoak: interrupted, stopping the load and the server')
  load?.stop()
  void cleanUp().finally(() => process.exit(130))
})
// Bounded whatever happens: the load itself ends after --minutes, this catches a hang after it.
const hardStop = setTimeout(() => {
  console.error('soak: still running two minutes past its duration; stopping')
  load?.stop()
  void cleanUp().finally(() => process.exit(1))
}, (durationSeconds + 120) * 1000)
hardStop.unref()

async function request(method, path, body) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    signal: AbortSignal.timeout(120_000),
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  return { status: res.status, body: await res.json().catch(() => undefined) }
}

async function waitReady() {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (serverExit !== undefined) throw new Error(`the server exited (${JSON.stringify(serverExit)}) before it was ready:\n${logTail}`)
    const ready = await fetch(`${baseUrl}/health/ready`).then((r) => r.status, () => 0)
    if (ready === 200) return
    await sleep(100)
  }
  throw new Error(`the server was not ready within 30 s:\n${logTail}`)
}

// ---------------------------------------------------------------------------------------------
// The load: each connection loops over one cycle of a writer's life, sessions shared by several
// connections at once (concurrent writers on one session), every answer expected to be a 2xx.
// ---------------------------------------------------------------------------------------------

const CYCLES_PER_SESSION = 40
const BLOB_BYTES = blobBytes
let cycles = 0
/** Answers that were 2xx but wrong: a replay without its header, a snapshot newer than asked for. */
const mismatches = []
const mismatch = (what) => {
  if (mismatches.length < 20) mismatches.push(what)
  else mismatches.length++
}

const sha256 = (bytes) => createHash('sha256').update(bytes)
const json = { 'content-type': 'application/json' }

const cycle = [
  {
    method: 'POST',
    setupRequest: (req, ctx) => {
      ctx.cycle = ++cycles
      ctx.sid = fixedSessions > 0 ? `soak-${ctx.cycle % fixedSessions}` : `soak-${Math.floor(ctx.cycle / CYCLES_PER_SESSION)}`
      ctx.key = `cycle-${ctx.cycle}`
      ctx.commit = JSON.stringify({
        message: `cycle ${ctx.cycle}`,
        metadata: { cycle: ctx.cycle },
        artifacts: [
          { name: 'metrics.json', json: { cycle: ctx.cycle, score: (ctx.cycle % 97) / 97 } },
          { name: 'notes/summary.txt', text: `summary of cycle ${ctx.cycle}\n` },
        ],
      })
      return { ...req, path: `/v1/sessions/${ctx.sid}/commits`, headers: { ...json, 'idempotency-key': ctx.key }, body: ctx.commit }
    },
    onResponse: (status, body, ctx) => {
      if (status === 201) ctx.seq = JSON.parse(body).seq
    },
  },
  {
    // The same request again: an idempotent replay of the same commit.
    method: 'POST',
    setupRequest: (req, ctx) => ({ ...req, path: `/v1/sessions/${ctx.sid}/commits`, headers: { ...json, 'idempotency-key': ctx.key }, body: ctx.commit }),
    onResponse: (status, body, ctx, headers) => {
      if (status === 201 && (headers['idempotent-replayed'] !== 'true' || JSON.parse(body).seq !== ctx.seq)) mismatch(`replay of ${ctx.key} in ${ctx.sid}: ${body.slice(0, 120)}`)
    },
  },
  {
    method: 'GET',
    setupRequest: (req, ctx) => ({ ...req, path: `/v1/sessions/${ctx.sid}/artifacts/metrics.json` }),
  },
  {
    method: 'PUT',
    setupRequest: (req, ctx) => {
      const bytes = randomBytes(BLOB_BYTES)
      return {
        ...req,
        path: `/v1/sessions/${ctx.sid}/artifacts/blobs/part-${ctx.cycle % 8}.bin`,
        headers: { 'content-type': 'application/octet-stream', 'content-digest': `sha-256=:${sha256(bytes).digest('base64')}:` },
        body: bytes,
      }
    },
  },
  {
    method: 'GET',
    setupRequest: (req, ctx) => ({ ...req, path: `/v1/sessions/${ctx.sid}/artifacts?at=${ctx.seq ?? 0}` }),
    onResponse: (status, body, ctx) => {
      if (status !== 200) return
      const listing = JSON.parse(body)
      if (listing.artifacts.some((a) => a.seq > (ctx.seq ?? 0))) mismatch(`snapshot at ${ctx.seq} of ${ctx.sid} holds a later commit`)
    },
  },
  {
    method: 'PUT',
    setupRequest: (req, ctx) => ({
      ...req, path: `/v1/sessions/${ctx.sid}`, headers: json,
      body: JSON.stringify({
        expectedArtifacts: ['metrics.json', 'notes/summary.txt', 'blobs/part-0.bin'],
        ...(keepVersions > 0 ? { retention: { keepVersions } } : {}),
      }),
    }),
  },
  { method: 'POST', setupRequest: (req, ctx) => ({ ...req, path: `/v1/sessions/${ctx.sid}/complete`, headers: {}, body: undefined }) },
  { method: 'GET', setupRequest: (req, ctx) => ({ ...req, path: `/v1/sessions/${ctx.sid}` }) },
  { method: 'GET', setupRequest: (req, ctx) => ({ ...req, path: `/v1/commits?session=${ctx.sid}&limit=5` }) },
  { method: 'GET', path: '/health/ready' },
  { method: 'GET', path: '/v1/status' },
]

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

const fmt = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : String(n))
const samples = []
let failed = false
try {
  await waitReady()
  const idle = await sample(server.pid)
  console.log(`soak: ${minutes} min, ${connections} connections, ${rate === 0 ? 'unlimited' : `${rate} req/s`} against ${baseUrl} (pid ${server.pid}, data ${dataDir})`)
  console.log(`soak: idle before load: RSS ${fmt(idle.rssMiB)} MiB, heap used ${fmt(idle.heapMiB)} MiB, ${idle.fds} fds`)

  let requests = 0
  load = autocannon({
    url: baseUrl,
    connections,
    duration: durationSeconds,
    timeout: 30,
    // autocannon's rate limiter sends each connection's share of a second at the start of that second,
    // so latencies include queueing behind that burst. Its coordinated-omission correction assumes a
    // 1 ms interval at these rates and would add synthetic samples: the raw latencies are reported.
    ...(rate > 0 ? { overallRate: rate, ignoreCoordinatedOmission: true } : {}),
    requests: cycle,
  })
  load.on('response', () => {
    requests++
  })
  const startedAt = Date.now()
  const sampler = setInterval(() => {
    if (serverExit !== undefined) return
    void sample(server.pid).then((s) => {
      samples.push(s)
      const mib = (bytes) => fmt(bytes / 1048576).padStart(7)
      console.log(`soak: ${fmt((s.at - startedAt) / 1000, 0).padStart(5)} s  ${String(requests).padStart(8)} requests  RSS ${fmt(s.rssMiB).padStart(7)} MiB  heap ${fmt(s.heapMiB).padStart(6)} MiB  ${String(s.fds).padStart(4)} fds  data ${mib(s.size.total)} MiB (objects ${mib(s.size.objects)}, log ${mib(s.size.log)}, plain ${mib(s.size.plain)})`)
    }, () => undefined)
  }, sampleSeconds * 1000)
  const result = await load
  clearInterval(sampler)
  if (serverExit !== undefined) throw new Error(`the server exited during the load (${JSON.stringify(serverExit)}):\n${logTail}`)

  // Let in-flight work and idle sockets settle before the final sample.
  await sleep(3000)
  const end = await sample(server.pid)
  const firstUnderLoad = samples[0] ?? end
  const verify = await request('POST', '/v1/verify')
  const status = await request('GET', '/v1/status')

  const failedCommits = status.body?.commits?.failed ?? NaN
  // autocannon cuts the requests in flight when the duration ends: at most one aborted upload per connection.
  const abortedCommits = status.body?.commits?.aborted ?? NaN
  const errors = result.non2xx + result.errors + result.timeouts + mismatches.length
  const fdGrowth = end.fds - idle.fds
  // The warm-up is the first third of the run: sessions, their first versions and the policy's backlog.
  const warmedUp = samples.find((s) => s.at - startedAt >= (durationSeconds * 1000) / 3)
  const sizeGrowthMiB = warmedUp === undefined ? 0 : (end.size.total - warmedUp.size.total) / 1048576
  const rows = [
    ['duration', `${fmt(result.duration, 0)} s`],
    ['requests', String(result.requests.total)],
    ['throughput', `${fmt(result.requests.average)} req/s`],
    ['non-2xx answers', String(result.non2xx)],
    ['connection errors', String(result.errors)],
    ['timeouts', String(result.timeouts)],
    ['mismatched 2xx answers', String(mismatches.length)],
    ['status codes', Object.entries(result.statusCodeStats ?? {}).map(([code, { count }]) => `${code}×${count}`).join(' ')],
    ['latency p50 / p99 / max (1 ms steps)', `${fmt(result.latency.p50, 0)} / ${fmt(result.latency.p99, 0)} / ${fmt(result.latency.max, 0)} ms (mean ${fmt(result.latency.average, 2)} ms)`],
    ['commits committed / failed / aborted', `${status.body?.commits?.committed ?? '?'} / ${fmt(failedCommits, 0)} / ${fmt(abortedCommits, 0)} (bound ${connections}: the uploads cut when the load stops)`],
    ['stored objects', `${status.body?.storage?.objectCount ?? '?'} (${fmt((status.body?.storage?.objectBytes ?? NaN) / 1048576)} MiB)`],
    ['RSS idle → first sample → end', `${fmt(idle.rssMiB)} → ${fmt(firstUnderLoad.rssMiB)} → ${fmt(end.rssMiB)} MiB (growth since first sample ${fmt(end.rssMiB - firstUnderLoad.rssMiB)} MiB)`],
    ['RSS min / max under load', samples.length === 0 ? '-' : `${fmt(Math.min(...samples.map((s) => s.rssMiB)))} / ${fmt(Math.max(...samples.map((s) => s.rssMiB)))} MiB`],
    ['V8 heap used idle → first sample → end', `${fmt(idle.heapMiB)} → ${fmt(firstUnderLoad.heapMiB)} → ${fmt(end.heapMiB)} MiB`],
    ['data dir after warm-up → end', warmedUp === undefined ? '-' : `${fmt(warmedUp.size.total / 1048576)} → ${fmt(end.size.total / 1048576)} MiB (growth ${fmt(sizeGrowthMiB)} MiB${maxSizeGrowthMiB > 0 ? `, bound ${maxSizeGrowthMiB}` : ''}; objects ${fmt(warmedUp.size.objects / 1048576)} → ${fmt(end.size.objects / 1048576)}, log ${fmt(warmedUp.size.log / 1048576)} → ${fmt(end.size.log / 1048576)})`],
    ['open fds idle → first sample → end', `${idle.fds} → ${firstUnderLoad.fds} → ${end.fds} (growth ${fdGrowth}, bound ${maxFdGrowth})`],
    ['server warnings / errors logged', `${warnings} / ${errorLogs}`],
    ['verify', verify.body?.ok === true ? `ok (${verify.body.checked.objects} objects, ${verify.body.checked.plainFiles} plain files)` : `FAILED ${JSON.stringify(verify.body).slice(0, 300)}`],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  console.log('\nsoak results')
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`)

  const problems = []
  if (errors > 0) problems.push(`${errors} errors (non-2xx, connection errors, timeouts, mismatches)`)
  if (mismatches.length > 0) problems.push(`mismatches: ${mismatches.filter(Boolean).join('; ')}`)
  if (!(failedCommits === 0)) problems.push(`${fmt(failedCommits, 0)} failed commits in the log`)
  if (!(abortedCommits <= connections)) problems.push(`${fmt(abortedCommits, 0)} aborted commits in the log (more than the ${connections} the end of the load can cut)`)
  if (verify.status !== 200 || verify.body?.ok !== true) problems.push('verify did not come back ok')
  if (fdGrowth > maxFdGrowth) problems.push(`open fds grew by ${fdGrowth} (more than ${maxFdGrowth})`)
  if (maxSizeGrowthMiB > 0 && sizeGrowthMiB > maxSizeGrowthMiB) problems.push(`the data dir grew by ${fmt(sizeGrowthMiB)} MiB after the warm-up (more than ${maxSizeGrowthMiB})`)
  if (problems.length > 0) {
    failed = true
    console.error(`\nsoak FAILED:\n  - ${problems.join('\n  - ')}`)
    if (errorLogs > 0 || warnings > 0) console.error(`\nlast server log lines:\n${logTail.split('\n').slice(-10).join('\n')}`)
  } else {
    console.log('\nsoak passed')
  }
} catch (error) {
  failed = true
  console.error(`soak: ${error instanceof Error ? error.message : String(error)}`)
} finally {
  clearTimeout(hardStop)
  if (!stopping) {
    const exit = await stopServer()
    // SIGTERM is a graceful stop: anything but exit code 0 means in-flight work or the close went wrong.
    if (exit.code !== 0) {
      failed = true
      console.error(`soak: the server did not stop cleanly on SIGTERM: ${JSON.stringify(exit)}\n${logTail.split('\n').slice(-10).join('\n')}`)
    }
    if (!args['keep-data']) await rm(dataDir, { recursive: true, force: true })
    else console.log(`soak: data kept in ${dataDir}`)
  }
}
process.exit(failed ? 1 : 0)
