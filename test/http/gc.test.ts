// Garbage collection: objects that no live version refers to go once the grace period has passed;
// anything live, claimed or recent stays; what was reclaimed shows in the run, status and metrics.
import { access } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition, sampleOf } from '../support/exposition.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'
import { objectFile } from '../support/layout.js'

let t: TestLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

async function commitText(ledger: TestLedger, sessionId: string, name: string, text: string): Promise<{ sha256: string; size: number }> {
  const res = await ledger.app.inject({ method: 'POST', url: `/v1/sessions/${sessionId}/commits`, payload: { artifacts: [{ name, text }] } })
  expect(res.statusCode).toBe(201)
  return res.json().artifacts[0]
}

async function runGc(ledger: TestLedger): Promise<Record<string, unknown>> {
  const res = await ledger.app.inject({ method: 'POST', url: '/v1/gc' })
  expect(res.statusCode).toBe(200)
  return res.json()
}

describe('garbage collection', () => {
  it('deletes the objects of a deleted artifact once the grace period has passed, and reports what it reclaimed', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 0 } })
    const first = await commitText(t, 's1', 'notes.txt', 'first version')
    const second = await commitText(t, 's1', 'notes.txt', 'second, longer version')
    const kept = await commitText(t, 's1', 'kept.txt', 'still here')
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/notes.txt' })).statusCode).toBe(200)

    const run = await runGc(t)
    expect(run).toMatchObject({ ok: true, reclaimedObjects: 2, reclaimedBytes: first.size + second.size, error: null })
    expect(await exists(objectFile(t.dataDir, first.sha256))).toBe(false)
    expect(await exists(objectFile(t.dataDir, second.sha256))).toBe(false)
    expect(await exists(objectFile(t.dataDir, kept.sha256))).toBe(true)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/notes.txt?version=1')).json().code).toBe('artifact_deleted')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/kept.txt')).body).toBe('still here')

    const status = (await t.app.inject('/v1/status')).json()
    expect(status.lastGc).toMatchObject({ ok: true, reclaimedObjects: 2 })
    expect(status.gc).toMatchObject({ runs: 1, reclaimedObjects: 2, reclaimedBytes: first.size + second.size, running: false })
    const metrics = parseExposition((await t.app.inject('/metrics')).body)
    expect(sampleOf(metrics, 'artifact_ledger_gc_reclaimed_objects_total')).toBe(2)
    expect(sampleOf(metrics, 'artifact_ledger_gc_reclaimed_bytes_total')).toBe(first.size + second.size)
    expect(sampleOf(metrics, 'artifact_ledger_gc_success')).toBe(1)

    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(verify).toMatchObject({ ok: true, missing: [], orphaned: [] })
    // A second run finds nothing more.
    expect(await runGc(t)).toMatchObject({ ok: true, reclaimedObjects: 0 })
  })

  it('keeps an object a live version elsewhere still refers to', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 0 } })
    const shared = await commitText(t, 's1', 'a.txt', 'the same bytes')
    await commitText(t, 's2', 'b.txt', 'the same bytes')
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1' })).statusCode).toBe(200)

    expect(await runGc(t)).toMatchObject({ reclaimedObjects: 0 })
    expect(await exists(objectFile(t.dataDir, shared.sha256))).toBe(true)
    expect((await t.app.inject('/v1/sessions/s2/artifacts/b.txt')).body).toBe('the same bytes')
  })

  it('keeps released objects until the grace period has passed', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 3600 } })
    const old = await commitText(t, 's1', 'a.txt', 'released just now')
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' })).statusCode).toBe(200)

    expect(await runGc(t)).toMatchObject({ ok: true, examinedObjects: 1, reclaimedObjects: 0 })
    expect(await exists(objectFile(t.dataDir, old.sha256))).toBe(true)
  })

  it('keeps an object that a new commit refers to again after its release', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 0 } })
    const bytes = await commitText(t, 's1', 'a.txt', 'back again')
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/sessions/s1/artifacts/a.txt' })).statusCode).toBe(200)
    await commitText(t, 's2', 'again.txt', 'back again')

    expect(await runGc(t)).toMatchObject({ reclaimedObjects: 0 })
    expect(await exists(objectFile(t.dataDir, bytes.sha256))).toBe(true)
    expect((await t.app.inject('/v1/sessions/s2/artifacts/again.txt')).body).toBe('back again')
  })

  it('never takes the object of a commit that reuses it while collection runs', async () => {
    t = await startLedger({ settings: { gcGraceSeconds: 0 } })
    for (let round = 0; round < 25; round++) {
      const text = `round ${round}`
      await commitText(t, 'old', `r${round}.txt`, text)
      expect((await t.app.inject({ method: 'DELETE', url: `/v1/sessions/old/artifacts/r${round}.txt` })).statusCode).toBe(200)
      // The released object and a new commit of the same bytes, side by side with a collection.
      const [reuse] = await Promise.all([
        t.app.inject({ method: 'POST', url: '/v1/sessions/new/commits', payload: { artifacts: [{ name: `r${round}.txt`, text }] } }),
        t.app.inject({ method: 'POST', url: '/v1/gc' }),
      ])
      expect(reuse.statusCode).toBe(201)
      expect((await t.app.inject(`/v1/sessions/new/artifacts/r${round}.txt`)).body).toBe(text)
    }
    await runGc(t)
    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(verify).toMatchObject({ ok: true, missing: [], corrupt: [] })
  })
})
