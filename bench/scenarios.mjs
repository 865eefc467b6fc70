// The workloads, each runnable against the service and its reference: commits, streamed PUT, GET, log pages.
import { randomBytes } from 'node:crypto'
import { statSync } from 'node:fs'
import { request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { drive, summarize } from './load.mjs'
import { diskCounters } from './machine.mjs'
import { childPids, cpuSeconds, procStatusKb, resetPeakRss } from './processes.mjs'

/**
 * Bytes of the n-th artifact: a fixed random tail behind 12 bytes that carry n, so every request
 * stores new content (no dedup) while the base64 of the tail is computed once (12 bytes = 16 chars).
 */
function payloadOf(bytes) {
  const tail = randomBytes(Math.max(0, bytes - 12))
  const tailBase64 = tail.toString('base64')
  const head = (n) => {
    const h = Buffer.alloc(12)
    h.writeBigUInt64BE(BigInt(n))
    h.writeUInt32BE(0x62656e63, 8)
    return bytes >= 12 ? h : h.subarray(0, bytes)
  }
  return {
    raw: (n) => Buffer.concat([head(n), tail]),
    base64: (n) => `${head(n).toString('base64')}${tailBase64}`,
  }
}

/** POST /v1/sessions/{writer's session}/commits with one new `bytes`-sized artifact per request. */
export function commitWorkload({ tag, bytes }) {
  const payload = payloadOf(bytes)
  return (n, writer) => ({
    method: 'POST',
    path: `/v1/sessions/${tag}-w${writer}/commits`,
    headers: { 'content-type': 'application/json' },
    body: `{"artifacts":[{"name":"n-${n}.bin","base64":"${payload.base64(n)}"}]}`,
  })
}

/** nginx WebDAV PUT of the same bytes to a new file in the writer's folder. */
export function davPutWorkload({ tag, bytes }) {
  const payload = payloadOf(bytes)
  return (n, writer) => ({
    method: 'PUT',
    path: `/${tag}-w${writer}/n-${n}.bin`,
    headers: { 'content-type': 'application/octet-stream' },
    body: payload.raw(n),
  })
}

/** CPU seconds of a process and its children (nginx's master and workers), or of nothing. */
async function cpuOf(pid) {
  if (pid === undefined) return Number.NaN
  const pids = [pid, ...(await childPids(pid))]
  const each = await Promise.all(pids.map(cpuSeconds))
  return each.reduce((a, b) => a + b, 0)
}

/**
 * Runs `work` and adds what it cost: CPU seconds of `pid` (the server) and writes, sectors and
 * cache flushes on `disk` per completed operation. Disk counters are machine-wide, so other
 * activity on the same disk inflates them; they are a hint, not a figure.
 */
export async function withCosts({ pid, disk }, work) {
  const [cpu0, disk0] = await Promise.all([cpuOf(pid), diskCounters(disk)])
  const result = await work()
  const [cpu1, disk1] = await Promise.all([cpuOf(pid), diskCounters(disk)])
  const ops = result.count
  const cpu = Number.isFinite(result.cpuSeconds) ? result.cpuSeconds : cpu1 - cpu0
  return {
    ...result,
    cpuMsPerOp: (cpu * 1000) / ops,
    cpuUtilisation: cpu / result.seconds,
    ...(disk0 === undefined || disk1 === undefined ? {} : {
      writesPerOp: (disk1.writes - disk0.writes) / ops,
      kibWrittenPerOp: ((disk1.sectorsWritten - disk0.sectorsWritten) * 512) / 1024 / ops,
      flushesPerOp: (disk1.flushes - disk0.flushes) / ops,
    }),
  }
}

export async function runLoad(target, { connections, seconds, workload, expectStatus }) {
  return drive({ url: target.url, connections, seconds, request: workload, expectStatus })
}

/**
 * One streamed PUT of `bytes` generated on the fly in 1 MiB chunks, honouring back-pressure.
 * While it runs, the server's RSS is sampled and its kernel peak mark (VmHWM) read afterwards.
 */
export async function streamedPut({ port, path, bytes, serverPid }) {
  const chunk = randomBytes(1024 * 1024)
  chunk.writeDoubleBE(Math.random(), 0)
  const rssBeforeKb = serverPid === undefined ? undefined : await procStatusKb(serverPid, 'VmRSS')
  const peakReset = serverPid === undefined ? false : await resetPeakRss(serverPid)
  let sampledPeakKb = 0
  const sampler = serverPid === undefined ? undefined : setInterval(() => {
    void procStatusKb(serverPid, 'VmRSS').then((kb) => {
      sampledPeakKb = Math.max(sampledPeakKb, kb ?? 0)
    })
  }, 20)
  const started = performance.now()
  try {
    const status = await new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port, path, method: 'PUT', agent: false, timeout: 300_000,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes) },
      }, (res) => {
        res.resume()
        res.once('end', () => resolve(res.statusCode))
        res.once('error', reject)
      })
      req.once('timeout', () => req.destroy(new Error('streamed PUT timed out')))
      req.once('error', reject)
      void (async () => {
        for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
          // A copy per chunk: the socket may still hold the previous one.
          const piece = Buffer.from(chunk.subarray(0, Math.min(chunk.byteLength, bytes - sent)))
          if (piece.byteLength >= 12) piece.writeUInt32BE(sent / chunk.byteLength, 8)
          if (!req.write(piece)) await new Promise((r) => req.once('drain', r))
        }
        req.end()
      })().catch(reject)
    })
    const seconds = (performance.now() - started) / 1000
    if (status !== 201) throw new Error(`streamed PUT ${path} answered ${status}`)
    const hwmKb = peakReset ? await procStatusKb(serverPid, 'VmHWM') : undefined
    const peakKb = Math.max(hwmKb ?? 0, sampledPeakKb)
    return {
      seconds,
      mbPerSec: bytes / 1e6 / seconds,
      peakRssMb: peakKb / 1024,
      // In MB (10^6 bytes), as the target is stated.
      rssGrowthMb: ((peakKb - (rssBeforeKb ?? Number.NaN)) * 1024) / 1e6,
      rssBeforeMb: (rssBeforeKb ?? Number.NaN) / 1024,
      count: 1,
    }
  } finally {
    clearInterval(sampler)
  }
}

