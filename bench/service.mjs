// The built service under test: started on a data dir and a free port, timed until /health/ready, stopped by pid.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { freePort, launch, stop, waitUntilOk } from './processes.mjs'

export const REPO = fileURLToPath(new URL('..', import.meta.url))
const MAIN = join(REPO, 'dist', 'main.js')

/**
 * Starts `node dist/main.js` on `dataDir` and waits for /health/ready: start-up is the time from
 * spawn to the first 200, recovery included (the service listens first and is ready after it).
 */
export async function startService({ dataDir, logDir, name = 'service', readyTimeoutMs = 60_000, extraEnv = {} }) {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm run bench does)`)
  const port = await freePort()
  const env = {
    PATH: process.env.PATH,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    CANARY_INTERVAL_MS: '0',
    SCRUB_INTERVAL_MS: '0',
    DISK_HARD_RESERVE_BYTES: '0',
    DISK_SOFT_RESERVE_BYTES: '0',
    MAX_ARTIFACT_BYTES: String(1024 ** 3),
    // Passed through so a run can compare pool sizes; unset, the service picks its own.
    ...(process.env.UV_THREADPOOL_SIZE === undefined ? {} : { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE }),
    ...extraEnv,
  }
  const since = performance.now()
  const proc = launch(process.execPath, [MAIN], { env, cwd: REPO, logPath: join(logDir, `${name}.log`) })
  try {
    const startupMs = await waitUntilOk(proc, port, '/health/ready', { since, timeoutMs: readyTimeoutMs, what: `the service (${name})` })
    return { ...proc, port, url: `http://127.0.0.1:${port}`, startupMs, dataDir }
  } catch (error) {
    await stop(proc, { graceMs: 2000 })
    throw error
  }
}

export async function stopService(service) {
  const outcome = await stop(service)
  if (outcome.code !== 0 && outcome.signal !== 'SIGTERM') {
    process.stderr.write(`note: the service stopped with code ${outcome.code} signal ${outcome.signal} (log ${service.logPath})\n`)
  }
}
