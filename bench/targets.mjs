// Issue 15's targets table: each figure beside its reference from the same run, with its must and aim.
import { fmtMs, fmtRate } from './table.mjs'

const isValue = (r) => r !== undefined && r.error === undefined && r.na === undefined

function why(r) {
  if (r === undefined) return 'not run'
  if (r.na !== undefined) return `n/a (${r.na})`
  return `error: ${String(r.error).split('\n')[0].slice(0, 160)}`
}

function fixed(x, digits) {
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

const rate = (r, unit, bytes) => (isValue(r)
  ? `${fmtRate(r.perSecond)} ${unit}${bytes === undefined ? '' : ` (${fixed((r.perSecond * bytes) / 1e6, 0)} MB/s)`} · p99 ${fmtMs(r.p99)}`
  : why(r))

/**
 * One target: `value` is the ratio (higher is better) or, with `lowerIsBetter`, the figure itself.
 * met = "aim" when the aim is reached, "must" when only the must is, "no" otherwise; n/a without a figure.
 */
function target(figure, { ours, reference, value, must, aim, lowerIsBetter = false, unit = '×' }) {
  const show = (x) => (unit === '×' ? `${fixed(x, 2)}×` : `${fixed(x, 1)} ${unit}`)
  const reached = (bound) => (lowerIsBetter ? value <= bound : value >= bound)
  const sign = lowerIsBetter ? '≤' : '≥'
  let met = 'n/a'
  if (Number.isFinite(value)) met = reached(aim) ? 'aim' : reached(must) ? 'must' : 'no'
  return {
    figure,
    ours,
    reference,
    ratio: Number.isFinite(value) ? show(value) : '—',
    must: `${sign} ${show(must)}`,
    aim: `${sign} ${show(aim)}`,
    met,
  }
}

const ratioOf = (a, b, key = 'perSecond') => (isValue(a) && isValue(b) && b[key] > 0 ? a[key] / b[key] : Number.NaN)

export function buildTargets(results, { bigPutMiB, getConnections }) {
  const r = (key) => results[key]
  const rows = []
  for (const [c, must, aim] of [[64, 0.5, 1.0], [1, 0.3, 0.6]]) {
    rows.push(target(`1 KiB commits c=${c} ÷ PostgreSQL durable INSERT c=${c}`, {
      ours: rate(r(`commit1k_c${c}`), 'commits/s'),
      reference: isValue(r(`pg_c${c}`)) ? `PostgreSQL: ${rate(r(`pg_c${c}`), 'INSERTs/s')}` : why(r(`pg_c${c}`)),
      value: ratioOf(r(`commit1k_c${c}`), r(`pg_c${c}`)), must, aim,
    }))
  }
  const c64 = r('commit1k_c64')
  rows.push(target('1 KiB commit p99 at c=64', {
    ours: isValue(c64) ? `p99 ${fmtMs(c64.p99)} (p50 ${fmtMs(c64.p50)})` : why(c64),
    reference: isValue(r('pg_c64')) ? `PostgreSQL INSERT c=64: p99 ${fmtMs(r('pg_c64').p99)}` : '—',
    value: isValue(c64) ? c64.p99 : Number.NaN, must: 30, aim: 10, lowerIsBetter: true, unit: 'ms',
  }))
  const big = r('bigput')
  const dd = r('dd_bigput')
  rows.push(target(`${bigPutMiB} MiB PUT ÷ dd conv=fsync of ${bigPutMiB} MiB`, {
    ours: isValue(big) ? `${fmtRate(big.mbPerSec)} MB/s (best of ${big.count}, median ${fmtRate(big.median)})` : why(big),
    reference: isValue(dd) ? `dd: ${fmtRate(dd.mbPerSec)} MB/s (best of ${dd.count}, median ${fmtRate(dd.median)})` : why(dd),
    value: ratioOf(big, dd, 'mbPerSec'), must: 0.8, aim: 0.95,
  }))
  rows.push(target(`server RSS growth during the ${bigPutMiB} MiB PUT`, {
    ours: isValue(big) ? `${fixed(big.rssGrowthMb, 1)} MB (peak ${fixed(big.peakRssMb, 0)} MB, ${fixed(big.rssBeforeMb, 0)} MB before)` : why(big),
    reference: isValue(r('nginx_bigput')) && r('nginx_bigput').peakRssMb > 0 ? `nginx worker peak: ${fixed(r('nginx_bigput').peakRssMb, 0)} MB` : '—',
    value: isValue(big) ? big.rssGrowthMb : Number.NaN, must: 32, aim: 16, lowerIsBetter: true, unit: 'MB',
  }))
  rows.push(target('1 MiB commits c=16 ÷ nginx PUT c=16', {
    ours: rate(r('commit1m_c16'), 'commits/s', 1024 ** 2),
    reference: isValue(r('nginx1m_c16')) ? `nginx: ${rate(r('nginx1m_c16'), 'PUTs/s', 1024 ** 2)}` : why(r('nginx1m_c16')),
    value: ratioOf(r('commit1m_c16'), r('nginx1m_c16')), must: 0.5, aim: 0.8,
  }))
  for (const [key, label, bytes] of [['get1k', '1 KiB', undefined], ['get1m', '1 MiB', 1024 ** 2]]) {
    rows.push(target(`GET ${label}, c=${getConnections} ÷ nginx GET`, {
      ours: rate(r(key), 'req/s', bytes),
      reference: isValue(r(`nginx_${key}`)) ? `nginx: ${rate(r(`nginx_${key}`), 'req/s', bytes)}` : why(r(`nginx_${key}`)),
      value: ratioOf(r(key), r(`nginx_${key}`)), must: 0.5, aim: 0.8,
    }))
  }
  // A figure whose phase did not run (--only) is left out; one that failed or had no reference stays as n/a.
  return rows.filter((row) => !row.ours.startsWith('not run'))
}

export function renderTargets(rows) {
  const header = ['figure', 'ours', 'reference', 'ratio', 'must', 'aim', 'met']
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
  for (const r of rows) lines.push(`| ${header.map((h) => String(r[h === 'ratio' ? 'ratio' : h]).replace(/\|/g, '\\|')).join(' | ')} |`)
  const verdicts = rows.map((r) => r.met)
  const summary = rows.length === 0
    ? 'No target figure was measured in this run.'
    : `${verdicts.filter((m) => m === 'aim' || m === 'must').length} of ${rows.length} musts met ` +
      `(${verdicts.filter((m) => m === 'aim').length} aims); ${verdicts.filter((m) => m === 'no').length} not met, ${verdicts.filter((m) => m === 'n/a').length} n/a.`
  return `${lines.join('\n')}\n\n${summary}`
}
