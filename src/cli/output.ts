// How the CLI talks to people and scripts: tables on a terminal, JSON with --json, errors on stderr.
import type { Writable } from 'node:stream'

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
