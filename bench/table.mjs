// The report: results become rows (ours, reference, ratio, target, pass/fail), rendered as markdown.
import { buildTargets, renderTargets } from './targets.mjs'

const na = (reason) => ({ na: reason })
const isValue = (r) => r !== undefined && r.error === undefined && r.na === undefined

function fixed(x, digits) {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

export function fmtRate(x) {
  if (!Number.isFinite(x)) return '?'
  return x >= 100 ? fixed(Math.round(x), 0) : fixed(x, 1)
}

export function fmtMs(x) {
  if (!Number.isFinite(x)) return '?'
  return `${x < 10 ? fixed(x, 2) : x < 100 ? fixed(x, 1) : fixed(Math.round(x), 0)} ms`
}

function fmtMb(bytes) {
  return `${fixed(bytes / 1e6, 1)} MB`
}

function why(r) {
  if (r === undefined) return 'not run'
  if (r.na !== undefined) return `n/a (${r.na})`
  return `error: ${String(r.error).split('\n')[0].slice(0, 160)}`
}

/** "1,234 commits/s · p50 0.81 ms · p99 2.90 ms", plus MB/s for large bodies. */
function loadCell(r, unit, { label = '', bytes } = {}) {
  if (!isValue(r)) return why(r)
  const mbs = bytes === undefined ? '' : ` (${fixed((r.perSecond * bytes) / 1e6, 0)} MB/s)`
  return `${label}${fmtRate(r.perSecond)} ${unit}${mbs} · p50 ${fmtMs(r.p50)} · p99 ${fmtMs(r.p99)}`
}

function latencyCell(r, label = '') {
  if (!isValue(r)) return why(r)
  return `${label}p50 ${fmtMs(r.p50)} · p99 ${fmtMs(r.p99)}`
}

/** ratio = ours ÷ reference; the verdict follows the target, or is "—" when the row has none. */
function row(scenario, ours, reference, { value, ref, target, check }) {
  const ratio = isValue(ours.r) && isValue(reference.r) && Number.isFinite(value) && Number.isFinite(ref) && ref > 0
    ? value / ref
    : undefined
  let verdict = '—'
  if (ours.r === undefined) verdict = 'not run'
  else if (!isValue(ours.r)) verdict = ours.r.na === undefined ? 'error' : 'n/a'
  else if (check !== undefined) {
    const outcome = check({ ratio, value })
    verdict = outcome === undefined ? 'n/a' : outcome ? 'pass' : 'FAIL'
  }
  return {
    scenario,
    ours: ours.text,
    reference: reference.text,
    ratio: ratio === undefined ? '—' : `${fixed(ratio, 2)}×`,
    target: target ?? '—',
    verdict,
  }
}

const atLeast = (min) => ({ ratio }) => (ratio === undefined ? undefined : ratio >= min)
const below = (max) => ({ value }) => value < max

/** Every row of the results table, in the order of the issue. */
export function buildRows(results, { logSize, bigPutMiB, getConnections }) {
  const r = (key) => results[key]
  const rows = []
  const small = (c, refKey, refLabel, unit, target, check, suffix = '') => rows.push(row(
    `1 KiB commit, c=${c}${suffix}`,
    { r: r(`commit1k_c${c}`), text: loadCell(r(`commit1k_c${c}`), 'commits/s') },
    { r: r(refKey), text: loadCell(r(refKey), unit, { label: `${refLabel}: ` }) },
    { value: r(`commit1k_c${c}`)?.perSecond, ref: r(refKey)?.perSecond, target, check },
  ))
  small(1, 'fsync_c1', 'fsync cycle c=1', 'cycles/s', '≥ 0.5× fsync cycle', atLeast(0.5))
  small(1, 'floor_c1', "contract's floor c=1", 'commits/s', undefined, undefined, " vs the contract's floor")
  rows.push(row("the contract's floor, c=1 (reference only)",
    { r: r('floor_c1'), text: loadCell(r('floor_c1'), 'commits/s') },
    { r: r('fsync_c1'), text: loadCell(r('fsync_c1'), 'cycles/s', { label: 'fsync cycle c=1: ' }) },
    { value: r('floor_c1')?.perSecond, ref: r('fsync_c1')?.perSecond }))
  small(16, 'nginx1k_c16', 'nginx PUT c=16', 'PUTs/s')
  small(64, 'nginx1k_c64', 'nginx PUT c=64', 'PUTs/s', '≥ 0.75× nginx', atLeast(0.75))
  small(64, 'fsync_c32', 'fsync cycle c=32', 'cycles/s', undefined, undefined, ' vs the physical limit')
  small(1, 'nginx1k_c1', 'nginx PUT c=1', 'PUTs/s', undefined, undefined, ' vs nginx')
  for (const c of [1, 16]) {
    const ours = r(`commit1m_c${c}`)
    const ref = r(`nginx1m_c${c}`)
    rows.push(row(`1 MiB commit, c=${c}`,
      { r: ours, text: loadCell(ours, 'commits/s', { bytes: 1024 ** 2 }) },
      { r: ref, text: loadCell(ref, 'PUTs/s', { label: `nginx PUT c=${c}: `, bytes: 1024 ** 2 }) },
      { value: ours?.perSecond, ref: ref?.perSecond }))
  }
  const big = r('bigput')
  const bigRef = r('nginx_bigput')
  rows.push(row(`${bigPutMiB} MiB streamed PUT`,
    { r: big, text: isValue(big) ? `${fmtRate(big.mbPerSec)} MB/s (best of ${big.count}, median ${fmtRate(big.median)})` : why(big) },
    { r: bigRef, text: isValue(bigRef) ? `nginx PUT: ${fmtRate(bigRef.mbPerSec)} MB/s (median ${fmtRate(bigRef.median)})` : why(bigRef) },
    { value: big?.mbPerSec, ref: bigRef?.mbPerSec, target: '≥ 0.7× nginx', check: atLeast(0.7) }))
  rows.push(row(`${bigPutMiB} MiB streamed PUT: server peak RSS`,
    { r: big, text: isValue(big) ? `${fixed(big.peakRssMb, 0)} MB (${fixed(big.rssBeforeMb, 0)} MB before the PUT)` : why(big) },
    { r: bigRef, text: isValue(bigRef) && bigRef.peakRssMb > 0 ? `nginx worker: ${fixed(bigRef.peakRssMb, 0)} MB` : '—' },
    { value: big?.peakRssMb, target: '< 200 MB', check: below(200) }))
  const wal = r('wal')
  rows.push(row('SQLite WAL after the commit runs',
    { r: wal, text: isValue(wal) ? `${fmtMb(wal.last)} (peak ${fmtMb(wal.peak)}; ledger.db ${fmtMb(wal.db)}, ${fmtRate(wal.commits)} commits)` : why(wal) },
    { r: na('none'), text: '—' },
    { target: 'bounded (reported)' }))
  for (const [key, label, bytes] of [['get1k', '1 KiB', 1024], ['get1m', '1 MiB', 1024 ** 2]]) {
    const ours = r(key)
    const ref = r(`nginx_${key}`)
    rows.push(row(`GET ${label} artifact, c=${getConnections}`,
      { r: ours, text: loadCell(ours, 'req/s', bytes > 1024 ? { bytes } : {}) },
      { r: ref, text: loadCell(ref, 'req/s', { label: 'nginx GET: ', ...(bytes > 1024 ? { bytes } : {}) }) },
      { value: ours?.perSecond, ref: ref?.perSecond }))
  }
  const size = fmtRate(logSize)
  for (const page of results.pages ?? []) {
    rows.push(row(`GET /v1/commits ${page.label} @ ${size} commits`,
      { r: page.ours, text: latencyCell(page.ours) },
      { r: page.ref, text: latencyCell(page.ref, 'SQLite in-process: ') },
      { value: page.ours?.p50, ref: page.ref?.p50, target: 'p99 < 10 ms', check: () => (isValue(page.ours) ? page.ours.p99 < 10 : undefined) }))
  }
  if (results.pages === undefined && results.logError !== undefined) {
    rows.push(row(`GET /v1/commits pages @ ${size} commits`, { r: results.logError, text: why(results.logError) }, { r: na('none'), text: '—' }, { target: 'p99 < 10 ms' }))
  }
  const boot = r('startup')
  const empty = r('startup_empty')
  rows.push(row(`start-up incl. recovery @ ${size} commits`,
    { r: boot, text: isValue(boot) ? `${fmtMs(boot.median)} (median of ${boot.runs.length}; max ${fmtMs(boot.max)})` : why(boot) },
    { r: empty, text: isValue(empty) ? `empty DATA_DIR: ${fmtMs(empty.median)}` : why(empty) },
    { value: boot?.median, ref: empty?.median, target: '< 2 s (max)', check: () => (isValue(boot) ? boot.max < 2000 : undefined) }))
  rows.push(...monitoringRows(results))
  // Rows of sections that did not run (--only) are left out rather than shown as failures.
  return rows.filter((x) => x.verdict !== 'not run')
}

/** Status, metrics and readiness at each log size; commits with and without a /metrics scrape every 100 ms. */
function monitoringRows(results) {
  const rows = []
  const p99Below10 = (r) => () => (isValue(r) ? r.p99 < 10 : undefined)
  for (const size of results.monitoringSizes ?? []) {
    const log = results[`monitoring_log_${size}`]
    const built = isValue(log) ? `ledger.db ${fmtMb(log.bytes)}, built in ${fixed(log.seconds, 0)} s` : why(log)
    for (const path of ['/v1/status', '/metrics', '/health/ready']) {
      const r = results[`monitoring_${path}_${size}`] ?? (isValue(log) ? undefined : log)
      rows.push(row(`GET ${path} @ ${fmtRate(size)} commits, c=1`, { r, text: latencyCell(r) }, { r: na('none'), text: built },
        { target: 'p99 < 10 ms', check: p99Below10(r) }))
    }
  }
  const quiet = results.monitoring_commits_quiet
  const scraped = results.monitoring_commits_scraped
  if (quiet !== undefined || scraped !== undefined) {
    const size = fmtRate(results.monitoringLoadSize ?? Number.NaN)
    rows.push(row(`1 KiB commit @ ${size} commits, /metrics scraped every 100 ms`,
      { r: scraped, text: loadCell(scraped, 'commits/s') },
      { r: quiet, text: loadCell(quiet, 'commits/s', { label: 'no scrape: ' }) },
      { value: scraped?.p99, ref: quiet?.p99, target: 'p99 not held up (ratio of p99s reported)' }))
    const scrapes = results.monitoring_scrapes_under_load
    // A scrape waits for the commits' WAL fsyncs, which block the event loop (better-sqlite3 is synchronous): reported, no target.
    rows.push(row(`/metrics scrapes during those commits @ ${size} commits`, { r: scrapes, text: latencyCell(scrapes) }, { r: na('none'), text: '—' },
      { target: 'reported' }))
  }
  return rows
}

export function renderTable(rows) {
  const header = ['scenario', 'ours', 'reference', 'ratio', 'target', 'pass/fail']
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const r of rows) lines.push(`| ${[r.scenario, r.ours, r.reference, r.ratio, r.target, r.verdict].map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`)
  return lines.join('\n')
}

