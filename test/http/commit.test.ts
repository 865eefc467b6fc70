import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { commitBody, sha256, textArtifact } from '../support/factories.js'
import { itInProcess } from '../support/cluster-target.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
beforeEach(async () => {
  t = await startLedger()
})
afterEach(async () => {
  await t.cleanup()
})

function post(sid: string, body: unknown, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: body as object, headers })
}

describe('POST /v1/sessions/{sid}/commits', () => {
  itInProcess('reads the plain view under the data dir, which is off with objects in S3')('answers 201 only after the bytes are on disk, logged as committed', async () => {
    const res = await post('s1', commitBody(
      { name: 'quality_metrics.json', json: { score: 0.9, a: [1, 2] } },
      textArtifact('notes/summary.txt', 'héllo'),
    ))
    expect(res.statusCode).toBe(201)
    const record = res.json()
    expect(record).toMatchObject({ sessionId: 's1', state: 'committed', seq: 1 })
    expect(record.artifacts).toEqual([
      { name: 'quality_metrics.json', version: 1, sha256: sha256('{"a":[1,2],"score":0.9}'), size: 23, mediaType: 'application/json' },
      { name: 'notes/summary.txt', version: 1, sha256: sha256('héllo'), size: 6, mediaType: 'text/plain; charset=utf-8' },
    ])
    expect(res.headers['location']).toBe(`/v1/commits/${record.id}`)
    expect(res.headers['etag']).toBe('"1"')
    expect(await readFile(join(t.dataDir, 'sessions/s1/quality_metrics.json'), 'utf8')).toBe('{"a":[1,2],"score":0.9}')
    const object = join(t.dataDir, 'objects/sha256', record.artifacts[1].sha256.slice(0, 2), record.artifacts[1].sha256.slice(2))
    expect(await readFile(object, 'utf8')).toBe('héllo')
    const logged = (await t.app.inject(`/v1/commits/${record.id}`)).json()
    expect(logged.state).toBe('committed')
    expect(logged.transitions.map((tr: { to: string }) => tr.to)).toEqual(['pending', 'committed'])
  })

  itInProcess('reads the plain view under the data dir, which is off with objects in S3')('stores base64 as the decoded bytes and checks a client digest against them', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    const res = await post('s1', commitBody({ name: 'bin/raw', base64: bytes.toString('base64'), sha256: sha256(bytes) }))
    expect(res.statusCode).toBe(201)
    expect(await readFile(join(t.dataDir, 'sessions/s1/bin/raw'))).toEqual(bytes)
  })

  it('answers 400 naming an unknown field, stores nothing, and logs a failed commit', async () => {
    const res = await post('s1', commitBody(textArtifact('a.txt', 'x', { sha: 'nope' })))
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toContain('application/problem+json')
    const problem = res.json()
    expect(problem).toMatchObject({ code: 'validation_failed', status: 400, field: 'artifacts[0].sha' })
    expect(problem.detail).toContain('artifacts[0].sha')
    const failed = (await t.app.inject(`/v1/commits/${problem.commitId}`)).json()
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'validation_failed' } })
    const list = await t.app.inject('/v1/sessions/s1/artifacts')
    expect(list.json().artifacts).toEqual([])
  })

  it('answers 400 for a missing field, and never coerces types', async () => {
    expect((await post('s1', { artifacts: [{ name: 'a.txt' }] })).json().code).toBe('invalid_content')
    const coerced = await post('s1', { artifacts: [{ name: 'a.txt', text: 'x' }], message: 42 })
    expect(coerced.statusCode).toBe(400)
    expect(coerced.json().field).toBe('message')
    expect((await post('s1', {})).json()).toMatchObject({ code: 'validation_failed', field: 'artifacts' })
  })

  it('answers 400 when an artifact has more than one kind of content', async () => {
    const res = await post('s1', commitBody({ name: 'a', text: 'x', base64: 'eA==' }))
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('invalid_content')
  })

  it('answers 400 for JSON numbers that have no canonical form instead of storing null', async () => {
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/s1/commits',
      headers: { 'content-type': 'application/json' },
      payload: '{"artifacts":[{"name":"m.json","json":{"x":1e400}}]}',
    })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'inexact_number', field: 'artifacts[0].json.x' })
  })

  it('answers 400 invalid_json for a malformed body and 415 for a non-JSON type', async () => {
    const bad = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', headers: { 'content-type': 'application/json' }, payload: '{"artifacts":' })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().code).toBe('invalid_json')
    const text = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', headers: { 'content-type': 'text/plain' }, payload: 'hi' })
    expect(text.statusCode).toBe(415)
    expect(text.json().code).toBe('unsupported_media_type')
  })

  it.each(['../etc/passwd', 'a//b', '.hidden', 'a/./b', 'a\\b', 'x\u0000y', '/abs', 'a/b/c/d/e/f/g/h/i'])(
    'answers 422 invalid_name for %j and writes no file', async (name) => {
      const res = await post('s1', commitBody(textArtifact(name, 'x')))
      expect(res.statusCode).toBe(422)
      expect(res.json().code).toBe('invalid_name')
      expect((await t.app.inject('/v1/sessions/s1/artifacts')).json().artifacts).toEqual([])
    })

  it('answers 422 invalid_session_id for a session id outside the pattern', async () => {
    const res = await post('..%2Fescape', commitBody(textArtifact('a.txt', 'x')))
    expect(res.statusCode).toBe(422)
    expect(res.json().code).toBe('invalid_session_id')
  })

  it('answers 422 and stores nothing when the digest does not match', async () => {
    const res = await post('s1', commitBody(textArtifact('a.txt', 'x', { sha256: sha256('y') })))
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ code: 'digest_mismatch', expected: sha256('y'), actual: sha256('x') })
    const commits = (await t.app.inject('/v1/commits?session=s1')).json().commits
    expect(commits).toHaveLength(1)
    expect(commits[0]).toMatchObject({ state: 'failed', error: { code: 'digest_mismatch' } })
  })

  it('answers 409 name_conflict when a name would be a folder of another', async () => {
    expect((await post('s1', commitBody(textArtifact('report', 'x')))).statusCode).toBe(201)
    const res = await post('s1', commitBody(textArtifact('report/x.json', 'y')))
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'name_conflict', existing: 'report' })
    const within = await post('s2', commitBody(textArtifact('a/b', '1'), textArtifact('a', '2')))
    expect(within.statusCode).toBe(409)
  })

  itInProcess('reads the plain view under the data dir, which is off with objects in S3')('keeps every version and moves the plain file to the latest', async () => {
    await post('s1', commitBody(textArtifact('a.txt', 'one')))
    const second = await post('s1', commitBody(textArtifact('a.txt', 'two')))
    expect(second.json().artifacts[0].version).toBe(2)
    expect(await readFile(join(t.dataDir, 'sessions/s1/a.txt'), 'utf8')).toBe('two')
    const history = (await t.app.inject('/v1/sessions/s1/artifacts/a.txt?versions')).json()
    expect(history.versions.map((v: { version: number }) => v.version)).toEqual([1, 2])
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=1')).body).toBe('one')
  })

  it('records metadata and message with the commit', async () => {
    const res = await post('s1', { ...commitBody(textArtifact('a.txt', 'x')), message: 'run 7', metadata: { model: 'm', step: 3 } })
    expect(res.json()).toMatchObject({ message: 'run 7', metadata: { model: 'm', step: 3 } })
  })
})

