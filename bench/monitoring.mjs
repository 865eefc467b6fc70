// The monitoring section: GET /v1/status, /metrics and /health/ready on generated logs of 1,000,000 and
// 10,000,000 commits, and what a /metrics scrape every 100 ms does to the p99 of 1 KiB commits.
import { rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { generateLog } from './big-log.mjs'
import { drive, summarize } from './load.mjs'
import { commitWorkload, runLoad } from './scenarios.mjs'
import { startService, stopService } from './service.mjs'

export const MONITORING_URLS = ['/v1/status', '/metrics', '/health/ready']

/** GETs `path` every `everyMs` while `work` runs; the scrapes' latencies, and the work's result. */
async function scrapingWhile(url, path, everyMs, work) {
  const latencies = []
  let failed = 0
  let running = true
  const scraper = (async () => {
    while (running) {
      const started = performance.now()
      const res = await fetch(`${url}${path}`)
      await res.arrayBuffer()
      if (res.status === 200) latencies.push(performance.now() - started)
      else failed++
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, everyMs - (performance.now() - started))))
    }
  })()
  const started = performance.now()
  try {
    const result = await work()
    return { result, scrapes: summarize(latencies, (performance.now() - started) / 1000, { errors: failed }) }
  } finally {
    running = false
    await scraper
  }
}

/**
 * For each size of settings.monitoringSizes: a fresh log of that many commits, then the latency of each
 * monitoring URL at c=1; on the largest, 1 KiB commits at c=settings.monitoringWriters without and with
 * a /metrics scrape every 100 ms. `phase` runs one timed step and records it in `results` (run.mjs).
 */
export async function monitoring({ tmp, settings, phase, results }) {
  const say = (line) => process.stderr.write(`${line}\n`)
  const sizes = settings.monitoringSizes
  results.monitoringSizes = sizes
  for (const size of sizes) {
    const dataDir = join(tmp, `monitoring-${size}`)
    const label = size.toLocaleString('en-US')
    // The service makes its schema on the empty dir; the log is then written straight into it.
    const made = await phase(undefined, `schema for the ${label}-commit log`, 60, async () => stopService(await startService({ dataDir, logDir: tmp, name: `monitoring-schema-${size}` })).then(() => true))
    if (made === undefined) continue
    const generated = await phase(`monitoring_log_${size}`, `generating a log of ${label} commits`, 300 + size / 5000, async () => {
      const started = Date.now()
      let shown = 0
      const info = generateLog(join(dataDir, 'ledger.db'), size, {
        onProgress: (done, total) => {
          if (done - shown >= total / 10 || done === total) {
            shown = done
            say(`  ${Math.round((100 * done) / total)}% (${Math.round((Date.now() - started) / 1000)} s)`)
          }
        },
      })
      const bytes = (await stat(join(dataDir, 'ledger.db'))).size
      say(`  ${info.sessions} sessions, ${info.artifacts} artifact versions, ledger.db ${Math.round(bytes / 1e6)} MB in ${Math.round((Date.now() - started) / 1000)} s`)
      return { ...info, bytes, seconds: (Date.now() - started) / 1000 }
    })
    if (generated === undefined) continue
    let service
    try {
      service = await phase(undefined, `service on the ${label}-commit log`, 300, () => startService({ dataDir, logDir: tmp, name: `monitoring-${size}`, readyTimeoutMs: 240_000 }))
      if (service === undefined) continue
      const counted = await phase(undefined, 'status counts the generated log', 30, async () => {
        const status = await (await fetch(`${service.url}/v1/status`)).json()
        if (status.commits?.committed !== size) throw new Error(`status counts ${status.commits?.committed} committed commits, the log has ${size}`)
        return true
      })
      if (counted === undefined) continue
      for (const path of MONITORING_URLS) {
        await phase(`monitoring_${path}_${size}`, `GET ${path} @ ${label} commits, c=1`, settings.pageSeconds + 60, () =>
          drive({ url: service.url, connections: 1, seconds: settings.pageSeconds, expectStatus: 200, request: () => ({ method: 'GET', path }) }))
      }
      if (size === Math.max(...sizes)) {
        const writers = settings.monitoringWriters
        const load = (tag) => runLoad(service, { connections: writers, seconds: settings.seconds, workload: commitWorkload({ tag, bytes: 1024 }), expectStatus: 201 })
        await phase('monitoring_commits_quiet', `1 KiB commits c=${writers} @ ${label} commits, no scrape`, settings.seconds + 60, () => load('quiet'))
        const scraped = await phase(undefined, `1 KiB commits c=${writers} @ ${label} commits, /metrics every 100 ms`, settings.seconds + 60,
          () => scrapingWhile(service.url, '/metrics', 100, () => load('scraped')))
        if (scraped !== undefined) {
          results.monitoring_commits_scraped = scraped.result
          results.monitoring_scrapes_under_load = scraped.scrapes
        }
        results.monitoringLoadSize = size
      }
    } finally {
      if (service !== undefined) await stopService(service)
      // Ten million commits take some 12 GB: gone before the next size, whatever happened.
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}
