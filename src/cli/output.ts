// How the CLI talks to people and scripts: tables on a terminal, JSON with --json, errors on stderr.
import type { Writable } from 'node:stream'
import type { CommitRecord, SessionRecord, StatusReport, VerifyReport } from '../client/index.js'

export interface Output {
  json: boolean
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable & { isTTY?: boolean }
}

export function bytes(size: number | null | undefined): string {
  if (size === null || size === undefined) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = size
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${size} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** Left-aligned columns, two spaces apart: enough for listings without a table library. */
export function table(rows: string[][]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n'
}

export function short(sha256: string | null): string {
  return sha256 === null ? '-' : sha256.slice(0, 12)
}

export function printJson(out: Output, value: unknown): void {
  out.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/**
 * An upload progress line on stderr, redrawn at most ten times a second; only on a terminal, so
 * logs of batch jobs do not fill with carriage returns.
 */
export function progressBar(out: Output, label: string): ((done: number, total: number) => void) & { finish: () => void } {
  const enabled = out.stderr.isTTY === true && !out.json
  const started = Date.now()
  let lastDraw = 0
  let drawn = false
  let last = { done: 0, total: 0 }
  const draw = (done: number, total: number, force = false): void => {
    last = { done, total }
    if (!enabled) return
    const now = Date.now()
    if (!force && now - lastDraw < 100) return
    lastDraw = now
    drawn = true
    const fraction = total > 0 ? Math.min(1, done / total) : 1
    const width = 24
    const filled = Math.round(fraction * width)
    const seconds = Math.max((now - started) / 1000, 0.001)
    const rate = `${(done / seconds / 1e6).toFixed(1)} MB/s`
    out.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${bytes(done)} / ${bytes(total)} ${rate}\x1b[K`)
  }
  return Object.assign((done: number, total: number) => draw(done, total), {
    finish: () => {
      if (!drawn) return
      draw(last.done, last.total, true)
      out.stderr.write('\n')
    },
  })
}

export function printCommit(out: Output, commit: CommitRecord): void {
  out.stdout.write(`commit ${commit.id} (seq ${commit.seq}) ${commit.state} in ${commit.sessionId}\n`)
  out.stdout.write(table(commit.artifacts.map((a) => ['  ', a.name, `v${a.version ?? '-'}`, bytes(a.size), `sha256 ${a.sha256 ?? '-'}`])))
}

export function printSessionLine(out: Output, session: SessionRecord): void {
  const missing = session.missing.length > 0 ? `; missing: ${session.missing.join(', ')}` : ''
  const byDeadline = session.closedBy === 'deadline' ? ' (closed by its deadline)' : ''
  const error = session.error === null ? '' : `; ${session.error.type}: ${session.error.message}`
  out.stdout.write(`session ${session.id}: ${session.state}${byDeadline}${missing}${error}\n`)
}

/** What a log entry did, in a few words: the artifacts of a commit, or the session change. */
export function summarizeEntry(entry: CommitRecord): string {
  if (entry.close !== null) return `closed ${entry.close.state} by ${entry.close.closedBy}`
  const parts: string[] = []
  if (entry.artifacts.length > 0) parts.push(entry.artifacts.map((a) => a.name).join(','))
  if (entry.expect !== null) {
    parts.push([...entry.expect.add.map((n) => `+${n}`), ...entry.expect.remove.map((n) => `-${n}`)].join(',') + ' expected')
  }
  if (entry.session !== null) parts.push(entry.session.created ? 'created' : 'updated')
  return parts.join('; ')
}

/** `status` as two columns: what, and how it stands. */
export function statusTable(status: StatusReport): string {
  const c = status.commits
  return table([
    ['service', `${status.service} ${status.version}, ${status.phase}, up ${status.uptimeSeconds} s`],
    ['commits', `${c.committed} committed, ${c.failed} failed, ${c.aborted} aborted, ${c.pending} pending`],
    ['last commit', status.lastCommit === null ? '-' : `${status.lastCommit.sessionId} seq ${status.lastCommit.seq} at ${status.lastCommit.at}`],
    ['last failure', status.lastFailure === null ? '-' : `${status.lastFailure.sessionId} seq ${status.lastFailure.seq}: ${status.lastFailure.code}: ${status.lastFailure.detail}`],
    ['storage', `${status.storage.objectCount} objects, ${bytes(status.storage.objectBytes)}; ${bytes(status.storage.freeBytes)} free`],
    ['sessions', `${status.sessions.total} (${status.sessions.open} open, ${status.sessions.complete} complete, ${status.sessions.incomplete} incomplete, ` +
      `${status.sessions.failed} failed, ${status.sessions.deleted} deleted; ${status.sessions.closedByDeadline} closed by their deadline)`],
    ['incomplete', status.sessions.incompleteIds.join(', ') || '-'],
    ['failed', status.sessions.failedIds.join(', ') || '-'],
    ['last scrub', status.lastScrub === null ? '-' : `${status.lastScrub.finishedAt}: ${status.lastScrub.ok ? 'ok' : 'FOUND PROBLEMS'}`],
    ['canary', status.canary === null ? '-' : `${status.canary.ok ? 'ok' : `FAILING: ${status.canary.error ?? ''}`} (${status.canary.latencyMs} ms)`],
    ['fault', status.unrecoveredFault === null ? '-' : `${status.unrecoveredFault.code}: ${status.unrecoveredFault.detail}`],
    ['owed to the log', status.owedFailures === 0 ? '-' : `${status.owedFailures} failed commits not recorded yet`],
    ['background', status.backgroundErrors.map((e) => `${e.path}: ${e.code} (${e.count}×)`).join('; ') || '-'],
  ])
}

/** One summary line, then one line per finding. */
export function printVerifyReport(out: Output, report: VerifyReport): void {
  out.stdout.write(`checked ${report.checked.objects} objects and ${report.checked.plainFiles} plain files (${bytes(report.checked.bytes)}) in ${report.durationMs} ms: ${report.ok ? 'ok' : 'PROBLEMS FOUND'}\n`)
  const findings = [
    ...report.missing.map((f) => ['missing', f.path, f.repaired === true ? 'repaired' : '']),
    ...report.corrupt.map((f) => ['corrupt', f.path, f.repaired === true ? 'repaired' : '']),
    ...report.orphaned.map((f) => ['orphaned', f.path, '']),
  ]
  if (findings.length > 0) out.stdout.write(table(findings))
}
