// On another filesystem than the data dir (here tmpfs at /dev/shm), objects cannot be hard-linked:
// the backup copies each one through the verified writer, and the copies are independent files.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runCli } from '../client/cli-process.js'
import { killAllServers, startServer } from '../support/server-process.js'
import { makeDataDir } from '../support/start-ledger.js'
import { objectFile } from '../support/layout.js'

const OTHER_FILESYSTEM = '/dev/shm'
const made: string[] = []

afterAll(async () => {
  await killAllServers()
  for (const dir of made) await rm(dir, { recursive: true, force: true })
})

describe('backup to another filesystem', () => {
  it('copies and verifies every object instead of linking it', async () => {
    // The point of the test: without a second filesystem it would test linking again.
    expect((await stat(OTHER_FILESYSTEM)).dev).not.toBe((await stat(tmpdir())).dev)
    const dataDir = await makeDataDir()
    // Every object a file (no inline ones): copying files is what this test is about.
    const server = await startServer({ dataDir, env: { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0', INLINE_OBJECT_MAX_BYTES: '0' } })
    await server.waitReady()
    const res = await fetch(`${server.baseUrl}/v1/sessions/s1/commits`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ artifacts: [{ name: 'a.txt', text: 'alpha\n' }, { name: 'deep/b.json', json: { b: 1 } }] }),
    })
    expect(res.status).toBe(201)
    const parent = await mkdtemp(join(OTHER_FILESYSTEM, 'artifact-ledger-backup-'))
    made.push(parent)
    const backupDir = join(parent, 'backup')

    const run = await runCli(['backup', '--json', '--data-dir', dataDir, backupDir], { url: server.baseUrl })
    await server.stop()

    expect(run.code, run.stderr).toBe(0)
    expect(JSON.parse(run.stdout.toString('utf8'))).toMatchObject({ objects: 2, objectsLinked: 0, objectsCopied: 2, plainFiles: 2 })
    const manifest = JSON.parse(await readFile(join(backupDir, 'manifest.json'), 'utf8')) as { objects: { sha256: string }[] }
    for (const { sha256 } of manifest.objects) {
      const copy = await stat(objectFile(backupDir, sha256))
      expect(copy.nlink).toBe(1)
    }
    expect(await readFile(join(backupDir, 'sessions', 's1', 'deep', 'b.json'), 'utf8')).toBe('{"b":1}')
    const verified = await runCli(['backup', '--verify', backupDir], { url: server.baseUrl })
    expect(verified.code, verified.stderr).toBe(0)
  })
})
