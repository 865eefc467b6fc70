// What the run ran on (CPU, RAM, kernel, filesystem, versions), and the disk counters behind the temp dir.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import os from 'node:os'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'

const run = promisify(execFile)

/** The mount under `dir`: filesystem type, source device and options, from /proc/self/mountinfo. */
function mountOf(dir) {
  const text = existsSync('/proc/self/mountinfo') ? readFileSync('/proc/self/mountinfo', 'utf8') : ''
  let best
  for (const line of text.split('\n').filter(Boolean)) {
    const [left, right] = line.split(' - ')
    const fields = left.split(' ')
    const mountPoint = fields[4].replace(/\\040/g, ' ')
    const inside = dir === mountPoint || dir.startsWith(mountPoint.endsWith('/') ? mountPoint : `${mountPoint}/`)
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) {
      const [fsType, source, superOptions] = right.split(' ')
      best = { mountPoint, fsType, source, options: [...new Set(`${fields[5]},${superOptions}`.split(','))].join(',') }
    }
  }
  return best
}

/** The whole-disk name in /proc/diskstats behind `dir` (vda for vda1), or undefined (tmpfs, overlay). */
export function diskOf(dir) {
  const dev = statSync(dir).dev
  const major = Number((BigInt(dev) >> 8n) & 0xfffn)
  const minor = Number((BigInt(dev) & 0xffn) | ((BigInt(dev) >> 12n) & 0xfff00n))
  const sys = `/sys/dev/block/${major}:${minor}`
  if (major === 0 || !existsSync(sys)) return undefined
  const real = realpathSync(sys)
  return existsSync(join(real, 'partition')) ? basename(dirname(real)) : basename(real)
}

/** Completed writes, sectors written and cache flushes of one disk so far. */
export async function diskCounters(disk) {
  if (disk === undefined) return undefined
  const text = await readFile('/proc/diskstats', 'utf8')
  const line = text.split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[2] === disk)
  if (line === undefined) return undefined
  return { writes: Number(line[7]), sectorsWritten: Number(line[9]), flushes: line.length > 18 ? Number(line[18]) : Number.NaN }
}

async function versionOf(command, args, pattern) {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 5000 })
    return `${stdout}${stderr}`.match(pattern)?.[1]
  } catch {
    return undefined
  }
}

export async function describeMachine({ tempDir, nginxVersion }) {
  const cpus = os.cpus()
  const mount = mountOf(realpathSync(tempDir))
  const disk = diskOf(tempDir)
  const writeCache = disk !== undefined && existsSync(`/sys/block/${disk}/queue/write_cache`)
    ? readFileSync(`/sys/block/${disk}/queue/write_cache`, 'utf8').trim()
    : undefined
  const memory = new Database(':memory:')
  const sqlite = memory.prepare('SELECT sqlite_version() AS v').get().v
  memory.close()
  const autocannon = JSON.parse(readFileSync(new URL('../node_modules/autocannon/package.json', import.meta.url), 'utf8')).version
  return {
    date: new Date().toISOString(),
    cpu: `${cpus[0]?.model?.trim() ?? 'unknown'}`,
    cores: String(cpus.length),
    ram: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    filesystem: mount === undefined
      ? 'unknown'
      : `${mount.fsType} on ${mount.source}, mounted at ${mount.mountPoint} (${mount.options})`,
    disk: disk === undefined ? 'n/a' : `${disk}${writeCache === undefined ? '' : `, write cache: ${writeCache}`}`,
    tempDir,
    node: process.version,
    sqlite,
    autocannon,
    nginx: nginxVersion ?? 'not installed',
    distro: await versionOf('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], /(.+)/),
  }
}
