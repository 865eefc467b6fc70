// Does a backup's database snapshot stall the service's writers? On a generated big log, writers commit
// through the running service while another process snapshots ledger.db, once with VACUUM INTO on a
// read-only connection (what `artifact-ledger backup` does) and once with the online backup API
// (better-sqlite3 db.backup()); commit latency is compared with a window without any snapshot.
//
//   npm run build && node bench/backup-snapshot.mjs [--commits 1000000] [--writers 8] [--api-limit-s 120]
import { spawn } from 'node:child_process'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { generateLog } from './big-log.mjs'
import { percentile } from './load.mjs'
import { REPO, startService, stopService } from './service.mjs'

const { values } = parseArgs({ options: {
  commits: { type: 'string', default: '1000000' },
  writers: { type: 'string', default: '8' },
  'api-limit-s': { type: 'string', default: '120' },
} })
const say = (line) => process.stderr.write(`${line}\n`)

/** One snapshot in a child process, like the CLI: prints {ms, restarts?} as JSON. */
const SNAPSHOT = {
  'vacuum-into': `
    const { snapshotDatabase } = await import(${JSON.stringify(join(REPO, 'dist/storage/backup/database-snapshot.js'))})
    const started = performance.now()
    await snapshotDatabase(process.argv[1], process.argv[2])
    console.log(JSON.stringify({ ms: Math.round(performance.now() - started) }))`,
  'backup-api': `
    const Database = (await import('better-sqlite3')).default
    const db = new Database(process.argv[1], { readonly: true })
    const started = performance.now()
    let restarts = 0
    let last = Infinity
    // A restart copies from the first page again: the pages left jump back up to (nearly) all of them.
    await db.backup(process.argv[2], { progress: ({ totalPages, remainingPages }) => {
      if (remainingPages > last + totalPages / 10) restarts++
      last = remainingPages
      return 100
    } })
    console.log(JSON.stringify({ ms: Math.round(performance.now() - started), restarts }))`,
}

function runSnapshot(method, source, target, limitMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SNAPSHOT[method], source, target], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), limitMs)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve(code === 0 ? JSON.parse(out) : { ms: null, gaveUpAfterMs: limitMs })
    })
  })
}

/** Writers committing one small artifact each, as fast as the service acknowledges; latencies tagged by window. */
function startWriters(url, count) {
  const samples = []
  let window = 'none'
  let running = true
  const loop = async (w) => {
    for (let i = 0; running; i++) {
      const started = performance.now()
      const res = await fetch(`${url}/v1/sessions/bench-${w}/commits`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ artifacts: [{ name: 'metrics.json', json: { w, i, at: Date.now() } }] }),
      })
      await res.arrayBuffer()
      if (res.status !== 201) throw new Error(`commit answered ${res.status}`)
      samples.push({ window, ms: performance.now() - started })
    }
  }
  const loops = Array.from({ length: count }, (_, w) => loop(w))
  return {
    mark: (name) => (window = name),
    stop: async () => {
      running = false
      await Promise.all(loops)
      return samples
    },
  }
}

function summary(samples, name, seconds) {
  const ms = samples.filter((s) => s.window === name).map((s) => s.ms).sort((a, b) => a - b)
  const r = (x) => Math.round(x * 10) / 10
  return { window: name, commits: ms.length, perSecond: Math.round(ms.length / seconds), p50: r(percentile(ms, 50)), p99: r(percentile(ms, 99)), max: r(ms.at(-1) ?? 0) }
}

const tmp = await mkdtemp(join(tmpdir(), 'bench-backup-'))
try {
  const dataDir = join(tmp, 'data')
  await stopService(await startService({ dataDir, logDir: tmp, name: 'schema' }))
  const started = Date.now()
  generateLog(join(dataDir, 'ledger.db'), Number(values.commits))
  say(`log of ${values.commits} commits, ledger.db ${Math.round((await stat(join(dataDir, 'ledger.db'))).size / 1e6)} MB, in ${Math.round((Date.now() - started) / 1000)} s`)
  const service = await startService({ dataDir, logDir: tmp, name: 'service', readyTimeoutMs: 300_000 })
  const writers = startWriters(service.url, Number(values.writers))
  const windows = []
  const timed = async (name, run) => {
    writers.mark(name)
    const t0 = performance.now()
    const result = await run()
    const seconds = (performance.now() - t0) / 1000
    writers.mark('none')
    windows.push({ name, seconds, result })
    await new Promise((resolve) => setTimeout(resolve, 2000))
  }
  await timed('baseline', () => new Promise((resolve) => setTimeout(resolve, 8000)))
  await timed('vacuum-into', () => runSnapshot('vacuum-into', join(dataDir, 'ledger.db'), join(tmp, 'vacuum.db'), 600_000))
  await timed('backup-api', () => runSnapshot('backup-api', join(dataDir, 'ledger.db'), join(tmp, 'api.db'), Number(values['api-limit-s']) * 1000))
  const samples = await writers.stop()
  await stopService(service)
  for (const { name, seconds, result } of windows) console.log(JSON.stringify({ ...summary(samples, name, seconds), seconds: Math.round(seconds * 10) / 10, ...result }))
} finally {
  await rm(tmp, { recursive: true, force: true })
}
