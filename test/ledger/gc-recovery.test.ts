// A garbage collection the process did not finish: objects the log had taken but the disk still holds
// are deleted by start-up recovery, unless something live came to need them; nothing live is lost.
import { access } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { openStorage } from '../../src/storage/open-storage.js'
import { sha256 } from '../support/factories.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'
import { objectFile } from '../support/layout.js'

let t: TestLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false)

describe('a garbage collection cut short', () => {
  it('has the objects it had taken deleted at start-up, and keeps the live ones', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 0 } })
    const { dataDir } = t
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'gone' }, { name: 'b.txt', text: 'kept' }] } })
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' })).statusCode).toBe(200)
    await t.close()
    // The log's half of a sweep, then a crash before the file went.
    const storage = openStorage(dataDir)
    const future = new Date(Date.now() + 60_000).toISOString()
    const { objects } = await storage.bookkeeping.collectableObjects(future, null, 100)
    expect(await storage.bookkeeping.takeCollectable(objects, future)).toEqual([{ sha256: sha256('gone'), size: 4 }])
    await storage.log.close()
    expect(await exists(objectFile(dataDir, sha256('gone')))).toBe(true)

    t = await startLedger({ dataDir })
    expect(await exists(objectFile(dataDir, sha256('gone')))).toBe(false)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/b.txt')).body).toBe('kept')
    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(verify).toMatchObject({ ok: true, missing: [], orphaned: [], removed: { deletedVersions: 1, expiredVersions: 0 } })
    expect((await t.app.inject('/v1/status')).json().gc).toMatchObject({ reclaimedObjects: 1, reclaimedBytes: 4 })
  })

  it('keeps a taken object that a commit came to need again before start-up', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 0 } })
    const { dataDir } = t
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'again' }] } })
    await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' })
    await t.close()
    const storage = openStorage(dataDir)
    const future = new Date(Date.now() + 60_000).toISOString()
    const { objects } = await storage.bookkeeping.collectableObjects(future, null, 100)
    await storage.bookkeeping.takeCollectable(objects, future)
    await storage.log.close()

    t = await startLedger({ dataDir, settings: { gcGraceSeconds: 0 } })
    expect((await t.app.inject({ method: 'POST', url: '/v1/sessions/s2/commits', payload: { artifacts: [{ name: 'b.txt', text: 'again' }] } })).statusCode).toBe(201)
    await t.close()
    t = await startLedger({ dataDir })
    expect((await t.app.inject('/v1/sessions/s2/artifacts/b.txt')).body).toBe('again')
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()).toMatchObject({ ok: true })
  })
})
