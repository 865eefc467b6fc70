// `npm run bench`: the built service against its references on the same disk, printed as one markdown table.
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { driveGets } from './load.mjs'
import { longLog } from './long-log.mjs'
import { monitoring } from './monitoring.mjs'
import { describeMachine, diskOf } from './machine.mjs'
import { childPids, killAllSync, stopAll } from './processes.mjs'
import { bestOfDd, ddFsyncOnce, findPostgres, pgbenchInserts, startPostgres, stopPostgres } from './postgres.mjs'
import { findNginx, fsyncCycle, startNginx, stopNginx } from './references.mjs'
import { commitWorkload, davPutWorkload, runLoad, streamedPuts, watchFileSize, withCosts } from './scenarios.mjs'
import { REPO, startService, stopService } from './service.mjs'
import { writeDocs } from './docs.mjs'
import { buildRows, renderReport } from './table.mjs'

const USAGE = `usage: node bench/run.mjs [--quick] [--duration s] [--log-size n] [--big-put-mib n]
  [--only writes,reads,log,monitoring] [--monitoring-sizes 1000000,10000000] [--monitoring-writers n] [--no-nginx] [--nginx path] [--no-postgres] [--nginx-workers n] [--write-docs] [--keep]`

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    duration: { type: 'string' },
    'log-size': { type: 'string' },
    'big-put-mib': { type: 'string' },
    only: { type: 'string' },
    'monitoring-sizes': { type: 'string' },
    'monitoring-writers': { type: 'string' },
    'no-nginx': { type: 'boolean', default: false },
    'no-postgres': { type: 'boolean', default: false },
    nginx: { type: 'string' },
    'nginx-workers': { type: 'string', default: '1' },
    'write-docs': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
})
if (args.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}

function positive(name, value, fallback) {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`bench: --${name} must be a positive number, got ${JSON.stringify(value)}\n${USAGE}\n`)
    process.exit(2)
  }
  return n
}

const quick = args.quick
const seconds = positive('duration', args.duration, quick ? 1 : 10)
const settings = {
  seconds,
  warmupSeconds: quick ? 0.5 : 2,
  logSize: Math.round(positive('log-size', args['log-size'], quick ? 20_000 : 1_000_000)),
  bigPutMiB: Math.round(positive('big-put-mib', args['big-put-mib'], quick ? 32 : 256)),
  bigPutRepeats: quick ? 1 : 3,
  pageSeconds: quick ? 0.5 : Math.min(seconds, 3),
  startupRuns: quick ? 2 : 3,
  nginxWorkers: Math.round(positive('nginx-workers', args['nginx-workers'], 1)),
  getConnections: 16,
  sections: new Set((args.only ?? 'writes,reads,log,monitoring').split(',').map((s) => s.trim())),
  monitoringSizes: (args['monitoring-sizes'] ?? (quick ? '20000,100000' : '1000000,10000000')).split(',').map((s) => Math.round(positive('monitoring-sizes', s.trim()))),
  monitoringWriters: Math.round(positive('monitoring-writers', args['monitoring-writers'], 1)),
}
for (const section of settings.sections) {
  if (!['writes', 'reads', 'log', 'monitoring'].includes(section)) {
    process.stderr.write(`bench: unknown section ${JSON.stringify(section)} in --only\n${USAGE}\n`)
    process.exit(2)
  }
}

const say = (line) => process.stderr.write(`${line}\n`)
const results = {}
let failures = 0
/** Set on SIGINT/SIGTERM: no further phase starts while the temp dir is being removed. */
let stopping = false

