// HTTP load through autocannon, reduced to what the table needs: completed/s and exact latency percentiles.
import autocannon from 'autocannon'
import { Agent, get as httpGet } from 'node:http'
import { performance } from 'node:perf_hooks'

/** Exact percentile of an ascending array of numbers (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]
}

/** ops/s, p50, p99 and the sample count, from latencies in milliseconds and the wall time they took. */
export function summarize(latenciesMs, wallSeconds, extra = {}) {
  const sorted = Float64Array.from(latenciesMs).sort()
  return {
    count: sorted.length,
    seconds: wallSeconds,
    perSecond: wallSeconds > 0 ? sorted.length / wallSeconds : Number.NaN,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1],
    ...extra,
  }
}

/**
 * Runs autocannon against `url` for `seconds` with `connections` clients. `request(n, writer)`
 * returns `{ method, path, headers?, body? }` for the n-th request of the run, sent by client
 * `writer` (0…connections-1), so every request can write a new name in its writer's own session.
 * Latencies come from autocannon's per-response event (fractional ms); its own histogram rounds
 * to whole milliseconds, too coarse for sub-millisecond commits.
 * Anything but `expectStatus` counts as an error; more than `maxErrorRatio` of them fails the phase.
 */
export async function drive({ url, connections, seconds, request, expectStatus, timeoutSeconds = 30, maxErrorRatio = 0.01 }) {
  let n = 0
  let writers = 0
  const latencies = []
  const unexpected = new Map()
  let bytes = 0
  const started = performance.now()
  const result = await new Promise((resolve, reject) => {
    const instance = autocannon({
      url,
      connections,
      duration: seconds,
      // autocannon checks its stop flag once per sample; sample often so short phases end on time.
      sampleInt: Math.min(1000, Math.max(100, Math.round((seconds * 1000) / 10))),
      timeout: timeoutSeconds,
      // Each client is one writer: its requests are built by its own closure, numbered globally.
      setupClient: (client) => {
        const writer = writers++
        client.setRequests([{ setupRequest: (req) => ({ ...req, ...request(n++, writer) }) }])
      },
    }, (error, res) => (error ? reject(error) : resolve(res)))
    instance.on('response', (_client, statusCode, resBytes, responseTime) => {
      if (statusCode === expectStatus) {
        latencies.push(responseTime)
        bytes += resBytes
      } else {
        unexpected.set(statusCode, (unexpected.get(statusCode) ?? 0) + 1)
      }
    })
    // A hung server must not hang the benchmark: autocannon stops itself; this is the backstop.
    const guard = setTimeout(() => instance.stop(), (seconds + timeoutSeconds + 10) * 1000)
    guard.unref()
    instance.once('done', () => clearTimeout(guard))
  })
  const wall = (performance.now() - started) / 1000
  const failed = [...unexpected.values()].reduce((a, b) => a + b, 0) + result.errors
  if (latencies.length === 0 || failed > maxErrorRatio * (latencies.length + failed)) {
    const codes = [...unexpected].map(([code, count]) => `${count}× HTTP ${code}`).join(', ')
    throw new Error(`${failed} of ${latencies.length + failed} requests failed (${codes || 'no responses'}; ` +
      `${result.errors} connection errors, ${result.timeouts} timeouts)`)
  }
  return summarize(latencies, wall, { errors: failed, responseBytes: bytes })
}

/**
 * GET `path` from `connections` keep-alive connections for `seconds` with node:http, counting the
 * body bytes without decoding them. For large responses only: autocannon appends every response
 * body to a string (lib/pipelinedRequestsQueue.js), which caps it near 80 MB/s, below both servers.
 */
export async function driveGets({ port, path, connections, seconds, expectStatus = 200 }) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const latencies = []
  let failed = 0
  let bytes = 0
  const get = () => new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, agent, timeout: 30_000 }, (res) => {
      res.on('data', (chunk) => {
        bytes += chunk.byteLength
      })
      res.once('end', () => resolve(res.statusCode))
      res.once('error', reject)
    })
    req.once('timeout', () => req.destroy(new Error(`GET ${path} timed out`)))
    req.once('error', reject)
  })
  const started = performance.now()
  const deadline = started + seconds * 1000
  try {
    await Promise.all(Array.from({ length: connections }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now()
        const status = await get()
        if (status === expectStatus) latencies.push(performance.now() - t0)
        else failed++
      }
    }))
  } finally {
    agent.destroy()
  }
  if (latencies.length === 0 || failed > 0.01 * (latencies.length + failed)) {
    throw new Error(`${failed} of ${latencies.length + failed} GET ${path} did not answer ${expectStatus}`)
  }
  return summarize(latencies, (performance.now() - started) / 1000, { errors: failed, responseBytes: bytes })
}
