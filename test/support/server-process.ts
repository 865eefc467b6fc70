// The built server as a child process: spawn on a free port, wait until ready, SIGKILL or SIGTERM it.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

export const MAIN_JS = fileURLToPath(new URL('../../dist/main.js', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Only the tail of the child's output is kept: enough to explain a failure, bounded in memory. */
const OUTPUT_TAIL_CHARS = 32 * 1024

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
}

/** What one poll of /health/ready saw; `undefined` from `readiness()` means nothing answered. */
export interface ReadinessAnswer {
  status: number
  /** checks.recovery[0].observedValue: starting, recovering, ready or stopping. */
  phase: string | undefined
}

export interface StartOptions {
  dataDir: string
  logLevel?: 'fatal' | 'error' | 'warn'
  /** Extra environment for the child, e.g. SHUTDOWN_GRACE_MS. */
  env?: Record<string, string>
}

export interface ServerProcess {
  readonly pid: number
  readonly port: number
  readonly baseUrl: string
  readonly dataDir: string
  readonly exited: Promise<ExitInfo>
  isRunning(): boolean
  /** The last few KiB of the child's stdout and stderr, for failure messages. */
  output(): string
  readiness(): Promise<ReadinessAnswer | undefined>
  waitReady(timeoutMs?: number): Promise<void>
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>
  stop(timeoutMs?: number): Promise<ExitInfo>
}

// Every child still alive; the exit hook below and `killAllServers` make sure none outlives the tests.
const running = new Set<ChildProcess>()

process.once('exit', () => {
  for (const child of running) {
    if (child.pid !== undefined) signalQuietly(child.pid, 'SIGKILL')
  }
})

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch (error) {
    // ESRCH: it is already gone, which is what we wanted.
    if ((error as { code?: string }).code !== 'ESRCH') throw error
  }
}

function inherit(names: string[]): Record<string, string> {
  return Object.fromEntries(names.flatMap((name) => {
    const value = process.env[name]
    return value === undefined ? [] : [[name, value]]
  }))
}

/** A port nobody listens on right now: bind port 0 on 127.0.0.1, read it, close. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.unref()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      if (address === null || typeof address === 'string') {
        probe.close()
        reject(new Error('listening on port 0 gave no port'))
        return
      }
      probe.close(() => resolve(address.port))
    })
  })
}

export async function startServer(options: StartOptions): Promise<ServerProcess> {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first`)
  const port = await freePort()
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      // Only what a process needs from ours: the server's own settings come from here, not the caller's shell.
      ...inherit(['PATH', 'HOME', 'TMPDIR', 'LANG']),
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: options.dataDir,
      LOG_LEVEL: options.logLevel ?? 'error',
      // A crowded test disk must not make the server unready: the reserves are not under test here.
      DISK_HARD_RESERVE_BYTES: '0',
      DISK_SOFT_RESERVE_BYTES: '0',
      ...options.env,
    },
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`could not spawn ${MAIN_JS}`)
  running.add(child)

  let tail = ''
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)

  let alive = true
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      alive = false
      running.delete(child)
      resolve({ code, signal })
    })
  })
  const baseUrl = `http://127.0.0.1:${port}`

  const readiness = async (): Promise<ReadinessAnswer | undefined> => {
    let res: Response
    try {
      res = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) })
    } catch {
      // Not listening yet (or any more): no answer.
      return undefined
    }
    const body = (await res.json().catch(() => undefined)) as { checks?: { recovery?: { observedValue?: unknown }[] } } | undefined
    const phase = body?.checks?.recovery?.[0]?.observedValue
    return { status: res.status, phase: typeof phase === 'string' ? phase : undefined }
  }

  const waitForExit = async (timeoutMs: number, what: string): Promise<ExitInfo> => {
    const timer = sleep(timeoutMs, 'timeout' as const)
    const result = await Promise.race([exited, timer])
    if (result === 'timeout') throw new Error(`server pid ${pid} did not exit within ${timeoutMs} ms after ${what}`)
    return result
  }

  return {
    pid,
    port,
    baseUrl,
    dataDir: options.dataDir,
    exited,
    isRunning: () => alive,
    output: () => tail,
    readiness,

    async waitReady(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      let last: ReadinessAnswer | undefined
      while (Date.now() < deadline) {
        if (!alive) {
          const { code, signal } = await exited
          throw new Error(`server pid ${pid} exited (code ${code}, signal ${signal}) before it was ready:\n${tail}`)
        }
        last = await readiness()
        if (last?.status === 200) return
        await sleep(20)
      }
      throw new Error(`server pid ${pid} was not ready within ${timeoutMs} ms (last answer ${JSON.stringify(last)}):\n${tail}`)
    },

    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (alive) signalQuietly(pid, signal)
      return waitForExit(5000, signal)
    },

    async stop(timeoutMs = 10_000) {
      if (alive) signalQuietly(pid, 'SIGTERM')
      try {
        return await waitForExit(timeoutMs, 'SIGTERM')
      } finally {
        if (alive) signalQuietly(pid, 'SIGKILL')
      }
    },
  }
}

/** For afterAll/finally: SIGKILL every child still running and wait until each is gone. */
export async function killAllServers(): Promise<void> {
  const exits = [...running].map(async (child) => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    if (child.pid !== undefined) signalQuietly(child.pid, 'SIGKILL')
    await Promise.race([gone, sleep(5000)])
  })
  await Promise.all(exits)
}
