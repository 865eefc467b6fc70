// Child processes of a benchmark run (the service, nginx, the fsync worker): start, watch, stop by pid.
import { spawn } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'

const running = new Set()

/** Sends a signal; a process that has already gone (ESRCH) is what we wanted anyway. */
function signal(pid, name) {
  try {
    process.kill(pid, name)
  } catch (error) {
    if (error.code !== 'ESRCH') throw error
  }
}

/**
 * Kills whatever is still running, children first: nginx workers outlive a killed master. Called
 * on exit, SIGINT and SIGTERM, so nothing outlives the run.
 */
export function killAllSync() {
  for (const child of running) {
    let grandchildren = ''
    try {
      grandchildren = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8')
    } catch {
      // Not Linux, or already gone: there is only the child itself to kill.
    }
    for (const pid of grandchildren.trim().split(/\s+/).filter(Boolean)) signal(Number(pid), 'SIGKILL')
    signal(child.pid, 'SIGKILL')
  }
  running.clear()
}

/** SIGTERM to everything still running (nginx's master then reaps its workers), SIGKILL after `graceMs`. */
export async function stopAll(graceMs = 5000) {
  const children = [...running]
  const exits = children.map((child) => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', resolve)
  }))
  for (const child of children) signal(child.pid, 'SIGTERM')
  await Promise.race([Promise.all(exits), sleep(graceMs)])
  killAllSync()
}

export { freePort } from '../scripts/process-helpers.mjs'

/** Remembers a child started elsewhere (execFile) until it exits, so an interrupted run kills it too. */
export function track(child) {
  running.add(child)
  child.once('exit', () => running.delete(child))
  return child
}

/** Spawns a child whose output goes to `logPath`; it is remembered until `stop` sees it exit. */
export function launch(command, args, { env, cwd, logPath, uid, gid }) {
  const log = createWriteStream(logPath, { flags: 'a' })
  // uid/gid: PostgreSQL refuses to run as root, so the bench starts it as an unprivileged user.
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(uid === undefined ? {} : { uid, gid }) })
  child.stdout.pipe(log, { end: false })
  child.stderr.pipe(log, { end: false })
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child)
      resolve({ code, signal })
    })
  })
  child.once('error', () => running.delete(child))
  running.add(child)
  return { child, pid: child.pid, exited, logPath }
}

/** Stops one child by its pid: `signal` first, SIGKILL after `graceMs`. */
export async function stop(proc, { signal: first = 'SIGTERM', graceMs = 15_000, pid = proc.pid } = {}) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.exited
  signal(pid, first)
  const outcome = await Promise.race([proc.exited, sleep(graceMs).then(() => undefined)])
  if (outcome !== undefined) return outcome
  signal(proc.pid, 'SIGKILL')
  return proc.exited
}

export async function logTail(path, lines = 20) {
  const text = await readFile(path, 'utf8').catch(() => '')
  return text.trim().split('\n').slice(-lines).join('\n')
}

/** One GET over a fresh connection: status code, or undefined when nothing answers yet. */
export function probe(port, path, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume()
      res.once('end', () => resolve(res.statusCode))
    })
    req.once('timeout', () => req.destroy())
    req.once('error', () => resolve(undefined))
    req.end()
  })
}

/**
 * Polls `path` until it answers 200; resolves with milliseconds since `since`. Fails with the log's
 * tail when the process exits first or `timeoutMs` passes.
 */
export async function waitUntilOk(proc, port, path, { since, timeoutMs, what }) {
  const deadline = since + timeoutMs
  let exit
  void proc.exited.then((outcome) => {
    exit = outcome
  })
  let last
  while (performance.now() < deadline) {
    if (exit !== undefined) {
      throw new Error(`${what} exited (code ${exit.code}, signal ${exit.signal}) before it was ready; ` +
        `log ${proc.logPath}:\n${await logTail(proc.logPath)}`)
    }
    last = await probe(port, path)
    if (last === 200) return performance.now() - since
    await sleep(5)
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms (last ${path}: ${last ?? 'no answer'}); ` +
    `log ${proc.logPath}:\n${await logTail(proc.logPath)}`)
}

/** Reads a field of /proc/<pid>/status in kB, e.g. VmRSS or VmHWM; undefined off Linux. */
export async function procStatusKb(pid, field) {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined)
  const match = text?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))
  return match === null || match === undefined ? undefined : Number(match[1])
}

/** Resets the kernel's peak-RSS mark (VmHWM) of a process; false when the kernel refuses. */
export async function resetPeakRss(pid) {
  return writeFile(`/proc/${pid}/clear_refs`, '5').then(() => true, () => false)
}

/** CPU seconds (user + system) a process and its threads have used, from /proc/<pid>/stat. */
export async function cpuSeconds(pid) {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (text === undefined) return Number.NaN
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Child pids of a process (nginx workers under the master). */
export async function childPids(pid) {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')
  return text.trim().split(/\s+/).filter(Boolean).map(Number)
}
