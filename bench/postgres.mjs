// The durable-database references: PostgreSQL's durable INSERT under pgbench, and dd conv=fsync for big files.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { chmod, chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { summarize } from './load.mjs'
import { isExecutable } from '../scripts/process-helpers.mjs'
import { freePort, launch, logTail, stop, track } from './processes.mjs'

const run = promisify(execFile)
const PG_ROOT = '/usr/lib/postgresql'

/** Runs a short command as a tracked child, so an interrupted bench kills it too. */
function tracked(command, args, options) {
  const promise = run(command, args, { maxBuffer: 64 * 1024 * 1024, ...options })
  track(promise.child)
  return promise
}

/** Debian's server binaries, PostgreSQL 15 first, else the newest major installed. */
function installedPostgres() {
  let majors = []
  try {
    majors = readdirSync(PG_ROOT).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a))
  } catch {
    return undefined
  }
  const ordered = majors.includes('15') ? ['15', ...majors.filter((m) => m !== '15')] : majors
  const found = ordered.map((m) => join(PG_ROOT, m, 'bin')).find((bin) => ['initdb', 'postgres', 'pgbench', 'psql'].every((b) => isExecutable(join(bin, b))))
  return found
}

/** The uid/gid of `nobody`: PostgreSQL refuses to run as root. Undefined when we are not root. */
function unprivilegedUser() {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('nobody:'))
  if (line === undefined) return { reason: 'running as root and there is no `nobody` user to run PostgreSQL as' }
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

/**
 * The PostgreSQL binaries (installing Debian's `postgresql` when missing, only as root with apt),
 * or the reason there are none, which the rows then show as n/a.
 */
