// An object the snapshot refers to that is gone or damaged in the source: the backup fails loudly and
// names it, leaving no manifest; --allow-missing finishes without it and lists it in the manifest.
import { existsSync } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../client/cli-process.js'
import { killAllServers, startServer } from '../support/server-process.js'
import { makeDataDir } from '../support/start-ledger.js'
import { objectFile } from '../support/layout.js'

afterAll(killAllServers)


async function ledgerWithThreeObjects(): Promise<{ dataDir: string; digests: string[] }> {
  const dataDir = await makeDataDir()
  // Objects as files, which the tests delete or damage (inline ones: test/http/inline-objects.test.ts).
  const server = await startServer({ dataDir, env: { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0', INLINE_OBJECT_MAX_BYTES: '0' } })
  await server.waitReady()
  const res = await fetch(`${server.baseUrl}/v1/sessions/s1/commits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifacts: [{ name: 'a.txt', text: 'alpha\n' }, { name: 'b.txt', text: 'beta\n' }, { name: 'c.txt', text: 'gamma\n' }] }),
  })
  expect(res.status).toBe(201)
  const commit = await res.json() as { artifacts: { sha256: string }[] }
  await server.stop()
  return { dataDir, digests: commit.artifacts.map((a) => a.sha256) }
}

describe('backup of a data dir with a missing or corrupt object', () => {
  it('exits 1 naming the missing object, and writes no manifest', async () => {
    const { dataDir, digests } = await ledgerWithThreeObjects()
    const [gone = ''] = digests
    await rm(objectFile(dataDir, gone))
    const backupDir = join(await makeDataDir(), 'backup')

    const run = await runCli(['backup', backupDir], { url: 'http://127.0.0.1:9', env: { DATA_DIR: dataDir } })

    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`missing: objects/sha256/${gone.slice(0, 2)}/${gone.slice(2)}`)
    expect(run.stderr).toContain('--allow-missing')
    expect(existsSync(join(backupDir, 'manifest.json'))).toBe(false)
  })

  it('exits 1 naming an object that no longer hashes to its name', async () => {
    const { dataDir, digests } = await ledgerWithThreeObjects()
    const [, damaged = ''] = digests
    await writeFile(objectFile(dataDir, damaged), 'not beta\n')
    const backupDir = join(await makeDataDir(), 'backup')

    const run = await runCli(['backup', '--data-dir', dataDir, backupDir], { url: 'http://127.0.0.1:9' })

    expect(run.code).toBe(1)
    expect(run.stderr).toContain(`corrupt: objects/sha256/${damaged.slice(0, 2)}/${damaged.slice(2)}`)
    expect(existsSync(join(backupDir, 'manifest.json'))).toBe(false)
  })

  it('with --allow-missing, finishes without the object and lists it in the manifest', async () => {
    const { dataDir, digests } = await ledgerWithThreeObjects()
    const [gone = '', ...kept] = digests
    await rm(objectFile(dataDir, gone))
    const backupDir = join(await makeDataDir(), 'backup')

    const run = await runCli(['backup', '--allow-missing', '--data-dir', dataDir, backupDir], { url: 'http://127.0.0.1:9' })

    expect(run.code, run.stderr).toBe(0)
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as { objects: { sha256: string }[]; leftOut: unknown[] }
    expect(manifest.leftOut).toEqual([{ sha256: gone, problem: 'missing' }])
    expect(manifest.objects.map((o) => o.sha256).sort()).toEqual([...kept].sort())
    expect(existsSync(objectFile(backupDir, gone))).toBe(false)
  })
})
