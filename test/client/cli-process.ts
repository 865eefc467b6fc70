// The built `artifact-ledger` command as a child process: its exit code, stdout (as bytes) and stderr.
import { spawn } from 'node:child_process'
import type { Stream } from 'node:stream'
import { fileURLToPath } from 'node:url'

export const BIN_JS = fileURLToPath(new URL('../../dist/cli/bin.js', import.meta.url))

export interface CliRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: Buffer
  stderr: string
}

export interface CliOptions {
  /** ARTIFACT_LEDGER_URL for the child. */
  url: string
  /** More variables for the child (ARTIFACT_LEDGER_TOKEN, say); these win over `url`. */
  env?: Record<string, string>
  cwd?: string
  /**
   * Where the child's stdout goes instead of being collected: a stream or fd handed to it (the stdin of
   * a `head` child, /dev/full), or 'closed': a pipe whose reader is gone before the command writes.
   */
  stdout?: 'closed' | Stream | number
  /** The child is SIGKILLed after this long, so a hung command fails the test instead of stalling it. */
  timeoutMs?: number
}

/** The child's environment: only what the command needs, so no token or URL leaks in from the caller's shell. */
export function cliEnv(options: CliOptions): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '', ARTIFACT_LEDGER_URL: options.url, ...options.env }
}

export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN_JS, ...args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', options.stdout === undefined || options.stdout === 'closed' ? 'pipe' : options.stdout, 'pipe'],
    env: cliEnv(options),
  })
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  // Destroying our end closes the only reader: the child's first write meets EPIPE, as under `| true`.
  if (options.stdout === 'closed') child.stdout?.destroy()
  else child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') })
    })
  })
}
