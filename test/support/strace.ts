// strace as a fault injector: attach to a running process, make chosen syscalls fail with an errno, detach.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Which threads of the target see the fault.
 * - `process`: every thread (`-f -p pid`), the main thread (SQLite, sockets) and libuv's threadpool alike.
 * - `workers`: every thread but the main one (`-p tid` each, no `-f`). In Node the file system calls of
 *   fs/promises run on the libuv threadpool, while SQLite (better-sqlite3), sockets and logging stay on
 *   the main thread: this aims a fault at the file path alone.
 */
export type ThreadScope = 'process' | 'workers'

export interface FaultSpec {
  pid: number
  scope: ThreadScope
  /** Syscalls that fail, e.g. ['fsync', 'fdatasync']; only these are traced, so the target stays fast. */
  syscalls: readonly string[]
  /** errno name the injected calls return, e.g. 'EIO'. */
  errno: string
  /** strace's `when=` (counted per thread): '2+3' fails the 2nd, 5th, 8th… call; all calls when absent. */
  when?: string
  attachTimeoutMs?: number
}

export interface InjectionReport {
  /** Calls that failed by injection, by syscall name. */
  injected: Record<string, number>
  total: number
  /** strace's own messages (attach, detach, errors), for failure messages. */
  stderr: string
}

export interface Injection {
  /** Threads strace attached to. */
  readonly threads: number
  /** Ends the fault: SIGINT makes strace detach from every thread and exit (SIGKILL after a bound). */
  detach(): Promise<InjectionReport>
}

const STDERR_TAIL_CHARS = 16 * 1024
const running = new Set<ChildProcess>()

// A test run that dies must not leave strace attached: a SIGKILLed tracer is detached by the kernel.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

interface Attached {
  child: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

/**
 * Spawns strace with `args` and resolves once it reports `expected` attachments ("Process N attached",
 * one per `-p`, or one "attached with N threads" for `-f`). Rejects if strace is missing, exits first,
 * or does not attach in time.
 */
async function attach(args: string[], expected: number, timeoutMs: number): Promise<Attached> {
  const child = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  running.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS)
  })
  let spawnError: Error | undefined
  child.once('error', (error) => {
    spawnError = error
  })
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => {
      running.delete(child)
      resolve(code)
    })
  })
  let alive = true
  void exited.then(() => {
    alive = false
  })
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (spawnError !== undefined) throw spawnError
    const attachedCount = stderr.match(/Process \d+ attached/g)?.length ?? 0
    if (attachedCount >= expected) return { child, stderr: () => stderr, exited }
    if (!alive) throw new Error(`strace ${args.join(' ')} exited before attaching:\n${stderr}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      await exited
      throw new Error(`strace did not attach to ${expected} thread(s) within ${timeoutMs} ms:\n${stderr}`)
    }
    await sleep(10)
  }
}

/** SIGINT: strace detaches cleanly (a tracee stopped mid-injection resumes as if untouched), then exits. */
async function stop(attached: Attached, timeoutMs = 10_000): Promise<void> {
  attached.child.kill('SIGINT')
  const result = await Promise.race([attached.exited, sleep(timeoutMs, 'timeout' as const)])
  if (result === 'timeout') {
    attached.child.kill('SIGKILL')
    await attached.exited
    throw new Error(`strace did not detach within ${timeoutMs} ms of SIGINT:\n${attached.stderr()}`)
  }
}

/** Counts the "(INJECTED)" lines of strace's -o output by syscall name (resumed lines included). */
export function countInjected(trace: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const line of trace.split('\n')) {
    if (!line.includes('(INJECTED)')) continue
    const match = /^(?:\[pid\s+\d+\]\s+|\d+\s+)?(?:<\.\.\.\s+)?([a-z_0-9]+)(?:\(|\s+resumed>)/.exec(line)
    const name = match?.[1] ?? 'unknown'
    counts[name] = (counts[name] ?? 0) + 1
  }
  return counts
}

/** Every thread of `pid` except the main one. */
export async function workerThreads(pid: number): Promise<number[]> {
  const tids = (await readdir(`/proc/${pid}/task`)).map(Number).filter((tid) => tid !== pid)
  return tids.sort((a, b) => a - b)
}

/** Attaches strace to `spec.pid` and keeps `spec.syscalls` failing with `spec.errno` until `detach()`. */
export async function injectFault(spec: FaultSpec): Promise<Injection> {
  const set = spec.syscalls.join(',')
  const dir = await mkdtemp(join(tmpdir(), 'artifact-ledger-strace-'))
  const output = join(dir, 'trace.log')
  const tids = spec.scope === 'workers' ? await workerThreads(spec.pid) : []
  if (spec.scope === 'workers' && tids.length === 0) throw new Error(`pid ${spec.pid} has no thread besides the main one`)
  const targets = spec.scope === 'process' ? ['-f', '-p', String(spec.pid)] : tids.flatMap((tid) => ['-p', String(tid)])
  const inject = `inject=${set}:error=${spec.errno}${spec.when === undefined ? '' : `:when=${spec.when}`}`
  const args = ['-o', output, '-e', `trace=${set}`, '-e', inject, '-e', 'signal=none', ...targets]
  let attached: Attached
  try {
    attached = await attach(args, spec.scope === 'process' ? 1 : tids.length, spec.attachTimeoutMs ?? 15_000)
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const threads = spec.scope === 'process'
    ? Number(/attached with (\d+) threads/.exec(attached.stderr())?.[1] ?? 1)
    : tids.length
  return {
    threads,
    async detach() {
      try {
        await stop(attached)
        const injected = countInjected(await readFile(output, 'utf8').catch(() => ''))
        const total = Object.values(injected).reduce((sum, n) => sum + n, 0)
        return { injected, total, stderr: attached.stderr() }
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

export type StraceCheck = { usable: true } | { usable: false; reason: string }

/**
 * Whether strace can inject here, by a real attach: strace must be installed and ptrace permitted
 * (containers often drop CAP_SYS_PTRACE or set kernel.yama.ptrace_scope).
 */
export async function checkStrace(): Promise<StraceCheck> {
  // A throwaway Node process to attach to: present wherever the tests run.
  const target = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'], { stdio: 'ignore' })
  const targetGone = new Promise<void>((resolve) => {
    target.once('close', () => resolve())
    target.once('error', () => resolve())
  })
  try {
    if (target.pid === undefined) return { usable: false, reason: 'could not start a process to attach to' }
    const attached = await attach(['-o', '/dev/null', '-e', 'trace=none', '-p', String(target.pid)], 1, 10_000)
    await stop(attached)
    return { usable: true }
  } catch (error) {
    const code = (error as { code?: string }).code
    if (code === 'ENOENT') return { usable: false, reason: 'strace is not installed' }
    return { usable: false, reason: error instanceof Error ? error.message : String(error) }
  } finally {
    target.kill('SIGKILL')
    await targetGone
  }
}
