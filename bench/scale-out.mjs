#!/usr/bin/env node
// Throughput of 1, 2 and 3 replicas behind nginx (scripts/cluster.mjs), one PostgreSQL and one RGW for
// all of them, a fresh database and bucket prefix per cluster. The same fixed load through the balancer
// for each: 1 KiB JSON commits at c=16 over many sessions, 64 KiB PUTs, GETs of one 1 KiB artifact.
//
//   npm run bench:scale-out                    about 15 s per load and cluster; writes docs/scale-out.md
//   npm run bench:scale-out -- --seconds 3     a smoke run (add --no-docs to leave the docs alone)
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { clusterUnavailable, startBackingServices, startCluster } from '../scripts/cluster.mjs'
import { drive, driveGets } from './load.mjs'

const DOCS = fileURLToPath(new URL('../docs/scale-out.md', import.meta.url))
const BEGIN = '<!-- bench:scale-out:begin -->'
const END = '<!-- bench:scale-out:end -->'
const option = (name) => {
  const at = process.argv.indexOf(`--${name}`)
  return at === -1 ? undefined : process.argv[at + 1]
}
const seconds = Number(option('seconds') ?? 15)
const connections = Number(option('connections') ?? 16)
const replicaCounts = (option('replicas') ?? '1,2,3').split(',').map(Number)
/** Commits per session before a writer moves on: many sessions, none growing without end. */
const COMMITS_PER_SESSION = 50
// As the benchmarks of one server: no background timers competing with the load, no disk reserves.
const ENV = { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0', GC_INTERVAL_MS: '0', EXPIRY_INTERVAL_MS: '0', DISK_HARD_RESERVE_BYTES: '0', DISK_SOFT_RESERVE_BYTES: '0' }

/** A 1 KiB commit body; the writer and number make every artifact new bytes. */
function commitRequest(n, writer) {
  const json = { writer, n, pad: 'x'.repeat(960) }
  return {
    method: 'POST', path: `/v1/sessions/w${writer}-${Math.floor(n / COMMITS_PER_SESSION)}/commits`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifacts: [{ name: `metrics-${n}.json`, json }] }),
  }
}

const PUT_BYTES = 64 * 1024
const putTemplate = randomBytes(PUT_BYTES)
function putRequest(n, writer) {
  // New bytes per request (the number in the first 8), so each PUT stores and reads back a new object.
  const body = Buffer.from(putTemplate)
  body.writeDoubleBE(n, 0)
  return { method: 'PUT', path: `/v1/sessions/p${writer}/artifacts/blob-${n}.bin`, headers: { 'content-type': 'application/octet-stream' }, body }
}

/**
 * What the log's write lock costs while a load runs: pg_stat_activity sampled every 20 ms, counting the
 * replicas' backends waiting on an advisory lock (the write lock, or a digest's) against those running.
 */
function sampleLockWaits(postgresUrl) {
  const sql = postgres(postgresUrl, { max: 1, onnotice: () => undefined })
  const samples = []
  let stopped = false
  const loop = (async () => {
    while (!stopped) {
      const [row] = await sql`SELECT count(*) FILTER (WHERE wait_event_type = 'Lock' AND wait_event = 'advisory')::int AS waiting,
        count(*) FILTER (WHERE state = 'active')::int AS active
        FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
      samples.push(row)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  return async () => {
    stopped = true
    await loop
    await sql.end()
    const mean = (key) => samples.reduce((sum, row) => sum + row[key], 0) / Math.max(1, samples.length)
    return { lockWaiting: mean('waiting'), active: mean('active') }
  }
}

async function measure(replicas, backing) {
  const cluster = await startCluster({ replicas, ...(await backing.fresh()), env: ENV, logLevel: 'error' })
  try {
    const port = Number(new URL(cluster.url).port)
    const rows = []
    const load = { url: cluster.url, connections, seconds, maxErrorRatio: 0.05 }
    const writes = [['1 KiB JSON commits', commitRequest], ['64 KiB PUTs', putRequest]]
    for (const [name, request] of writes) {
      const locks = sampleLockWaits(cluster.postgresUrl)
      const figures = await drive({ ...load, request, expectStatus: 201 })
      rows.push({ load: name, ...figures, ...(await locks()) })
    }
    const seeded = await fetch(`${cluster.url}/v1/sessions/reads/commits`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artifacts: [{ name: 'one-kib.txt', text: 'r'.repeat(1024) }] }),
    })
    if (seeded.status !== 201) throw new Error(`seeding the GET artifact answered ${seeded.status}`)
    rows.push({ load: 'GET 1 KiB artifact', ...(await driveGets({ port, path: '/v1/sessions/reads/artifacts/one-kib.txt', connections, seconds })) })
    return rows.map((row) => ({ replicas, ...row }))
  } finally {
    await cluster.stop()
  }
}

function render(results, started) {
  const fixed = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '—')
  const lines = [
    `Measured ${started.toISOString().slice(0, 10)} with \`npm run bench:scale-out\` (${seconds} s per load, c=${connections}, ` +
      `${availableParallelism()} cores: ${cpus()[0]?.model ?? 'unknown'}; Node ${process.version}).`,
    '',
    '| replicas | load | per second | p50 ms | p99 ms | errors | backends waiting on a lock / active (mean) |',
    '|---:|---|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.replicas} | ${r.load} | ${fixed(r.perSecond, 0)} | ${fixed(r.p50, 1)} | ${fixed(r.p99, 1)} | ${r.errors} | ` +
      `${r.lockWaiting === undefined ? '—' : `${fixed(r.lockWaiting, 2)} / ${fixed(r.active, 2)}`} |`),
  ]
  return lines.join('\n')
}

function writeDocs(table) {
  const fresh = `# Scale-out\n\n## Measured throughput\n\n${BEGIN}\n${END}\n`
  const current = existsSync(DOCS) ? readFileSync(DOCS, 'utf8') : fresh
  const at = current.indexOf(BEGIN)
  const end = current.indexOf(END)
  if (at === -1 || end < at) throw new Error(`${DOCS} has no ${BEGIN} … ${END} markers to write between`)
  writeFileSync(DOCS, `${current.slice(0, at + BEGIN.length)}\n${table}\n${current.slice(end)}`)
}

const unavailable = clusterUnavailable()
if (unavailable !== undefined) {
  console.error(`bench/scale-out.mjs: cannot start a cluster: ${unavailable}`)
  process.exit(2)
}
const started = new Date()
const backing = await startBackingServices()
const results = []
try {
  for (const replicas of replicaCounts) {
    const rows = await measure(replicas, backing)
    for (const row of rows) console.log(`${replicas} replica(s)  ${row.load.padEnd(20)} ${row.perSecond.toFixed(0).padStart(6)}/s  p50 ${row.p50.toFixed(1)} ms  p99 ${row.p99.toFixed(1)} ms  errors ${row.errors}`)
    results.push(...rows)
  }
} finally {
  await backing.stop()
}
const table = render(results, started)
console.log(`\n${table}`)
if (!process.argv.includes('--no-docs')) {
  writeDocs(table)
  console.log(`\nwritten to ${DOCS}`)
}
