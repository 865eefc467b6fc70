import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openStorage } from '../../src/storage/open-storage.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false)

describe('a removal the process did not finish', () => {
  it('has its plain files removed by start-up recovery, and its entry settled', async () => {
    t = await startLedger()
    const { dataDir } = t
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'a1' }, { name: 'b/c.txt', text: 'c1' }] } })
    await t.close()
    // The unit of work of a session delete, and a crash before its plain files went.
    const storage = openStorage(dataDir)
    const seq = await storage.sessions.withTransaction((tx) => tx.deleteSession('s1', { by: 'ops', target: 'session', name: null }))
    await storage.log.close()
    expect(await exists(join(dataDir, 'sessions/s1/a.txt'))).toBe(true)

    t = await startLedger({ dataDir })
    expect(await exists(join(dataDir, 'sessions/s1/a.txt'))).toBe(false)
    expect(await exists(join(dataDir, 'sessions/s1/b/c.txt'))).toBe(false)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).json()).toMatchObject({ status: 410, code: 'artifact_deleted', removedSeq: seq })
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, missing: [], orphaned: [] })
    await t.close()
    const reopened = openStorage(dataDir)
    expect(await reopened.log.unsettledCommits()).toEqual([])
    await reopened.log.close()
  })
})