export function renderMachine(machine) {
  const lines = ['| | |', '|---|---|']
  for (const [key, value] of Object.entries(machine)) if (value !== undefined) lines.push(`| ${key} | ${String(value).replace(/\|/g, '\\|')} |`)
  return lines.join('\n')
}

/** Where the time goes: CPU per operation of the server, and what reached the disk per operation. */
export function renderCosts(results) {
  const phases = [
    ['fsync_c1', 'fsync cycle 1 KiB, c=1 (its own process)'],
    ['fsync_c32', 'fsync cycle 1 KiB, c=32 (its own process)'],
    ['floor_c1', "the contract's floor 1 KiB, c=1 (its own process)"],
    ['pg_c1', 'PostgreSQL: 1 KiB INSERT, c=1 (postmaster and backends)'],
    ['pg_c64', 'PostgreSQL: 1 KiB INSERT, c=64 (postmaster and backends)'],
    ...[1, 16, 64].flatMap((c) => [[`commit1k_c${c}`, `ours: 1 KiB commit, c=${c}`], [`nginx1k_c${c}`, `nginx: 1 KiB PUT, c=${c}`]]),
    ...[1, 16].flatMap((c) => [[`commit1m_c${c}`, `ours: 1 MiB commit, c=${c}`], [`nginx1m_c${c}`, `nginx: 1 MiB PUT, c=${c}`]]),
  ]
  const header = ['phase', 'ops/s', 'server CPU ms/op', 'server CPU (cores)', 'disk writes/op', 'KiB written/op', 'cache flushes/op']
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  const num = (x, d = 2) => (Number.isFinite(x) ? fixed(x, d) : '?')
  for (const [key, label] of phases) {
    const r = results[key]
    if (!isValue(r)) continue
    lines.push(`| ${label} | ${fmtRate(r.perSecond)} | ${num(r.cpuMsPerOp, 3)} | ${num(r.cpuUtilisation)} | ${num(r.writesPerOp, 1)} | ${num(r.kibWrittenPerOp, 1)} | ${num(r.flushesPerOp, 2)} |`)
  }
  return lines.join('\n')
}

