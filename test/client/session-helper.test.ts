// LedgerClient.session over real HTTP: a writer's run as one call, so a run that returns is completed
// and one that throws is reported failed, never left open and never reported as a success.
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LedgerClient, SessionIncomplete } from '../../src/client/index.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

let t: ListeningLedger
let client: LedgerClient
let work: string
beforeEach(async () => {
  t = await startListeningLedger()
  client = new LedgerClient({ url: t.url, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 50 } })
  work = await mkdtemp(join(tmpdir(), 'artifact-ledger-session-helper-'))
})
afterEach(async () => {
  client.close()
  await t.cleanup()
  await rm(work, { recursive: true, force: true })
})

describe('LedgerClient.session', () => {
  it('completes the session when the run returns with everything saved', async () => {
    const { result, session } = await client.session('run-1', { expect: ['metrics.json', 'notes.txt'] }, async (s) => {
      await s.saveJson('metrics.json', { score: 0.93 })
      await s.saveText('notes.txt', 'fine')
      return s.commits.length
    })
    expect(result).toBe(2)
    expect(session).toMatchObject({ state: 'complete', closedBy: 'writer', missing: [] })
  })

  it('throws SessionIncomplete naming what is missing when the run returns without it', async () => {
    const error = await client.session('run-2', { expect: ['metrics.json', 'feedback.txt'] }, async (s) => {
      await s.saveJson('metrics.json', { score: 0.5 })
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionIncomplete)
    expect((error as SessionIncomplete).session).toMatchObject({ state: 'incomplete', missing: ['feedback.txt'] })
    expect((await client.getSession('run-2')).state).toBe('incomplete')
  })

  it('reports a run that throws as failed with the error, and rethrows the same error', async () => {
    const thrown = new TypeError('cannot read properties of undefined (reading "chapters")')
    const caught = await client.session('run-3', { expect: ['metrics.json'] }, async () => {
      throw thrown
    }).catch((e: unknown) => e)
    expect(caught).toBe(thrown)
    expect(await client.getSession('run-3')).toMatchObject({
      state: 'failed', closedBy: 'writer', error: { type: 'TypeError', message: 'cannot read properties of undefined (reading "chapters")' },
    })
  })

  it('streams a file larger than streamOverBytes with PUT, and commits a small one inline', async () => {
    const big = join(work, 'model.bin')
    await writeFile(big, randomBytes(64 * 1024))
    const small = join(work, 'small.json')
    await writeFile(small, '{"a": 1}\n')
    await client.session('run-4', { expect: ['model.bin', 'small.json'], streamOverBytes: 16 * 1024 }, async (s) => {
      await s.saveFile('model.bin', big, 'application/octet-stream')
      await s.saveFile('small.json', small, 'application/json')
    })
    const artifacts = (await client.artifacts('run-4')).artifacts
    expect(artifacts.map((a) => [a.name, a.size])).toEqual([['model.bin', 64 * 1024], ['small.json', 9]])
    const history = await client.commits({ session: 'run-4', kind: 'artifacts' })
    // A PUT's commit carries one artifact and no message; both files went as commits of their own.
    expect(history.commits.map((c) => c.artifacts.map((a) => a.name))).toEqual([['model.bin'], ['small.json']])
  })

  it('sets the deadline and metadata before the run', async () => {
    const deadline = new Date(Date.now() + 3_600_000)
    await client.session('run-5', { deadline, metadata: { model: 'm1' } }, async (s) => {
      expect(await client.getSession(s.sessionId)).toMatchObject({ state: 'open', deadline: deadline.toISOString(), metadata: { model: 'm1' } })
    })
  })
})
