// A backup of a ledger whose deleted versions garbage collection has already reclaimed: it needs only the
// live versions' objects, so it succeeds, and the restored ledger still answers 410 for what was removed.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../client/cli-process.js'
import { killAllServers, startServer } from '../support/server-process.js'
import { makeDataDir } from '../support/start-ledger.js'

afterAll(killAllServers)

const QUIET = { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0', GC_INTERVAL_MS: '0', GC_GRACE_SECONDS: '1' }

describe('backup after deletions and garbage collection', () => {
  it('links only live objects and restores a ledger that still answers 410 for the deleted artifact', async () => {
    const dataDir = await makeDataDir()
    const server = await startServer({ dataDir, env: QUIET })
    await server.waitReady()
    const commit = async (name: string, text: string): Promise<string> => {
      const res = await fetch(`${server.baseUrl}/v1/sessions/s1/commits`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: [{ name, text }] }),
      })
      expect(res.status).toBe(201)
      return ((await res.json()) as { artifacts: { sha256: string }[] }).artifacts[0]?.sha256 ?? ''
    }
    const gone = await commit('gone.txt', 'deleted before the backup\n')
    const kept = await commit('kept.txt', 'kept\n')
    expect((await fetch(`${server.baseUrl}/v1/sessions/s1/artifacts/gone.txt`, { method: 'DELETE' })).status).toBe(200)
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const gc = (await (await fetch(`${server.baseUrl}/v1/gc`, { method: 'POST' })).json()) as { reclaimedObjects: number }
    expect(gc.reclaimedObjects).toBe(1)

    const backupDir = join(await makeDataDir(), 'backup')
    const run = await runCli(['backup', backupDir], { url: 'http://127.0.0.1:9', env: { DATA_DIR: dataDir } })
    expect(run.code, run.stderr).toBe(0)
    await server.stop()
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as { objects: { sha256: string }[] }
    expect(manifest.objects.map((o) => o.sha256)).toEqual([kept])
    expect(manifest.objects.map((o) => o.sha256)).not.toContain(gone)

    const restored = await startServer({ dataDir: backupDir, env: QUIET })
    await restored.waitReady()
    expect(await (await fetch(`${restored.baseUrl}/v1/sessions/s1/artifacts/kept.txt`)).text()).toBe('kept\n')
    const deleted = await fetch(`${restored.baseUrl}/v1/sessions/s1/artifacts/gone.txt`)
    expect(deleted.status).toBe(410)
    expect(((await deleted.json()) as { code: string }).code).toBe('artifact_deleted')
    const verify = (await (await fetch(`${restored.baseUrl}/v1/verify`, { method: 'POST' })).json()) as Record<string, unknown>
    expect(verify).toMatchObject({ ok: true, missing: [], orphaned: [], removed: { deletedVersions: 1, expiredVersions: 0 } })
    await restored.stop()
  })
})
