// The long-log section: start-up and GET /v1/commits pages on a generated log of a million commits.
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateLog, openPageReader } from './big-log.mjs'
import { drive } from './load.mjs'
import { timeInProcess } from './scenarios.mjs'
import { startService, stopService } from './service.mjs'

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]
}

/**
 * Start-up and GET /v1/commits on a generated log of settings.logSize commits. `phase` runs one
 * timed step and records it in `results` under its key (see run.mjs).
 */
export async function longLog({ tmp, settings, phase, results }) {
  const say = (line) => process.stderr.write(`${line}\n`)
  const dataDir = join(tmp, 'log', 'data')
  const empty = []
  await phase('startup_empty', `start-up on an empty DATA_DIR ×${settings.startupRuns}`, 120, async () => {
    for (let i = 0; i < settings.startupRuns; i++) {
      const service = await startService({ dataDir, logDir: tmp, name: `empty-${i}` })
      empty.push(service.startupMs)
      await stopService(service)
    }
    return { median: median(empty), max: Math.max(...empty), runs: empty }
  })
  if (empty.length === 0) {
    results.logError = { error: 'the service did not start on an empty DATA_DIR, so there is no schema to fill' }
    return
  }
  const generateLimit = 120 + settings.logSize / 2000
  const log = await phase(undefined, `generating a log of ${settings.logSize.toLocaleString('en-US')} commits`, generateLimit, async () => {
    const started = Date.now()
    let shown = 0
    const info = generateLog(join(dataDir, 'ledger.db'), settings.logSize, {
      onProgress: (done, total) => {
        if (done - shown >= total / 10 || done === total) {
          shown = done
          say(`  ${Math.round((100 * done) / total)}% (${Math.round((Date.now() - started) / 1000)} s)`)
        }
      },
    })
    const size = (await stat(join(dataDir, 'ledger.db'))).size
    say(`  ${info.sessions} sessions, ${info.artifacts} artifact versions, ledger.db ${Math.round(size / 1e6)} MB in ${Math.round((Date.now() - started) / 1000)} s`)
    return info
  })
  if (log === undefined) {
    results.logError = { error: 'generating the log failed' }
    return
  }
  const n = settings.logSize
  const middle = Math.floor(n / 2)
  const pages = [
    { label: 'first page', query: 'limit=100', filter: {} },
    { label: 'middle page', query: `limit=100&cursor=${middle}`, filter: { afterSeq: middle } },
    { label: 'last page', query: `limit=100&cursor=${Math.max(0, n - 100)}`, filter: { afterSeq: Math.max(0, n - 100) } },
    { label: 'session=…', query: `limit=100&session=${log.middleSessionId}`, filter: { session: log.middleSessionId } },
    { label: 'state=committed, middle', query: `limit=100&state=committed&cursor=${middle}`, filter: { state: 'committed', afterSeq: middle } },
    { label: 'since=middle', query: `limit=100&since=${encodeURIComponent(log.middleCreatedAt)}`, filter: { since: log.middleCreatedAt } },
  ]
  await phase(undefined, 'the same pages in-process (reference)', 60 + pages.length * settings.pageSeconds, async () => {
    const reader = openPageReader(join(dataDir, 'ledger.db'))
    try {
      for (const page of pages) page.ref = timeInProcess(() => reader.page(page.filter), settings.pageSeconds)
    } finally {
      reader.close()
    }
  })
  const boots = []
  let service
  await phase('startup', `start-up with ${n.toLocaleString('en-US')} commits ×${settings.startupRuns}`, 60 + settings.startupRuns * 150, async () => {
    for (let i = 0; i < settings.startupRuns; i++) {
      service = await startService({ dataDir, logDir: tmp, name: `log-${i}`, readyTimeoutMs: 120_000 })
      boots.push(service.startupMs)
      if (i < settings.startupRuns - 1) {
        await stopService(service)
        service = undefined
      }
    }
    return { median: median(boots), max: Math.max(...boots), runs: boots }
  })
  try {
    if (service === undefined) service = await startService({ dataDir, logDir: tmp, name: 'log-pages', readyTimeoutMs: 120_000 })
    for (const page of pages) {
      const path = `/v1/commits?${page.query}`
      const key = `page_${pages.indexOf(page)}`
      await phase(key, `GET ${path}`, settings.pageSeconds + 60, async () => {
        // A page that comes back empty would time nothing useful: check the shape once first.
        const res = await fetch(`${service.url}${path}`)
        const first = await res.json()
        if (!Array.isArray(first.commits) || first.commits.length === 0) {
          throw new Error(`${path} returned no commits (${res.status}: ${JSON.stringify(first).slice(0, 300)})`)
        }
        return drive({ url: service.url, connections: 1, seconds: settings.pageSeconds, expectStatus: 200, request: () => ({ method: 'GET', path }) })
      })
      page.ours = results[key]
    }
  } finally {
    if (service !== undefined) await stopService(service)
  }
  results.pages = pages
}
