#!/usr/bin/env node
// A throwaway S3 server on loopback: Ceph's RADOS Gateway from Debian's packages (radosgw, ceph-mon,
// ceph-osd), one monitor and one memstore OSD with auth off, everything in a temp dir. A real S3
// implementation (conditional writes, Content-MD5, multipart) for the S3 adapter's tests and the cluster
// script; s3rver enforces neither conditional writes nor digests.
//
//   node scripts/rgw.mjs            # prints the endpoint and keys as JSON, stops on Ctrl-C
//
// Importable: `const rgw = await startRgw(); … await rgw.stop()`. Each daemon is stopped by its pid.
import { execFile, spawn, spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { freePort } from './process-helpers.mjs'

const run = promisify(execFile)
const BINARIES = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool', 'ceph']

/** Why RGW cannot run here, or undefined when every binary it needs is on PATH. */
export function rgwUnavailable() {
  const missing = BINARIES.filter((name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status !== 0)
  return missing.length === 0 ? undefined : `not installed: ${missing.join(', ')} (Debian: apt-get install radosgw ceph-mon ceph-osd)`
}

/** Installs the Debian packages when RGW is missing and this process may (root); says whether it did. */
export function installRgw() {
  if (rgwUnavailable() === undefined) return true
  if (process.getuid?.() !== 0) return false
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  if (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status !== 0) return false
  return spawnSync('apt-get', ['install', '-y', '-qq', 'radosgw', 'ceph-mon', 'ceph-osd'], { stdio: 'inherit', env }).status === 0
}


function configOf(dir, fsid, monPort, rgwPort) {
  return `[global]
fsid = ${fsid}
mon_host = [v2:127.0.0.1:${monPort}]
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
auth_allow_insecure_global_id_reclaim = true
; Daemons (radosgw is one) default to a secure-only connection to the monitor, which auth none cannot
; offer: radosgw then retries for ever with "get_initial_auth_request returned -13".
ms_mon_client_mode = crc
ms_bind_msgr1 = false
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
run_dir = ${dir}/run
admin_socket = ${dir}/run/$name.asok
log_file = ${dir}/log/$name.log
keyring = ${dir}/keyring
; One OSD holds everything: pools of size one, few placement groups, no host-level spreading.
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
mon_data_avail_warn = 1
mon_data_avail_crit = 0

[mon.a]
mon_data = ${dir}/mon

[osd.0]
osd_data = ${dir}/osd
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_max_object_name_len = 460
osd_max_object_namespace_len = 64

[client.rgw]
; tcp_nodelay: without it beast's response body waits on a kept-alive connection for the client's delayed
; ACK, 40 ms a GET (measured: a 1 KiB GET 44 ms with keep-alive, 3 ms on a new connection); production
; gateways set it too.
rgw_frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
rgw_data = ${dir}/rgw
rgw_dns_name = 127.0.0.1
`
}

/** Retries a bring-up step: an early `ceph` call can be refused (a zero fsid) before the monitor settles. */
async function retried(what, step, deadline) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step()
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`RGW bring-up: ${what} kept failing: ${error.stderr?.trim() || error.message}`)
      await sleep(Math.min(200 * attempt, 1000))
    }
  }
}

/**
 * Brings up a monitor, a memstore OSD and radosgw on random loopback ports, a user with fresh keys and a
 * bucket. `stop()` kills each daemon by its pid and removes the temp dir.
 */
export async function startRgw({ timeoutMs = 120_000 } = {}) {
  const unavailable = rgwUnavailable()
  if (unavailable !== undefined) throw new Error(`RGW unavailable: ${unavailable}`)
  const deadline = Date.now() + timeoutMs
  const dir = await mkdtemp(join(tmpdir(), 'ledger-rgw-'))
  const daemons = []
  // A test process that exits without stop() must not leave daemons behind.
  const killOnExit = () => {
    for (const child of daemons) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
  process.on('exit', killOnExit)
  const stop = async () => {
    for (const child of daemons.reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue
      const exited = new Promise((resolve) => child.once('exit', resolve))
      process.kill(child.pid, 'SIGKILL')
      await exited
    }
    process.off('exit', killOnExit)
    await rm(dir, { recursive: true, force: true })
  }
  try {
    const [monPort, rgwPort] = [await freePort(), await freePort()]
    const fsid = randomUUID()
    for (const sub of ['run', 'log', 'mon', 'osd', 'rgw']) await mkdir(join(dir, sub))
    const conf = join(dir, 'ceph.conf')
    await writeFile(conf, configOf(dir, fsid, monPort, rgwPort))
    const c = ['-c', conf]
    const ceph = (...args) => run('ceph', [...c, '--connect-timeout', '10', ...args], { timeout: 20_000 })
    const daemon = (command, args) => {
      const child = spawn(command, [...c, '-f', ...args], { stdio: 'ignore' })
      daemons.push(child)
      return child
    }
    await run('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${monPort}]`, join(dir, 'monmap')])
    await run('ceph-mon', [...c, '--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap')])
    daemon('ceph-mon', ['-i', 'a'])
    await retried('ceph status', () => ceph('status'), deadline)
    const osdUuid = randomUUID()
    const { stdout: osdId } = await retried('ceph osd new', () => ceph('osd', 'new', osdUuid), deadline)
    if (osdId.trim() !== '0') throw new Error(`RGW bring-up: expected osd 0, got ${osdId.trim()}`)
    await run('ceph-osd', [...c, '-i', '0', '--mkfs', '--osd-uuid', osdUuid], { timeout: 60_000 })
    daemon('ceph-osd', ['-i', '0'])
    await retried('osd.0 up', async () => {
      const { stdout } = await ceph('osd', 'stat', '--format', 'json')
      if (JSON.parse(stdout).num_up_osds !== 1) throw new Error('osd.0 is not up yet')
    }, deadline)
    daemon('radosgw', ['-n', 'client.rgw'])
    const endpoint = `http://127.0.0.1:${rgwPort}`
    await retried('radosgw answering', async () => {
      const response = await fetch(endpoint)
      if (!response.ok) throw new Error(`radosgw answered ${response.status}`)
    }, deadline)
    const accessKeyId = randomBytes(10).toString('hex').toUpperCase()
    const secretAccessKey = randomBytes(20).toString('hex')
    await retried('radosgw-admin user create', () => run('radosgw-admin', [...c, '-n', 'client.rgw', 'user', 'create', '--uid', 'ledger',
      '--display-name', 'ledger', '--access-key', accessKeyId, '--secret-key', secretAccessKey], { timeout: 30_000 }), deadline)
    const bucket = 'ledger'
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } })
    await retried('create bucket', () => client.send(new CreateBucketCommand({ Bucket: bucket })), deadline)
    client.destroy()
    return { endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, bucket, dir, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!installRgw()) {
    console.error(`RGW unavailable: ${rgwUnavailable()}`)
    process.exit(1)
  }
  const started = Date.now()
  const rgw = await startRgw()
  const { stop, dir: _dir, ...facts } = rgw
  console.log(JSON.stringify({ ...facts, url: `s3://${facts.bucket}?endpoint=${encodeURIComponent(facts.endpoint)}&region=${facts.region}`, seconds: (Date.now() - started) / 1000 }))
  const shutDown = () => void stop().then(() => process.exit(0))
  process.once('SIGINT', shutDown)
  process.once('SIGTERM', shutDown)
}