/**
 * The best of `repeats` streamed PUTs (each a new artifact), with the highest peak RSS seen. `after(i)`
 * runs after each PUT: a reference interleaved with them sees the same disk conditions.
 */
export async function streamedPuts({ repeats, pathOf, after, ...options }) {
  const runs = []
  for (let i = 0; i < repeats; i++) {
    runs.push(await streamedPut({ ...options, path: pathOf(i) }))
    if (after !== undefined) await after(i)
  }
  const best = runs.reduce((a, b) => (b.mbPerSec > a.mbPerSec ? b : a))
  const seconds = runs.reduce((a, r) => a + r.seconds, 0)
  return {
    ...best,
    median: runs.map((r) => r.mbPerSec).sort((a, b) => a - b)[Math.floor(runs.length / 2)],
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    rssGrowthMb: Math.max(...runs.map((r) => r.rssGrowthMb)),
    rssBeforeMb: runs[0].rssBeforeMb,
    count: runs.length,
    seconds,
  }
}

/** The same latency figures for an in-process call, repeated for `seconds`. */
export function timeInProcess(call, seconds) {
  for (let i = 0; i < 20; i++) call()
  const latencies = []
  const started = performance.now()
  const deadline = started + seconds * 1000
  while (performance.now() < deadline) {
    const t0 = performance.now()
    call()
    latencies.push(performance.now() - t0)
  }
  return summarize(latencies, (performance.now() - started) / 1000)
}

/** Samples a file's size every `everyMs`; `stop()` returns the last and the largest size seen. */
export function watchFileSize(path, everyMs = 100) {
  let peak = 0
  const sizeNow = () => {
    try {
      return statSync(path).size
    } catch (error) {
      if (error.code === 'ENOENT') return 0
      throw error
    }
  }
  const timer = setInterval(() => {
    peak = Math.max(peak, sizeNow())
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      const last = sizeNow()
      return { last, peak: Math.max(peak, last) }
    },
  }
}
