// A data dir a service has started on but nobody has written to backs up, restores and verifies clean;
// a directory that is not a data dir is refused.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../client/cli-process.js'
import { killAllServers, startServer } from '../support/server-process.js'
import { makeDataDir } from '../support/start-ledger.js'

afterAll(killAllServers)

const QUIET = { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0' }

describe('backup of a new data dir', () => {
  it('takes an empty backup that a service starts on, with a clean verify', async () => {
    const dataDir = await makeDataDir()
    const server = await startServer({ dataDir, env: QUIET })
    await server.waitReady()
    const backupDir = join(await makeDataDir(), 'backup')

    // Taken while the service runs: it holds ledger.pid, and the backup neither needs nor takes it.
    const run = await runCli(['backup', '--json', '--data-dir', dataDir, backupDir], { url: server.baseUrl })
    await server.stop()

    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout.toString('utf8'))).toMatchObject({ database: { maxSeq: 0 }, objects: 0, plainFiles: 0, leftOut: [] })
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as { objects: unknown[] }
    expect(manifest.objects).toEqual([])
    expect(existsSync(join(backupDir, 'ledger.pid'))).toBe(false)

    const verifyBackup = await runCli(['backup', '--verify', backupDir], { url: server.baseUrl })
    expect(verifyBackup.code, verifyBackup.stderr).toBe(0)

    const restored = await startServer({ dataDir: backupDir, env: QUIET })
    await restored.waitReady()
    const verify = await (await fetch(`${restored.baseUrl}/v1/verify`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    })).json() as { ok: boolean; checked: { objects: number } }
    expect(verify).toMatchObject({ ok: true, checked: { objects: 0 } })
    await restored.stop()
  })

  it('refuses a directory without ledger.db, and a backup dir that is not empty', async () => {
    const notData = await makeDataDir()
    const backupDir = join(await makeDataDir(), 'backup')
    const refused = await runCli(['backup', '--data-dir', notData, backupDir], { url: 'http://127.0.0.1:9' })
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('has no ledger.db: not an artifact-ledger data dir')
    // With the log on PostgreSQL there is no ledger.db to copy: refused, saying what to do instead.
    const onPostgres = await runCli(['backup', '--data-dir', notData, backupDir], { url: 'http://127.0.0.1:9', env: { LOG_URL: 'postgres://x@127.0.0.1/db' } })
    expect(onPostgres.code).toBe(1)
    expect(onPostgres.stderr).toContain('with LOG_URL the log is in PostgreSQL')

    const dataDir = await makeDataDir()
    const server = await startServer({ dataDir, env: QUIET })
    await server.waitReady()
    await server.stop()
    const occupied = await makeDataDir()
    const first = await runCli(['backup', '--data-dir', dataDir, join(occupied, 'first')], { url: 'http://127.0.0.1:9' })
    expect(first.code, first.stderr).toBe(0)
    const again = await runCli(['backup', '--data-dir', dataDir, join(occupied, 'first')], { url: 'http://127.0.0.1:9' })
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('is not empty')
  })
})
