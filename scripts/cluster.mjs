#!/usr/bin/env node
// A throwaway scale-out cluster on loopback: N built servers (dist/main.js) on one PostgreSQL log and one
// S3 bucket prefix, behind an nginx balancer. For trying scale-out by hand, the HTTP suites in cluster
// mode (test/support/cluster-ledger.ts) and bench/scale-out.mjs.
//
//   npm run cluster -- --replicas 3     prints the balancer, each replica, LOG_URL and OBJECT_STORE_URL;
//                                       Ctrl-C stops everything it started, by pid
//
// Without --log-url/--object-store-url it brings up PostgreSQL (scripts/postgres.mjs) and Ceph's RADOS
// Gateway (scripts/rgw.mjs) itself; nginx's config is scripts/nginx-balancer.mjs. Every process it
// starts is killed by pid when this process exits.
import { execFileSync, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { findNginx, nginxConfig } from './nginx-balancer.mjs'
import { createDatabase, postgresUnavailable, startPostgres } from './postgres.mjs'
import { rgwUnavailable, startRgw } from './rgw.mjs'
import { alive, freePort } from './process-helpers.mjs'

export { findNginx }

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
const MAIN_JS = join(REPO_ROOT, 'dist', 'main.js')
/** Well inside the 30 s SPEC gives another replica to abort a dead one's pending commits. */
const DEFAULT_SWEEP_MS = '5000'

/** Why a cluster cannot start here (naming the Debian packages), or undefined; backends given by URL need no binaries. */
export function clusterUnavailable({ needPostgres = true, needRgw = true } = {}) {
  const reasons = []
  if (findNginx() === undefined) reasons.push('nginx is not installed (apt-get install nginx-light, or set NGINX_BIN)')
  if (needPostgres) {
    const why = postgresUnavailable()
    if (why !== undefined) reasons.push(why)
  }
  if (needRgw) {
    const why = rgwUnavailable()
    if (why !== undefined) reasons.push(why)
  }
  return reasons.length === 0 ? undefined : reasons.join('; ')
}


/** An OBJECT_STORE_URL for a fresh prefix of an RGW's bucket, keys in the URL. */
export function objectStoreUrlOf(rgw, prefix = `cluster-${randomUUID()}`) {
  const keys = `${encodeURIComponent(rgw.accessKeyId)}:${encodeURIComponent(rgw.secretAccessKey)}`
  return `s3://${keys}@${rgw.bucket}/${prefix}?endpoint=${encodeURIComponent(rgw.endpoint)}&region=${rgw.region}`
}

/**
 * Brings up PostgreSQL and RGW once; `fresh()` gives a new database and bucket prefix on them, so clusters
 * started one after another share the daemons but never state. `stop()` stops both by pid.
 */
export async function startBackingServices({ log = () => {} } = {}) {
  const [postgres, rgw] = await Promise.all([startPostgres({ database: 'cluster', log }), startRgw()])
  let made = 0
  return {
    postgres, rgw,
    postgresUrl: postgres.url,
    objectStoreUrl: objectStoreUrlOf(rgw),
    async fresh() {
      const name = `cluster_${process.pid}_${++made}_${Date.now()}`
      return { postgresUrl: await createDatabase(postgres.adminUrl, name), objectStoreUrl: objectStoreUrlOf(rgw, name) }
    },
    async stop() {
      await Promise.all([postgres.stop(), rgw.stop()])
    },
  }
}


function tailOf(file, chars = 4000) {
  try {
    return readFileSync(file, 'utf8').slice(-chars)
  } catch {
    return ''
  }
}

/** Waits until `url` answers 200 or the child exits; throws with the tail of its log. */
async function waitReady(child, url, logFile, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`pid ${child.pid} exited (${child.exitCode ?? child.signalCode}) before ${url} was ready:\n${tailOf(logFile)}`)
    const status = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((res) => res.status, () => undefined)
    if (status === 200) return
    await sleep(50)
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms:\n${tailOf(logFile)}`)
}

/** Spawns with stdout and stderr appended to `logFile` (no pipe to drain); resolves `exited` on exit. */
function spawnLogged(command, args, { env, cwd, logFile }) {
  const fd = openSync(logFile, 'a')
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', fd, fd] })
  closeSync(fd)
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return child
}

async function killAndWait(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return child.exited
  if (alive(child.pid)) process.kill(child.pid, signal)
  return child.exited
}

/**
 * Starts `replicas` built servers and nginx in front of them. Without `postgresUrl`/`objectStoreUrl` it
 * starts PostgreSQL and RGW too (and stops them in stop()). `env` overrides the replicas' environment.
 */
export async function startCluster({ replicas = 3, postgresUrl, objectStoreUrl, env = {}, basePort, logLevel = 'warn' } = {}) {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` first`)
  const nginxBinary = findNginx()
  if (nginxBinary === undefined) throw new Error(clusterUnavailable({ needPostgres: false, needRgw: false }))
  const dir = await mkdtemp(join(tmpdir(), 'ledger-cluster-'))
  const children = new Set()
  const killOnExit = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.on('exit', killOnExit)
  let backing
  const members = []
  let nginx
  let stopped = false
  const stop = async () => {
    if (stopped) return
    stopped = true
    // nginx first, so no request reaches a replica that is going away; SIGTERM is nginx's fast shutdown.
    if (nginx !== undefined) await killAndWait(nginx, 'SIGTERM')
    await Promise.all(members.map((member) => member.child && killAndWait(member.child, 'SIGTERM')))
    await backing?.stop()
    process.off('exit', killOnExit)
    await rm(dir, { recursive: true, force: true })
  }
  const launchReplica = async (member) => {
    const child = spawnLogged(process.execPath, [MAIN_JS], { env: member.env, cwd: REPO_ROOT, logFile: member.logFile })
    children.add(child)
    child.exited.then(() => children.delete(child), () => {})
    member.child = child
    await waitReady(child, `${member.url}/health/ready`, member.logFile)
  }
  try {
    if (postgresUrl === undefined || objectStoreUrl === undefined) {
      backing = await startBackingServices()
      postgresUrl ??= backing.postgresUrl
      objectStoreUrl ??= backing.objectStoreUrl
    }
    const ports = basePort === undefined
      ? await Promise.all(Array.from({ length: replicas + 1 }, () => freePort()))
      : Array.from({ length: replicas + 1 }, (_, i) => basePort + i)
    const inherited = Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'LANG'].flatMap((name) => process.env[name] === undefined ? [] : [[name, process.env[name]]]))
    for (let index = 0; index < replicas; index++) {
      const port = ports[index + 1]
      const dataDir = join(dir, `replica-${index}`)
      await mkdir(dataDir)
      members.push({
        index, port, dataDir, url: `http://127.0.0.1:${port}`, logFile: join(dir, `replica-${index}.log`),
        env: {
          ...inherited, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: logLevel,
          LOG_URL: postgresUrl, OBJECT_STORE_URL: objectStoreUrl, REPLICA_SWEEP_INTERVAL_MS: DEFAULT_SWEEP_MS, ...env,
        },
      })
    }
    await Promise.all(members.map(launchReplica))
    for (const sub of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(join(dir, sub))
    const conf = join(dir, 'nginx.conf')
    await writeFile(conf, nginxConfig({ dir, port: ports[0], upstreams: members.map((m) => m.url) }))
    const url = `http://127.0.0.1:${ports[0]}`
    nginx = spawnLogged(nginxBinary, ['-p', dir, '-c', conf, '-e', join(dir, 'nginx-error.log')], { env: { PATH: process.env.PATH }, cwd: dir, logFile: join(dir, 'nginx.log') })
    children.add(nginx)
    await waitReady(nginx, `${url}/health/live`, join(dir, 'nginx-error.log'), 15_000)
    const memberAt = (index) => {
      const member = members[index]
      if (member === undefined) throw new Error(`no replica ${index} (0…${members.length - 1})`)
      return member
    }
    return {
      url, postgresUrl, objectStoreUrl, dir,
      nginxPid: nginx.pid,
      get replicas() {
        return members.map(({ index, url: replicaUrl, child, dataDir, logFile }) => ({ index, url: replicaUrl, pid: child.pid, dataDir, logFile }))
      },
      async kill(index) {
        await killAndWait(memberAt(index).child, 'SIGKILL')
      },
      async restart(index) {
        const member = memberAt(index)
        await killAndWait(member.child, 'SIGKILL')
        await launchReplica(member)
      },
      logOf: (index) => tailOf(memberAt(index).logFile, 64 * 1024),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Whether dist/main.js is older than any file under src/ (or missing). */
function distIsStale() {
  if (!existsSync(MAIN_JS)) return true
  const built = statSync(MAIN_JS).mtimeMs
  const newest = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((max, entry) => {
    const path = join(dir, entry.name)
    return Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs)
  }, 0)
  return newest(join(REPO_ROOT, 'src')) > built
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const option = (name) => {
    const at = process.argv.indexOf(`--${name}`)
    return at === -1 ? undefined : process.argv[at + 1]
  }
  const replicas = Number(option('replicas') ?? 3)
  const basePort = option('base-port') === undefined ? undefined : Number(option('base-port'))
  const postgresUrl = option('log-url')
  const objectStoreUrl = option('object-store-url')
  if (!Number.isInteger(replicas) || replicas < 1) {
    console.error('cluster.mjs: --replicas takes a whole number ≥ 1')
    process.exit(1)
  }
  const unavailable = clusterUnavailable({ needPostgres: postgresUrl === undefined, needRgw: objectStoreUrl === undefined })
  if (unavailable !== undefined) {
    console.error(`cluster.mjs: cannot start: ${unavailable}`)
    process.exit(2)
  }
  if (distIsStale()) {
    console.error('cluster.mjs: dist/ is older than src/, running `npm run build` first')
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'inherit' })
  }
  const started = Date.now()
  const cluster = await startCluster({ replicas, basePort, postgresUrl, objectStoreUrl })
  console.log(`balancer            ${cluster.url}`)
  for (const replica of cluster.replicas) console.log(`replica ${replica.index}           ${replica.url}  pid ${replica.pid}  DATA_DIR=${replica.dataDir}`)
  console.log(`LOG_URL             ${cluster.postgresUrl}`)
  console.log(`OBJECT_STORE_URL    ${cluster.objectStoreUrl}`)
  console.log(`nginx pid ${cluster.nginxPid}; logs and config in ${cluster.dir}; up in ${((Date.now() - started) / 1000).toFixed(1)} s. Ctrl-C stops everything.`)
  const shutdown = () => {
    void cluster.stop().then(() => process.exit(0), (error) => {
      console.error(error)
      process.exit(1)
    })
  }
  process.once('SIGINT', shutdown)
  process.once('SIGTERM', shutdown)
}