/** Runs one measured phase with a deadline; a failure becomes the row's error, and the run goes on. */
async function phase(key, label, limitSeconds, work) {
  if (stopping) return undefined
  say(`▶ ${label}`)
  let timer
  try {
    const value = await Promise.race([
      work(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${limitSeconds} s`)), limitSeconds * 1000)
      }),
    ])
    if (key !== undefined) results[key] = value
    return value
  } catch (error) {
    failures++
    say(`  ✗ ${label}: ${error.message}`)
    if (key !== undefined) results[key] = { error: error.message }
    return undefined
  } finally {
    clearTimeout(timer)
  }
}

const loadLimit = seconds + 60
const pause = () => new Promise((resolve) => setTimeout(resolve, 250))

async function writesAndReads(tmp, disk, nginxFound, pgFound) {
  const service = await startService({ dataDir: join(tmp, 'data'), logDir: tmp, name: 'service' })
  say(`  service ready in ${Math.round(service.startupMs)} ms on ${service.url} (pid ${service.pid})`)
  let nginx
  if (nginxFound.binary !== undefined) {
    nginx = await phase('nginx_start', `nginx ${nginxFound.version} (${settings.nginxWorkers} worker)`, 30,
      () => startNginx(nginxFound, { dir: join(tmp, 'nginx'), workers: settings.nginxWorkers }))
    if (nginx === undefined) nginxFound = { reason: `nginx did not start: ${results.nginx_start?.error?.split('\n')[0]}` }
    delete results.nginx_start
  }
  let pg
  if (pgFound.bin !== undefined && settings.sections.has('writes')) {
    pg = await phase('pg_start', `${pgFound.version} (fsync=on, synchronous_commit=on)`, 180, () => startPostgres(pgFound, { dir: join(tmp, 'postgres') }))
    if (pg === undefined) pgFound = { reason: `PostgreSQL did not start: ${results.pg_start?.error?.split('\n')[0]}` }
    delete results.pg_start
  }
  /** A PostgreSQL phase, or its row marked n/a with the reason there is no server. */
  const pgPhase = (key, ...rest) => {
    if (pg !== undefined) return phase(key, ...rest)
    results[key] = { na: pgFound.reason }
    return undefined
  }
  const nginxMissing = nginx === undefined ? { na: nginxFound.reason } : undefined
  /** A reference phase, or its row marked n/a when there is no nginx to run it against. */
  const theirPhase = (key, ...rest) => {
    if (nginxMissing === undefined) return phase(key, ...rest)
    results[key] = nginxMissing
    return undefined
  }
  const ours = { pid: service.pid, disk }
  const theirs = { pid: nginx?.pid, disk }
  try {
    if (settings.sections.has('writes')) {
      const wal = watchFileSize(join(service.dataDir, 'ledger.db-wal'))
      const firstSeq = await latestSeq(service)
      await phase(undefined, 'warm-up', loadLimit, async () => {
        await runLoad(service, { connections: 8, seconds: settings.warmupSeconds, workload: commitWorkload({ tag: 'warm', bytes: 1024 }), expectStatus: 201 })
        if (nginx !== undefined) await runLoad(nginx, { connections: 8, seconds: settings.warmupSeconds, workload: davPutWorkload({ tag: 'warm', bytes: 1024 }), expectStatus: 201 })
      })
      for (const c of [1, 16, 64]) {
        if (c === 1) {
          await phase('fsync_c1', 'fsync cycle 1 KiB, c=1', loadLimit, () => withCosts({ disk }, () => fsyncCycle({ dir: join(tmp, 'fsync-c1'), concurrency: 1, seconds, bytes: 1024 })))
          await phase('floor_c1', "the contract's floor, 1 KiB, c=1", loadLimit, () => withCosts({ disk }, () => fsyncCycle({ dir: join(tmp, 'floor-c1'), concurrency: 1, seconds, bytes: 1024, mode: 'contract' })))
        }
        await phase(`commit1k_c${c}`, `ours: 1 KiB commits, c=${c}`, loadLimit, () => withCosts(ours, () =>
          runLoad(service, { connections: c, seconds, workload: commitWorkload({ tag: `k1-c${c}`, bytes: 1024 }), expectStatus: 201 })))
        await pause()
        if (c !== 16) {
          await pgPhase(`pg_c${c}`, `PostgreSQL: 1 KiB durable INSERT, c=${c}`, loadLimit, () => withCosts({ pid: pg.pid, disk }, () =>
            pgbenchInserts(pg, { concurrency: c, seconds })))
          await pause()
        }
        await theirPhase(`nginx1k_c${c}`, `nginx: 1 KiB PUT, c=${c}`, loadLimit, () => withCosts(theirs, () =>
          runLoad(nginx, { connections: c, seconds, workload: davPutWorkload({ tag: `k1-c${c}`, bytes: 1024 }), expectStatus: 201 })))
        await pause()
      }
      await phase('fsync_c32', 'fsync cycle 1 KiB, c=32', loadLimit, () => withCosts({ disk }, () => fsyncCycle({ dir: join(tmp, 'fsync-c32'), concurrency: 32, seconds, bytes: 1024 })))
      // Before the 1 MiB commits, whose JSON bodies would leave their heap behind in the RSS baseline.
      const bigBytes = settings.bigPutMiB * 1024 ** 2
      const bigLimit = 60 + settings.bigPutRepeats * Math.max(30, settings.bigPutMiB / 4)
      // dd runs after each PUT, so both see the same moments of a shared disk (it swings several-fold here).
      const ddRuns = []
      let ddError
      await phase('bigput', `ours: ${settings.bigPutMiB} MiB streamed PUT ×${settings.bigPutRepeats}, each followed by dd conv=fsync`, bigLimit * 2, () => streamedPuts({
        repeats: settings.bigPutRepeats, port: service.port, bytes: bigBytes, serverPid: service.pid,
        pathOf: (i) => `/v1/sessions/bench-big/artifacts/big-${i}.bin`,
        after: async () => {
          if (ddError === undefined && !stopping) {
            await ddFsyncOnce({ dir: join(tmp, 'dd'), mib: settings.bigPutMiB }).then((run) => ddRuns.push(run), (error) => {
              ddError = error.message
            })
          }
        },
      }))
      results.dd_bigput = ddError !== undefined ? { error: `dd: ${ddError}` } : ddRuns.length > 0 ? bestOfDd(ddRuns) : { error: 'dd did not run' }
      if (ddError !== undefined) failures++
      await theirPhase('nginx_bigput', `nginx: ${settings.bigPutMiB} MiB PUT ×${settings.bigPutRepeats}`, bigLimit, async () => streamedPuts({
        repeats: settings.bigPutRepeats, port: nginx.port, bytes: bigBytes, serverPid: (await childPids(nginx.pid))[0],
        pathOf: (i) => `/bench-big/big-${i}.bin`,
      }))
      for (const c of [1, 16]) {
        await phase(`commit1m_c${c}`, `ours: 1 MiB commits, c=${c}`, loadLimit, () => withCosts(ours, () =>
          runLoad(service, { connections: c, seconds, workload: commitWorkload({ tag: `m1-c${c}`, bytes: 1024 ** 2 }), expectStatus: 201 })))
        await pause()
        await theirPhase(`nginx1m_c${c}`, `nginx: 1 MiB PUT, c=${c}`, loadLimit, () => withCosts(theirs, () =>
          runLoad(nginx, { connections: c, seconds, workload: davPutWorkload({ tag: `m1-c${c}`, bytes: 1024 ** 2 }), expectStatus: 201 })))
        await pause()
      }
      const { last, peak } = wal.stop()
      results.wal = { last, peak, db: (await stat(join(service.dataDir, 'ledger.db'))).size, commits: (await latestSeq(service, firstSeq)) - firstSeq }
    }
    if (settings.sections.has('reads')) await reads(service, nginx, theirPhase)
  } finally {
    await stopService(service)
    if (nginx !== undefined) await stopNginx(nginx)
    if (pg !== undefined) await stopPostgres(pg)
  }
}

/** The newest commit's seq, read through the log's own API. */
async function latestSeq(service, fromSeq = 0) {
  let cursor = fromSeq === 0 ? undefined : String(fromSeq)
  let seq = fromSeq
  // Walk to the end in large pages: cheap for the few thousand commits a run makes.
  for (;;) {
    const res = await fetch(`${service.url}/v1/commits?limit=1000${cursor === undefined ? '' : `&cursor=${cursor}`}`)
    if (res.status !== 200) throw new Error(`GET /v1/commits answered ${res.status}`)
    const page = await res.json()
    seq = page.commits.at(-1)?.seq ?? seq
    if (page.nextCursor === null) return seq
    cursor = page.nextCursor
  }
}

async function put(url, body) {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/octet-stream' } })
  if (res.status !== 201) throw new Error(`PUT ${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`)
}

async function reads(service, nginx, theirPhase) {
  for (const [key, bytes] of [['get1k', 1024], ['get1m', 1024 ** 2]]) {
    const body = randomBytes(bytes)
    const name = `${key}.bin`
    const ok = await phase(undefined, `fixtures for ${key}`, 30, async () => {
      await put(`${service.url}/v1/sessions/bench-get/artifacts/${name}`, body)
      if (nginx !== undefined) await put(`${nginx.url}/get/${name}`, body)
      return true
    })
    if (ok === undefined) continue
    // autocannon for small bodies; for 1 MiB ones it would measure itself (see driveGets).
    const read = (target, path) => (bytes > 64 * 1024
      ? driveGets({ port: target.port, path, connections: settings.getConnections, seconds })
      : runLoad(target, { connections: settings.getConnections, seconds, expectStatus: 200, workload: () => ({ method: 'GET', path }) }))
    await phase(key, `ours: GET ${name}, c=${settings.getConnections}`, loadLimit, () => read(service, `/v1/sessions/bench-get/artifacts/${name}`))
    await theirPhase(`nginx_${key}`, `nginx: GET ${name}, c=${settings.getConnections}`, loadLimit, () => read(nginx, `/get/${name}`))
  }
}

async function main() {
  const tmp = await mkdtemp(join(tmpdir(), 'artifact-ledger-bench-'))
  let cleaned = false
  const cleanup = async () => {
    if (cleaned) return
    cleaned = true
    await stopAll()
    if (!args.keep) await rm(tmp, { recursive: true, force: true })
    else say(`kept ${tmp}`)
  }
  process.once('exit', killAllSync)
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      stopping = true
      say(`\n${signal}: stopping`)
      void cleanup().finally(() => process.exit(130))
    })
  }
  try {
    const nginxFound = args['no-nginx'] ? { reason: '--no-nginx' } : await findNginx(args.nginx)
    const disk = diskOf(tmp)
    const pgFound = args['no-postgres'] || !settings.sections.has('writes') ? { reason: '--no-postgres' } : await findPostgres(say)
    const machine = { ...await describeMachine({ tempDir: tmp, nginxVersion: nginxFound.version }), postgres: pgFound.version }
    say(`bench: temp dir ${tmp} (${machine.filesystem}); ${nginxFound.binary ?? nginxFound.reason}; ${pgFound.bin ?? pgFound.reason}`)
    await mkdir(join(tmp, 'log'), { recursive: true })
    if (settings.sections.has('writes') || settings.sections.has('reads')) await writesAndReads(tmp, disk, nginxFound, pgFound)
    if (settings.sections.has('log')) await longLog({ tmp, settings, phase, results })
    if (settings.sections.has('monitoring')) await monitoring({ tmp, settings, phase, results })
    const description = `${quick ? 'quick, ' : ''}${seconds} s per load phase, ${settings.logSize.toLocaleString('en-US')}-commit log, ` +
      `${settings.bigPutMiB} MiB PUT, nginx ${settings.nginxWorkers} worker`
    const rows = buildRows(results, settings)
    const report = renderReport({ machine, rows, results, settings: description, targetSettings: settings })
    process.stdout.write(`\n${report}\n`)
    if (args['write-docs']) {
      const path = join(REPO, 'docs', 'performance.md')
      await mkdir(join(REPO, 'docs'), { recursive: true })
      await writeDocs(path, { report, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim().replace(/ --$/, '') })
      say(`wrote ${path}`)
    }
    if (failures > 0) {
      say(`bench: ${failures} phase(s) failed; see the rows marked error`)
      process.exitCode = 1
    }
  } catch (error) {
    say(`bench: ${error.message}`)
    process.exitCode = 1
  } finally {
    await cleanup()
  }
}

await main()
