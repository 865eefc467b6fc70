// A throwaway PostgreSQL on loopback, for the tests and for trying the ledger on PostgreSQL by hand:
// Debian's binaries, a fresh cluster in a temp dir (initdb --no-sync: nothing in it is worth an fsync
// yet), the server itself with fsync on, one database. Importable (startPostgres) and a CLI:
//
//   node scripts/postgres.mjs            prints LOG_URL=postgres://… and runs until Ctrl-C
//   node scripts/postgres.mjs --install  the same, apt-get installing `postgresql` first when missing (root only)
//
// initdb and postgres refuse to run as root, so as root they run as `nobody` (runuser), in a dir it owns.
import { execFileSync, spawn } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { alive, freePort } from './process-helpers.mjs'

const DEBIAN_ROOT = '/usr/lib/postgresql'
const isRoot = process.getuid?.() === 0

/** POSTGRES_BIN when set (another layout); else Debian's binaries, 15 preferred, else the newest installed; or undefined. */
export function findPostgresBin() {
  const given = process.env.POSTGRES_BIN
  if (given !== undefined && given !== '') return existsSync(join(given, 'postgres')) ? given : undefined
  const preferred = join(DEBIAN_ROOT, '15', 'bin')
  if (existsSync(join(preferred, 'postgres'))) return preferred
  if (!existsSync(DEBIAN_ROOT)) return undefined
  const versions = readdirSync(DEBIAN_ROOT).filter((v) => existsSync(join(DEBIAN_ROOT, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a))
  return versions.length === 0 ? undefined : join(DEBIAN_ROOT, versions[0], 'bin')
}

/** Why PostgreSQL cannot run here, or undefined when it can. */
export function postgresUnavailable() {
  if (findPostgresBin() === undefined) return `no PostgreSQL binaries under ${process.env.POSTGRES_BIN || DEBIAN_ROOT} (apt-get install postgresql, or set POSTGRES_BIN)`
  if (isRoot && !existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser')) return 'running as root without runuser, and postgres refuses root'
  return undefined
}

/** apt-get installs Debian's `postgresql` when its binaries are missing; only as root. */
export function installPostgres() {
  if (findPostgresBin() !== undefined) return
  if (!isRoot) throw new Error('PostgreSQL is not installed and only root may apt-get install it')
  execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })
}

function asServerUser(command, args) {
  return isRoot ? ['runuser', ['-u', 'nobody', '--', command, ...args]] : [command, args]
}


/** The postmaster's own pid (runuser may stand between us and it), from postmaster.pid. */
function postmasterPid(dataDir) {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}


/**
 * Starts a server on 127.0.0.1 with a random free port and its unix socket in its temp dir, creates the
 * database `database`, and returns its url, the postmaster's pid and stop() (fast shutdown by pid, then
 * the dir removed). Throws when PostgreSQL is not installed (see postgresUnavailable).
 */
export async function startPostgres({ database = 'ledger', log = () => {} } = {}) {
  const bin = findPostgresBin()
  if (bin === undefined) throw new Error(postgresUnavailable())
  const dir = mkdtempSync(join(tmpdir(), 'ledger-pg-'))
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  const dataDir = join(dir, 'data')
  const [initCommand, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', dataDir, '--no-sync', '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C'])
  execFileSync(initCommand, initArgs, { stdio: 'ignore' })

  let pid
  let server
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    process.off('exit', killOnExit)
    const target = pid ?? postmasterPid(dataDir)
    if (target !== undefined && alive(target)) {
      // SIGINT: fast shutdown (every session ended, a checkpoint, then exit).
      process.kill(target, 'SIGINT')
      for (let i = 0; i < 300 && alive(target); i++) await sleep(20)
      if (alive(target)) process.kill(target, 'SIGKILL')
    }
    if (server !== undefined && server.exitCode === null) await new Promise((resolve) => server.once('exit', resolve))
    rmSync(dir, { recursive: true, force: true })
  }
  // A test process that dies without stop() must not leave a server behind.
  const killOnExit = () => {
    const target = pid ?? postmasterPid(dataDir)
    if (target !== undefined && alive(target)) process.kill(target, 'SIGQUIT')
  }
  process.on('exit', killOnExit)

  try {
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const [command, args] = asServerUser(join(bin, 'postgres'), [
        '-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
        '-c', 'fsync=on', '-c', 'max_connections=200', '-c', 'shared_buffers=32MB',
      ])
      server = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] })
      let stderr = ''
      server.stderr.on('data', (chunk) => {
        stderr += chunk
        log(String(chunk))
      })
      const url = `postgres://postgres@127.0.0.1:${port}/postgres`
      const ready = await waitReady(url, server)
      if (ready) {
        pid = postmasterPid(dataDir)
        const admin = postgres(url, { max: 1, onnotice: false })
        try {
          await admin.unsafe(`CREATE DATABASE "${database}"`)
        } finally {
          await admin.end()
        }
        return { url: `postgres://postgres@127.0.0.1:${port}/${database}`, adminUrl: url, port, pid, dir, stop }
      }
      // Most likely the port was taken between freePort() and the bind: another port.
      if (attempt >= 3) throw new Error(`postgres did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)
      if (server.exitCode === null) server.kill('SIGKILL')
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Polls until the server takes connections (true) or its process exited (false). */
async function waitReady(url, child) {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false
    const probe = postgres(url, { max: 1, connect_timeout: 2, onnotice: false })
    try {
      await probe`SELECT 1`
      return true
    } catch {
      await sleep(50)
    } finally {
      await probe.end({ timeout: 1 })
    }
  }
  return false
}

/** Creates a database on the server of `adminUrl`; returns its url. For a fresh log per test fixture. */
export async function createDatabase(adminUrl, name) {
  const admin = postgres(adminUrl, { max: 1, onnotice: false })
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--install')) installPostgres()
  const unavailable = postgresUnavailable()
  if (unavailable !== undefined) {
    console.error(`postgres.mjs: ${unavailable}`)
    process.exit(2)
  }
  const pg = await startPostgres()
  console.log(`LOG_URL=${pg.url}`)
  console.log(`postgres pid ${pg.pid}, data in ${pg.dir}; Ctrl-C stops it and removes the dir`)
  const shutdown = () => {
    void pg.stop().then(() => process.exit(0))
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}