export function renderReport({ machine, rows, results, settings, targetSettings }) {
  return [
    `### Machine`,
    '',
    renderMachine(machine),
    '',
    `### Targets (issue 15; ${settings})`,
    '',
    renderTargets(buildTargets(results, targetSettings)),
    '',
    'ratio = ours ÷ the reference measured in the same run (for the p99 and RSS rows, the figure itself). met: "aim" when the aim is reached, ' +
      '"must" when only the must is, "no" otherwise. PostgreSQL: a throwaway server (fsync=on, synchronous_commit=on) on the same disk, driven by ' +
      '`pgbench -n -c C -j C` with one INSERT of the same 1 KiB and its SHA-256 into an indexed table per transaction, over TCP. ' +
      'dd: `dd if=/dev/zero bs=1M conv=fsync` of the same size after each of our PUTs (best of each). RSS growth: peak minus RSS before the PUT, worst of the PUTs.',
    '',
    `### All figures and further references`,
    '',
    renderTable(rows),
    '',
    'ratio = ours ÷ reference (rates; p50 for latency-only rows; p99 for the scraped-commit row; medians for start-up): for rates higher is better, for latencies and times lower is better. ' +
      'c = concurrent connections, each a writer with its own session (nginx: its own folder), every request a new artifact name and new bytes.',
    '',
    '### Where the time goes',
    '',
    renderCosts(results),
    '',
    'CPU from /proc/<pid>/stat of the server (nginx: master and workers); disk counters from /proc/diskstats of the disk under the temp dir, ' +
      'machine-wide, so anything else writing to that disk shows up here too.',
  ].join('\n')
}
