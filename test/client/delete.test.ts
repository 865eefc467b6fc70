// LedgerClient deletes over real HTTP: the delete entry back, a repeated delete taken as done, and the
// 410 and 409 answers about removed things thrown with their codes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { isGone, LedgerClient, LedgerProblem, REMOVAL_CODES } from '../../src/client/index.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

let t: ListeningLedger
let client: LedgerClient
beforeEach(async () => {
  t = await startListeningLedger()
  client = new LedgerClient({ url: t.url, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 50 } })
})
afterEach(async () => {
  client.close()
  await t.cleanup()
})

describe('LedgerClient.deleteArtifact and deleteSession', () => {
  it('returns the delete entry, then undefined for a repeat, and reads of the artifact throw 410 artifact_deleted', async () => {
    await client.commit('s1', [{ name: 'a.txt', text: 'one' }, { name: 'b.txt', text: 'two' }])
    const entry = await client.deleteArtifact('s1', 'a.txt')
    expect(entry).toMatchObject({ kind: 'delete', delete: { by: 'anonymous', target: 'artifact', name: 'a.txt', removedVersions: 1 } })
    expect(await client.deleteArtifact('s1', 'a.txt')).toBeUndefined()
    const read = await client.get('s1', 'a.txt').catch((error: unknown) => error)
    expect(isGone(read)).toBe(true)
    expect(read).toMatchObject({ status: 410, code: 'artifact_deleted' })
    expect(REMOVAL_CODES).toContain((read as LedgerProblem).code)
    const never = await client.deleteArtifact('s1', 'never.txt').catch((error: unknown) => error)
    expect(never).toMatchObject({ status: 404, code: 'artifact_not_found' })

    expect(await client.deleteSession('s1')).toMatchObject({ kind: 'delete', delete: { target: 'session', removedVersions: 1 } })
    expect(await client.deleteSession('s1')).toBeUndefined()
    expect(await client.getSession('s1')).toMatchObject({ state: 'deleted' })
    const late = await client.commit('s1', [{ name: 'c.txt', text: 'late' }]).catch((error: unknown) => error)
    expect(late).toMatchObject({ status: 409, code: 'session_deleted' })
  })

  it('throws 409 held under a hold', async () => {
    await client.commit('s2', [{ name: 'a.txt', text: 'one' }])
    await client.putSession('s2', { hold: true, retention: { keepVersions: 2 } })
    expect(await client.deleteSession('s2').catch((error: unknown) => error)).toMatchObject({ status: 409, code: 'held' })
    expect((await client.history('s2', 'a.txt')).versions).toHaveLength(1)
  })
})
