// promtool for tests: skipped where it is not installed, required (a failure, not a skip) when REQUIRE_PROMTOOL=1, as in CI.
import { spawnSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'

export const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0
export const requirePromtool = process.env['REQUIRE_PROMTOOL'] === '1'
/** For `it.skipIf(skipWithoutPromtool)`: only a dev machine without promtool and without the CI flag skips. */
export const skipWithoutPromtool = !hasPromtool && !requirePromtool

export interface PromtoolResult {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs promtool to completion; `stdinPath` is fed as its standard input (`promtool check metrics < file`). */
export function promtool(args: string[], options: { stdinPath?: string } = {}): PromtoolResult {
  if (!hasPromtool) throw new Error('promtool is not on PATH but REQUIRE_PROMTOOL=1: install the Debian package `prometheus`')
  const stdin = options.stdinPath === undefined ? 'ignore' : openSync(options.stdinPath, 'r')
  try {
    const result = spawnSync('promtool', args, { encoding: 'utf8', stdio: [stdin, 'pipe', 'pipe'], timeout: 60_000 })
    if (result.error !== undefined) throw result.error
    return { status: result.status, stdout: result.stdout, stderr: result.stderr }
  } finally {
    if (typeof stdin === 'number') closeSync(stdin)
  }
}