export async function findPostgres(say) {
  const user = unprivilegedUser()
  if (user?.reason !== undefined) return { reason: user.reason }
  let bin = installedPostgres()
  if (bin === undefined) {
    if (process.getuid?.() !== 0 || !isExecutable('/usr/bin/apt-get')) return { reason: 'PostgreSQL is not installed (and apt-get is not usable: not root or no apt)' }
    say('  PostgreSQL is missing: apt-get install -y postgresql')
    try {
      await tracked('apt-get', ['install', '-y', '-q', 'postgresql'], { timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
    } catch (error) {
      return { reason: `apt-get install postgresql failed: ${String(error.message).split('\n')[0]}` }
    }
    bin = installedPostgres()
    if (bin === undefined) return { reason: `apt-get installed postgresql but no server binaries are under ${PG_ROOT}` }
  }
  const { stdout } = await tracked(join(bin, 'postgres'), ['--version'], { timeout: 10_000 })
  return { bin, version: stdout.trim().replace(/^postgres \(PostgreSQL\) /, 'PostgreSQL '), user }
}

const psqlArgs = (pg) => ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres']

/**
 * initdb in `dir` and a postgres server on 127.0.0.1 at a free port, fsync=on and
 * synchronous_commit=on (a COMMIT returns after its WAL is flushed), as `nobody` when we are root.
 * Stopped by its pid (stopPostgres); an interrupted bench kills it with its backends.
 */
export async function startPostgres({ bin, version, user }, { dir }) {
  const data = join(dir, 'data')
  const owner = user === undefined ? {} : { uid: user.uid, gid: user.gid }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  if (user !== undefined) {
    // The bench's temp dir is root's 0700: `nobody` needs to pass through it to reach its own.
    await chmod(dirname(dir), 0o711)
    await chown(dir, user.uid, user.gid)
  }
  const env = { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' }
  // --no-sync only for initdb's own files: the server fsyncs everything it writes after start.
  await tracked(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { env, cwd: dir, timeout: 120_000, ...owner })
  const port = await freePort()
  const since = performance.now()
  const proc = launch(join(bin, 'postgres'), [
    '-D', data, '-c', 'fsync=on', '-c', 'synchronous_commit=on', '-c', 'full_page_writes=on',
    '-c', 'listen_addresses=127.0.0.1', '-c', `port=${port}`, '-c', `unix_socket_directories=${dir}`,
    '-c', 'max_connections=200', '-c', 'logging_collector=off',
  ], { env, cwd: dir, logPath: join(dir, 'postgres.log'), ...owner })
  const pg = { ...proc, port, dir, bin, version, startupMs: 0 }
  try {
    let exited
    void proc.exited.then((outcome) => {
      exited = outcome
    })
    for (;;) {
      if (exited !== undefined) throw new Error(`postgres exited (code ${exited.code}) before it was ready:\n${await logTail(proc.logPath)}`)
      if (performance.now() - since > 30_000) throw new Error(`postgres was not ready within 30 s:\n${await logTail(proc.logPath)}`)
      const ok = await tracked(join(bin, 'psql'), [...psqlArgs(pg), '-c', 'select 1'], { env, timeout: 5000 }).then(() => true, () => false)
      if (ok) break
      await sleep(50)
    }
    pg.startupMs = performance.now() - since
    await tracked(join(bin, 'psql'), [...psqlArgs(pg), '-c',
      'CREATE TABLE artifacts(id bigserial primary key, session text not null, name text not null, sha256 text not null, body bytea not null); ' +
      'CREATE INDEX ON artifacts(session, name);'], { env, timeout: 30_000 })
  } catch (error) {
    await stop(proc, { signal: 'SIGINT', graceMs: 5000 })
    throw error
  }
  return pg
}

/** Fast shutdown (SIGINT) by the postmaster's pid; SIGKILL after the grace period. */
export async function stopPostgres(pg) {
  await stop(pg, { signal: 'SIGINT', graceMs: 15_000 })
}

/** The pgbench script: one durable INSERT of the same 1 KiB with its SHA-256, as a 1 KiB commit of ours stores. */
function insertScript(bytes) {
  const body = Buffer.alloc(bytes)
  for (let i = 0; i < bytes; i++) body[i] = (i * 131 + 7) & 0xff
  const sha256 = createHash('sha256').update(body).digest('hex')
  return `\\set n random(1, 1000000000)
INSERT INTO artifacts(session, name, sha256, body) VALUES ('w' || :client_id, 'n-' || :n || '.bin', '${sha256}', '\\x${body.toString('hex')}'::bytea);
`
}

/**
 * `pgbench -n -f insert.sql -c C -j C -T seconds` over TCP: each transaction one INSERT in autocommit,
 * durable at its COMMIT. Latencies from pgbench's per-transaction log (-l), rate as pgbench's tps.
 */
export async function pgbenchInserts(pg, { concurrency, seconds, bytes = 1024 }) {
  const work = join(pg.dir, `pgbench-c${concurrency}-${Date.now()}`)
  await mkdir(work, { recursive: true })
  const script = join(work, 'insert.sql')
  await writeFile(script, insertScript(bytes))
  try {
    const { stdout } = await tracked(join(pg.bin, 'pgbench'), [
      '-n', '-f', script, '-c', String(concurrency), '-j', String(concurrency), '-T', String(seconds),
      '-h', '127.0.0.1', '-p', String(pg.port), '-U', 'postgres', '-l', '--log-prefix', join(work, 'tx'), 'postgres',
    ], { cwd: work, env: { PATH: process.env.PATH }, timeout: (seconds + 60) * 1000 })
    const tps = Number(stdout.match(/^tps = ([\d.]+)/m)?.[1])
    const failed = Number(stdout.match(/^number of failed transactions: (\d+)/m)?.[1] ?? 0)
    if (!Number.isFinite(tps)) throw new Error(`pgbench printed no tps:\n${stdout.slice(-500)}`)
    if (failed > 0) throw new Error(`pgbench: ${failed} failed transactions`)
    const latencies = []
    for (const file of (await readdir(work)).filter((f) => f.startsWith('tx.'))) {
      for (const line of (await readFile(join(work, file), 'utf8')).split('\n')) {
        const micros = Number(line.split(' ')[2])
        if (line !== '' && Number.isFinite(micros)) latencies.push(micros / 1000)
      }
    }
    const summary = summarize(latencies, seconds)
    return { ...summary, perSecond: tps }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

/** `dd if=/dev/zero of=… bs=1M count=mib conv=fsync` once: the disk's rate for one big durable file. */
export async function ddFsyncOnce({ dir, mib }) {
  await mkdir(dir, { recursive: true })
  const file = join(dir, 'dd.bin')
  const started = performance.now()
  try {
    const { stderr } = await tracked('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mib}`, 'conv=fsync'], { timeout: 600_000, env: { PATH: process.env.PATH, LC_ALL: 'C' } })
    const wall = (performance.now() - started) / 1000
    // "268435456 bytes (268 MB, 256 MiB) copied, 0.823 s, 326 MB/s": bytes and seconds, not dd's rounded rate.
    const match = stderr.match(/^(\d+) bytes .* copied, ([\d.]+) s/m)
    const bytes = Number(match?.[1] ?? mib * 1024 ** 2)
    const seconds = Number(match?.[2] ?? wall)
    return { mbPerSec: bytes / 1e6 / seconds, seconds }
  } finally {
    await rm(file, { force: true })
  }
}

/** The best of several dd runs, with their median, as the streamed PUT reports its own. */
export function bestOfDd(runs) {
  const best = runs.reduce((a, b) => (b.mbPerSec > a.mbPerSec ? b : a))
  return {
    ...best,
    median: runs.map((r) => r.mbPerSec).sort((a, b) => a - b)[Math.floor(runs.length / 2)],
    count: runs.length,
    seconds: runs.reduce((a, r) => a + r.seconds, 0),
  }
}
