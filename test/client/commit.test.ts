// LedgerClient.commit over real HTTP: the digests it computes are those of the stored bytes, refusals
// are thrown with the service's problem attached and never retried, expect() adds to the list.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LedgerClient, LedgerProblem, type RetryEvent } from '../../src/client/index.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let t: ListeningLedger
let client: LedgerClient
let retries: RetryEvent[]
beforeEach(async () => {
  t = await startListeningLedger()
  retries = []
  client = new LedgerClient({ url: t.url, env: {}, retry: { baseDelayMs: 5, maxDelayMs: 50 }, onRetry: (event) => retries.push(event) })
})
afterEach(async () => {
  client.close()
  await t.cleanup()
})

describe('LedgerClient.commit', () => {
  it('commits json, text and bytes in one commit whose digests are those of the stored bytes', async () => {
    // Keys sort by UTF-16 code units (😀 is \ud83d…, before \ufb33); numbers print as ECMAScript does.
    const json = { '\ufb33': 'dalet', '😀': [1e21, 0.1, -0, 1e-7], b: { z: null, y: true }, a: 'line\nbreak\u000f' }
    const canonical = '{"a":"line\\nbreak\\u000f","b":{"y":true,"z":null},"😀":[1e+21,0.1,0,1e-7],"\ufb33":"dalet"}'
    const text = 'réécriture ✍ 𝄞 e\u0301\n'
    const bytes = Uint8Array.from([0, 255, 13, 10, 0x80, 0xc3, 0x28, 7])
    const expected = {
      'metrics/quality.json': Buffer.from(canonical, 'utf8'),
      'notes/summary.txt': Buffer.from(text, 'utf8'),
      'bin/blob.bin': Buffer.from(bytes),
    }

    const record = await client.commit('s1', [
      { name: 'metrics/quality.json', json },
      { name: 'notes/summary.txt', text },
      { name: 'bin/blob.bin', bytes },
    ], { message: 'three kinds' })

    expect(record.state).toBe('committed')
    expect(record.artifacts.map((a) => a.name)).toEqual(Object.keys(expected))
    const log = await client.commits({ session: 's1' })
    expect(log.commits.map((c) => [c.id, c.state])).toEqual([[record.id, 'committed']])
    for (const [name, stored] of Object.entries(expected)) {
      const artifact = record.artifacts.find((a) => a.name === name)
      expect(artifact).toMatchObject({ sha256: sha256(stored), size: stored.byteLength, version: 1 })
      expect(await readFile(join(t.dataDir, 'sessions/s1', name))).toEqual(stored)
      const got = await client.get('s1', name)
      expect(got.bytes).toEqual(stored)
      expect(got.sha256).toBe(sha256(stored))
      expect(got.version).toBe(1)
    }
  })

  it('throws a refused commit as a LedgerProblem with the failed commit id, and does not retry it', async () => {
    const refused = await client.commit('s1', [{ name: 'a/../escape.txt', text: 'x' }]).catch((error: unknown) => error)

    expect(refused).toBeInstanceOf(LedgerProblem)
    const problem = refused as LedgerProblem
    expect(problem.status).toBe(422)
    expect(problem.code).toBe('invalid_name')
    expect(problem.attempts).toBe(1)
    expect(problem.problem.commitId).toEqual(expect.any(String))
    expect(retries).toEqual([])
    const failed = await client.commitById(String(problem.problem.commitId))
    expect(failed.state).toBe('failed')
    expect(failed.error?.code).toBe('invalid_name')
    expect((await client.commits({ session: 's1' })).commits.map((c) => c.state)).toEqual(['failed'])
  })

  it('throws a 404 with its code for an artifact that does not exist', async () => {
    await client.commit('s1', [{ name: 'present.txt', text: 'here' }])

    const missing = await client.get('s1', 'absent.txt').catch((error: unknown) => error)

    expect(missing).toBeInstanceOf(LedgerProblem)
    expect((missing as LedgerProblem).status).toBe(404)
    expect((missing as LedgerProblem).code).toBe('artifact_not_found')
    expect(retries).toEqual([])
  })
})

describe('LedgerClient.expect', () => {
  it('adds names to the expected artifacts instead of replacing them', async () => {
    const first = await client.expect('s1', ['a.txt'])
    expect(first.expectedArtifacts).toEqual(['a.txt'])

    const second = await client.expect('s1', ['b.txt'])
    expect([...second.expectedArtifacts].sort()).toEqual(['a.txt', 'b.txt'])

    // A name expected again is not listed twice.
    await client.expect('s1', ['a.txt'])
    const session = await client.getSession('s1')
    expect([...session.expectedArtifacts].sort()).toEqual(['a.txt', 'b.txt'])
    expect([...session.missing].sort()).toEqual(['a.txt', 'b.txt'])
  })

  it('keeps every name when 64 writers add theirs at once', async () => {
    const names = Array.from({ length: 64 }, (_, i) => `out-${i}.txt`)
    await Promise.all(names.map((name) => client.expect('s2', [name])))
    expect([...(await client.getSession('s2')).expectedArtifacts].sort()).toEqual([...names].sort())
  })

  it('declares expectations with a commit, in its own transaction', async () => {
    const record = await client.commit('s3', [{ name: 'a.json', json: { ok: true } }], { expect: ['a.json', 'b.json'] })
    expect(record.expect).toEqual({ add: ['a.json', 'b.json'], remove: [] })
    expect((await client.getSession('s3')).missing).toEqual(['b.json'])
  })
})

describe('LedgerClient.fail and complete', () => {
  it('reports a caught error: the session closes failed with its name and message', async () => {
    await client.expect('s4', ['a.json'])
    let session
    try {
      throw new RangeError('beam search ran past the context window')
    } catch (error) {
      session = await client.fail('s4', error as Error)
    }
    expect(session).toMatchObject({ state: 'failed', closedBy: 'writer', error: { type: 'RangeError', message: 'beam search ran past the context window' } })
    expect((await client.complete('s4')).state).toBe('failed')
  })

  it('refuses a stale session update with 412, through putSession’s ifMatch', async () => {
    const created = await client.putSession('s5', { expectedArtifacts: ['a'] })
    await client.expect('s5', ['b'])
    const error = await client.putSession('s5', { expectedArtifacts: ['a'] }, { ifMatch: created.etag }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(LedgerProblem)
    expect((error as LedgerProblem).status).toBe(412)
  })
})
