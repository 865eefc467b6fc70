// The server is SIGKILLed in the middle of a push and a new one starts on the same data dir: the CLI's
// retry (same Idempotency-Key) lands on the new server and the artifact is committed exactly once.
// The push goes through a TCP proxy, which picks the moment of the kill and holds the retry until the
// new server is ready.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CommitPage, VersionHistory } from '../../src/client/index.js'
import { makeDataDir } from '../support/start-ledger.js'
import { killAllServers, startServer, type ServerProcess } from '../support/server-process.js'
import { TcpProxy } from '../support/tcp-proxy.js'
import { runCli } from './cli-process.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const MiB = 1024 * 1024
/** No canary or scrub: the log must hold only what the push wrote. */
const QUIET_ENV = { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0' }

let dataDir: string
let work: string
let proxy: TcpProxy
let server: ServerProcess
beforeEach(async () => {
  dataDir = await makeDataDir()
  work = await mkdtemp(join(tmpdir(), 'artifact-ledger-cli-'))
  server = await startServer({ dataDir, env: QUIET_ENV })
  await server.waitReady()
  proxy = await TcpProxy.start(server.port)
})
afterEach(async () => {
  await proxy.close()
  await killAllServers()
  await rm(dataDir, { recursive: true, force: true })
  await rm(work, { recursive: true, force: true })
})

/**
 * The cue for the crash: hold new connections at the proxy, SIGKILL the server, start a new one on the
 * same data dir and let the held connections through to it. `restarted` settles once that is done.
 */
function crashOnCue(): { cue: () => void; restarted: () => Promise<ServerProcess> } {
  let restarting: Promise<ServerProcess> | undefined
  return {
    cue: () => {
      proxy.setTarget(undefined)
      restarting = (async () => {
        await server.kill('SIGKILL')
        const next = await startServer({ dataDir, env: QUIET_ENV })
        await next.waitReady()
        proxy.setTarget(next.port)
        return next
      })()
      // Awaited by the test below; this only keeps a failed restart from being an unhandled rejection first.
      restarting.catch(() => proxy.setTarget(undefined))
    },
    restarted: () => {
      if (restarting === undefined) throw new Error('the crash was never cued: the push finished without it')
      return restarting
    },
  }
}

async function getJson<T>(baseUrl: string, path: string): Promise<T> {
  const res = await fetch(`${baseUrl}${path}`)
  expect(res.status).toBe(200)
  return (await res.json()) as T
}

describe('a push across a server crash', () => {
  it('commits a large streamed file exactly once when the server is killed mid-upload', async () => {
    const bytes = randomBytes(48 * MiB)
    await writeFile(join(work, 'model.bin'), bytes)
    const crash = crashOnCue()
    proxy.afterClientBytes(12 * MiB, crash.cue)

    const run = await runCli(['push', 's1', 'model.bin'], { url: proxy.url, cwd: work, timeoutMs: 90_000 })
    const next = await crash.restarted()

    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/attempt 1\/8 failed/) })
    // The first upload was cut short, then the whole file went again: more than one file's worth passed.
    expect(proxy.clientBytes).toBeGreaterThan(48 * MiB + 12 * MiB)
    const log = (await getJson<CommitPage>(next.baseUrl, '/v1/commits?session=s1')).commits
    const committed = log.filter((c) => c.state === 'committed')
    expect(committed).toHaveLength(1)
    expect(committed[0]?.artifacts).toMatchObject([{ name: 'model.bin', version: 1, sha256: sha256(bytes), size: bytes.byteLength }])
    // The interrupted attempt, if it got as far as the log, was aborted by recovery: nothing else is there.
    expect(log.filter((c) => c.state !== 'committed' && c.state !== 'aborted')).toEqual([])
    expect(run.stdout.toString()).toContain(`commit ${committed[0]?.id} `)
    const history = await getJson<VersionHistory>(next.baseUrl, '/v1/sessions/s1/artifacts/model.bin?versions')
    expect(history.versions).toHaveLength(1)
    const got = await fetch(`${next.baseUrl}/v1/sessions/s1/artifacts/model.bin`)
    expect(sha256(Buffer.from(await got.arrayBuffer()))).toBe(sha256(bytes))
  })

  it('commits a small inline push exactly once when the server is killed after committing, before its answer arrived', async () => {
    const metrics = Buffer.from('{"score": 0.93}\n')
    await writeFile(join(work, 'quality_metrics.json'), metrics)
    const crash = crashOnCue()
    proxy.plan({ kind: 'swallow', onSwallow: crash.cue })

    const run = await runCli(['push', 's1', 'quality_metrics.json'], { url: proxy.url, cwd: work, timeoutMs: 90_000 })
    const next = await crash.restarted()

    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0, stderr: expect.stringMatching(/attempt 1\/8 failed \(ECONNRESET\)/) })
    const log = (await getJson<CommitPage>(next.baseUrl, '/v1/commits?session=s1')).commits
    expect(log.map((c) => c.state)).toEqual(['committed'])
    expect(log[0]?.artifacts).toMatchObject([{ name: 'quality_metrics.json', version: 1, sha256: sha256(metrics) }])
    expect(run.stdout.toString()).toContain(`commit ${log[0]?.id} `)
    const history = await getJson<VersionHistory>(next.baseUrl, '/v1/sessions/s1/artifacts/quality_metrics.json?versions')
    expect(history.versions).toHaveLength(1)
    expect(await readFile(join(dataDir, 'sessions/s1/quality_metrics.json'))).toEqual(metrics)
  })
})