describe('edges of the URL and the body', () => {
  it('answers 400 problem+json for a malformed percent-escape in the path', async () => {
    for (const url of ['/v1/sessions/abc%ff/commits', '/v1/sessions/s1/artifacts/%zz', '/v1/sessions/s1/artifacts/%']) {
      const res = url.endsWith('commits')
        ? await t.app.inject({ method: 'POST', url, payload: commitBody(textArtifact('a', 'x')) })
        : await t.app.inject({ method: 'GET', url })
      expect(res.statusCode).toBe(400)
      expect(res.headers['content-type']).toContain('application/problem+json')
      expect(res.json().code).toBe('invalid_url')
    }
  })

  it('takes session ids of the full 128 characters the spec allows', async () => {
    const sid = `s${'x'.repeat(127)}`
    expect((await post(sid, commitBody(textArtifact('a.txt', 'x')))).statusCode).toBe(201)
    expect((await t.app.inject(`/v1/sessions/${sid}/artifacts/a.txt`)).body).toBe('x')
  })

  it('answers 400, not 500, for JSON nested deeper than the limit', async () => {
    const deep = `${'['.repeat(3000)}${']'.repeat(3000)}`
    for (const payload of [`{"artifacts":[{"name":"a","json":${deep}}]}`, `{"artifacts":[{"name":"a","text":"x"}],"metadata":{"m":${deep}}}`]) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', headers: { 'content-type': 'application/json' }, payload })
      expect(res.statusCode).toBe(400)
      expect(res.json().code).toBe('invalid_content')
    }
    const ok = `${'['.repeat(200)}${']'.repeat(200)}`
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', headers: { 'content-type': 'application/json', 'idempotency-key': 'deep' }, payload: `{"artifacts":[{"name":"a","json":${ok}}]}` })
    expect(res.statusCode).toBe(201)
  })
})
