// A backup whose object phase runs past GC_GRACE_SECONDS after its snapshot may have lost objects to GC:
// it stops, says so, and leaves no manifest. Time is the backup's clock, made to pass here.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BackupFailed } from '../../src/storage/backup/backup-failed.js'
import { takeBackup } from '../../src/storage/backup/take-backup.js'
import { makeDataDir, startLedger } from '../support/start-ledger.js'

describe('backup and the GC grace period', () => {
  it('fails when its objects are not all in place within the grace period after the snapshot', async () => {
    const t = await startLedger()
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/s1/commits',
      payload: { artifacts: [{ name: 'a.txt', text: 'alpha\n' }, { name: 'b.txt', text: 'beta\n' }] },
    })
    expect(res.statusCode).toBe(201)
    const backupDir = join(await makeDataDir(), 'backup')
    // Each reading of the clock is a minute later: by the time the first object is in place, a 90 s grace is over.
    let now = Date.parse('2030-01-01T00:00:00Z')
    const options = {
      dataDir: t.dataDir, target: backupDir, allowMissing: false, gcGraceSeconds: 90, serviceVersion: 'test', progress: () => undefined,
      clock: () => (now += 60_000),
    }

    const failure = await takeBackup(options).catch((error: unknown) => error)

    expect(failure).toBeInstanceOf(BackupFailed)
    expect((failure as Error).message).toMatch(/past GC_GRACE_SECONDS=90/)
    expect(existsSync(join(backupDir, 'manifest.json'))).toBe(false)
    await t.cleanup()
  })

  it('finishes when the same backup stays within the grace period', async () => {
    const t = await startLedger()
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'alpha\n' }, { name: 'b.txt', text: 'beta\n' }] } })
    const backupDir = join(await makeDataDir(), 'backup')
    let now = Date.parse('2030-01-01T00:00:00Z')
    const manifest = await takeBackup({
      dataDir: t.dataDir, target: backupDir, allowMissing: false, gcGraceSeconds: 3600, serviceVersion: 'test', progress: () => undefined,
      clock: () => (now += 60_000),
    })
    expect(manifest.objects).toHaveLength(2)
    expect(existsSync(join(backupDir, 'manifest.json'))).toBe(true)
    await t.cleanup()
  })
})
