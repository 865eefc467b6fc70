// The built `artifact-ledger` command as a child process: its exit code, stdout (as bytes) and stderr.
import { spawn } from 'node:child_process'
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
  cwd?: string
  /** The child is SIGKILLed after this long, so a hung command fails the test instead of stalling it. */
  timeoutMs?: number
}

export function runCli(args: string[], options: CliOptions): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN_JS, ...args], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // Only what the command needs: no token or URL leaks in from the caller's shell.
    env: { PATH: process.env['PATH'] ?? '', ARTIFACT_LEDGER_URL: options.url },
  })
  const stdout: Buffer[] = []
  const stderr: Buffer[] = []
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000)
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') })
    })
  })
}
