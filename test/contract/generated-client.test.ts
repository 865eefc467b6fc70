// A caller built from openapi.yaml alone: the types openapi-typescript generated from it and openapi-fetch,
// nothing from src/. The main flows over real HTTP; where the document lies, this fails to typecheck or to pass.
import { createHash } from 'node:crypto'
import createClient, { type Client } from 'openapi-fetch'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import type { components, paths } from './generated/ledger-api.js'

type CommitRecord = components['schemas']['CommitRecord']
type Problem = components['schemas']['Problem']

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')

let t: ListeningLedger
let api: Client<paths>
beforeAll(async () => {
  t = await startListeningLedger()
  api = createClient<paths>({ baseUrl: t.url })
})
afterAll(async () => {
  await t.cleanup()
})

describe('a client generated from openapi.yaml', () => {
  it('commits a JSON and a text artifact and gets the typed commit record, its Location and the new head ETag', async () => {
    const { data, error, response } = await api.POST('/v1/sessions/{sid}/commits', {
      params: { path: { sid: 'gen-commit' } },
      body: {
        artifacts: [
          { name: 'quality_metrics.json', json: { score: 0.9, passed: true } },
          { name: 'notes/summary.txt', text: 'all good\n', mediaType: 'text/plain; charset=utf-8' },
        ],
        message: 'first run',
      },
    })
    expect(error).toBeUndefined()
    expect(response.status).toBe(201)
    const record: CommitRecord | undefined = data
    expect(record).toMatchObject({ sessionId: 'gen-commit', kind: 'artifacts', state: 'committed', message: 'first run', error: null })
    // json is stored in its RFC 8785 form, so its digest is that of the canonical text.
    expect(record?.artifacts).toEqual([
      { name: 'quality_metrics.json', version: 1, sha256: sha256('{"passed":true,"score":0.9}'), size: 27, mediaType: 'application/json' },
      { name: 'notes/summary.txt', version: 1, sha256: sha256('all good\n'), size: 9, mediaType: 'text/plain; charset=utf-8' },
    ])
    expect(response.headers.get('location')).toBe(`/v1/commits/${record?.id ?? ''}`)
    expect(response.headers.get('etag')).toBe(`"${record?.seq ?? ''}"`)
  })

  it('reads an artifact whose name has a slash, then revalidates it with If-None-Match and gets 304', async () => {
    await commit('gen-read', [{ name: 'notes/summary.txt', text: 'read me twice' }])
    const first = await api.GET('/v1/sessions/{sid}/artifacts/{name}', {
      params: { path: { sid: 'gen-read', name: 'notes/summary.txt' } },
      parseAs: 'text',
    })
    // openapi-fetch percent-encodes the path parameter, slash included, as the document allows.
    expect(first.response.url).toBe(`${t.url}/v1/sessions/gen-read/artifacts/notes%2Fsummary.txt`)
    expect(first.response.status).toBe(200)
    expect(first.data).toBe('read me twice')
    const etag = first.response.headers.get('etag')
    expect(etag).toBe(`"${sha256('read me twice')}"`)
    expect(first.response.headers.get('artifact-version')).toBe('1')

    const again = await api.GET('/v1/sessions/{sid}/artifacts/{name}', {
      params: { path: { sid: 'gen-read', name: 'notes/summary.txt' }, header: { 'if-none-match': etag ?? '' } },
      parseAs: 'text',
    })
    expect(again.response.status).toBe(304)
    expect(again.data).toBeUndefined()
    expect(again.response.headers.get('etag')).toBe(etag)

    const part = await api.GET('/v1/sessions/{sid}/artifacts/{name}', {
      params: { path: { sid: 'gen-read', name: 'notes/summary.txt' }, header: { range: 'bytes=0-3' } },
      parseAs: 'text',
    })
    expect(part.response.status).toBe(206)
    expect(part.data).toBe('read')
    expect(part.response.headers.get('content-range')).toBe('bytes 0-3/13')
  })

  it('declares expected artifacts, adds one, commits them and completes the session as complete', async () => {
    const created = await api.PUT('/v1/sessions/{sid}', {
      params: { path: { sid: 'gen-session' } },
      body: { expectedArtifacts: ['quality_metrics.json'], metadata: { run: 7 } },
    })
    expect(created.response.status).toBe(201)
    expect(created.data).toMatchObject({ state: 'open', expectedArtifacts: ['quality_metrics.json'], missing: ['quality_metrics.json'] })
    expect(created.response.headers.get('etag')).toBe(created.data?.etag)

    const added = await api.POST('/v1/sessions/{sid}/expected', {
      params: { path: { sid: 'gen-session' } },
      body: { add: ['notes/session_summary.txt'] },
    })
    expect(added.data?.missing).toEqual(['quality_metrics.json', 'notes/session_summary.txt'])

    await commit('gen-session', [{ name: 'quality_metrics.json', json: { score: 1 } }])
    await commit('gen-session', [{ name: 'notes/session_summary.txt', text: 'done' }])

    // The body is optional: a bare POST closes the session.
    const closed = await api.POST('/v1/sessions/{sid}/complete', { params: { path: { sid: 'gen-session' } } })
    expect(closed.error).toBeUndefined()
    expect(closed.data).toMatchObject({ state: 'complete', closedBy: 'writer', missing: [], error: null })
    expect(closed.data?.artifacts.map((a) => a.name).sort()).toEqual(['notes/session_summary.txt', 'quality_metrics.json'])
  })

  it('pages through the log with a limit, following nextCursor until it is null', async () => {
    for (let i = 0; i < 5; i++) await commit('gen-log', [{ name: `part-${i}.txt`, text: `part ${i}` }])
    const seen: CommitRecord[] = []
    let cursor: string | undefined
    for (let page = 0; page < 10; page++) {
      const { data, error } = await api.GET('/v1/commits', {
        params: { query: { session: 'gen-log', kind: 'artifacts', limit: 2, ...(cursor === undefined ? {} : { cursor }) } },
      })
      expect(error).toBeUndefined()
      expect(data?.commits.length).toBeLessThanOrEqual(2)
      seen.push(...(data?.commits ?? []))
      if (data?.nextCursor === null || data?.nextCursor === undefined) break
      cursor = data.nextCursor
    }
    expect(seen.map((c) => c.artifacts[0]?.name)).toEqual(['part-0.txt', 'part-1.txt', 'part-2.txt', 'part-3.txt', 'part-4.txt'])
    const seqs = seen.map((c) => c.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
  })

  it('reads a refusal as the typed problem, in application/problem+json', async () => {
    const invalid = await api.POST('/v1/sessions/{sid}/commits', {
      params: { path: { sid: 'gen-problem' } },
      body: { artifacts: [{ name: '../escape.txt', text: 'x' }] },
    })
    expect(invalid.data).toBeUndefined()
    expect(invalid.response.status).toBe(422)
    expect(invalid.response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const problem: Problem | undefined = invalid.error
    expect(problem).toMatchObject({ status: 422, code: 'invalid_name', type: 'urn:artifact-ledger:problem:invalid-name' })

    const head = await commit('gen-problem', [{ name: 'a.txt', text: 'a' }])
    await commit('gen-problem', [{ name: 'a.txt', text: 'b' }])
    const stale = await api.POST('/v1/sessions/{sid}/commits', {
      params: { path: { sid: 'gen-problem' }, header: { 'if-match': `"${head.seq}"` } },
      body: { artifacts: [{ name: 'a.txt', text: 'c' }] },
    })
    expect(stale.response.status).toBe(412)
    expect(stale.response.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(stale.error).toMatchObject({ status: 412, code: 'precondition_failed' })
    expect(stale.error?.commitId).toEqual(expect.any(String))
  })
})

/** A commit that must succeed: its record. */
async function commit(sid: string, artifacts: components['schemas']['ArtifactInput'][]): Promise<CommitRecord> {
  const { data, error } = await api.POST('/v1/sessions/{sid}/commits', { params: { path: { sid } }, body: { artifacts } })
  if (data === undefined) throw new Error(`commit to ${sid} failed: ${JSON.stringify(error)}`)
  return data
}
