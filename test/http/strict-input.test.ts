// Input that would be stored other than it was sent is refused with a 4xx naming the place, logged as a
// `failed` entry, and leaves no object and no plain file behind; exact input is stored in canonical form.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startLedger, type TestLedger } from '../support/start-ledger.js'
import { walk } from '../support/walk.js'

let t: TestLedger
beforeEach(async () => {
  t = await startLedger()
})
afterEach(async () => {
  await t.cleanup()
})

type Answer = Awaited<ReturnType<TestLedger['app']['inject']>>

function commitRaw(payload: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload, headers: { 'content-type': 'application/json', ...headers } })
}

function putRaw(name: string, payload: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return t.app.inject({ method: 'PUT', url: `/v1/sessions/s1/artifacts/${name}`, payload, headers: { 'content-type': 'application/octet-stream', ...headers } })
}

/** A JSON commit of one artifact whose `json` member is exactly `jsonText`, as sent. */
function commitJsonText(jsonText: string): Promise<Answer> {
  return commitRaw(`{"artifacts":[{"name":"a.json","json":${jsonText}}]}`)
}

/** Checks the problem, its `failed` log entry, and that nothing of session s1 reached the disk. */
async function expectRefused(res: Answer, status: number, code: string, facts: Record<string, unknown> = {}): Promise<void> {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
  const problem = res.json()
  expect(problem).toMatchObject({ status, code, ...facts })
  expect(problem.commitId).toEqual(expect.any(String))
  const entry = (await t.app.inject(`/v1/commits/${problem.commitId}`)).json()
  expect(entry).toMatchObject({ id: problem.commitId, sessionId: 's1', state: 'failed', error: { code } })
  expect(await walk(join(t.dataDir, 'objects/sha256'))).toEqual([])
  expect(await walk(join(t.dataDir, 'sessions/s1'))).toEqual([])
}

/** Checks a 201 and that `name` reads back, over HTTP and on disk, as exactly `bytes`. */
async function expectStored(res: Answer, name: string, bytes: string | Buffer): Promise<void> {
  expect(res.statusCode, res.body).toBe(201)
  expect((await t.app.inject(`/v1/commits/${res.json().id}`)).json().state).toBe('committed')
  const expected = Buffer.from(bytes)
  expect((await t.app.inject(`/v1/sessions/s1/artifacts/${name}`)).rawPayload).toEqual(expected)
  expect(await readFile(join(t.dataDir, 'sessions/s1', name))).toEqual(expected)
}

describe('duplicate member names', () => {
  it('refuses a body with the member artifacts twice 400 duplicate_member_name naming artifacts, and stores neither', async () => {
    const res = await commitRaw('{"artifacts":[{"name":"a.json","json":1}],"artifacts":[{"name":"b.json","json":2}]}')
    await expectRefused(res, 400, 'duplicate_member_name', { field: 'artifacts' })
  })

  it('refuses a duplicate inside an artifact json value and names it artifacts[0].json.x', async () => {
    await expectRefused(await commitJsonText('{"x":1,"x":2}'), 400, 'duplicate_member_name', { field: 'artifacts[0].json.x' })
  })

  it('takes an escaped name for the same name: "a" and "\\u0061" are duplicates', async () => {
    await expectRefused(await commitJsonText('{"a":1,"\\u0061":2}'), 400, 'duplicate_member_name', { field: 'artifacts[0].json.a' })
  })
})

describe('text that is not Unicode', () => {
  it.each([
    ['a 0xFF byte', [0xff]],
    ['the overlong encoding 0xC0 0xAF', [0xc0, 0xaf]],
  ])('refuses %s inside a text value 400 invalid_utf8 at its byte offset, instead of storing U+FFFD', async (_, bad) => {
    const before = Buffer.from('{"artifacts":[{"name":"a.txt","text":"ab', 'utf8')
    const res = await commitRaw(Buffer.concat([before, Buffer.from(bad), Buffer.from('cd"}]}', 'utf8')]))
    await expectRefused(res, 400, 'invalid_utf8', { offset: before.byteLength })
  })

  it('refuses a lone surrogate escape in a text value 400 lone_surrogate naming artifacts[0].text', async () => {
    const res = await commitRaw('{"artifacts":[{"name":"a.txt","text":"x\\ud800y"}]}')
    await expectRefused(res, 400, 'lone_surrogate', { field: 'artifacts[0].text' })
  })
})

describe('numbers', () => {
  it.each(['9007199254740993', '1e-400', '1e400', '1.00000000000000000001'])(
    'refuses %s inside an artifact json value 400 inexact_number naming artifacts[0].json.n', async (token) => {
      await expectRefused(await commitJsonText(`{"n":${token}}`), 400, 'inexact_number', { field: 'artifacts[0].json.n' })
    })

  it.each(['9007199254740993', '1e-400', '1e400', '1.00000000000000000001'])(
    'refuses %s inside the commit metadata 400 inexact_number naming metadata.x', async (token) => {
      const res = await commitRaw(`{"artifacts":[{"name":"a.txt","text":"t"}],"metadata":{"x":${token}}}`)
      await expectRefused(res, 400, 'inexact_number', { field: 'metadata.x' })
    })

  it.each([
    ['0.1', '0.1'],
    ['1.0', '1'],
    ['9007199254740992', '9007199254740992'],
    ['1.5e3', '1500'],
  ])('commits the exact number %s and stores it in canonical form as %s', async (token, stored) => {
    await expectStored(await commitJsonText(`{"n":${token}}`), 'a.json', `{"n":${stored}}`)
  })
})

describe('Content-Encoding', () => {
  it('refuses a gzip-encoded JSON commit 415 unsupported_content_encoding with Accept-Encoding: identity', async () => {
    const res = await commitRaw(gzipSync('{"artifacts":[{"name":"a.txt","text":"t"}]}'), { 'content-encoding': 'gzip' })
    expect(res.headers['accept-encoding']).toBe('identity')
    await expectRefused(res, 415, 'unsupported_content_encoding')
  })

  it('refuses a gzip-encoded PUT 415 unsupported_content_encoding with Accept-Encoding: identity, storing no artifact', async () => {
    const res = await putRaw('a.bin', gzipSync('the artifact'), { 'content-encoding': 'gzip' })
    expect(res.headers['accept-encoding']).toBe('identity')
    await expectRefused(res, 415, 'unsupported_content_encoding')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.bin')).statusCode).toBe(404)
  })

  it('accepts Content-Encoding: identity on a JSON commit and on a PUT', async () => {
    await expectStored(await commitRaw('{"artifacts":[{"name":"a.txt","text":"plain"}]}', { 'content-encoding': 'identity' }), 'a.txt', 'plain')
    await expectStored(await putRaw('b.bin', 'raw bytes', { 'content-encoding': 'identity' }), 'b.bin', 'raw bytes')
  })
})

describe('charset of a JSON body', () => {
  it('refuses application/json; charset=utf-16 415 unsupported_charset', async () => {
    const res = await commitRaw(Buffer.from('{"artifacts":[{"name":"a.txt","text":"t"}]}', 'utf16le'), { 'content-type': 'application/json; charset=utf-16' })
    await expectRefused(res, 415, 'unsupported_charset')
  })

  it.each(['application/json; charset=UTF-8', 'application/json; charset="utf-8"'])('accepts %s', async (contentType) => {
    await expectStored(await commitRaw('{"artifacts":[{"name":"a.txt","text":"é"}]}', { 'content-type': contentType }), 'a.txt', 'é')
  })
})

describe('charset of an artifact', () => {
  it('refuses a text artifact labelled charset=utf-16 400 invalid_content naming artifacts[0].mediaType: its bytes are UTF-8', async () => {
    const res = await commitRaw('{"artifacts":[{"name":"a.txt","text":"t","mediaType":"text/plain; charset=utf-16"}]}')
    await expectRefused(res, 400, 'invalid_content', { field: 'artifacts[0].mediaType' })
  })

  it('commits a text artifact labelled charset=utf-8 with that label', async () => {
    const res = await commitRaw('{"artifacts":[{"name":"a.txt","text":"é","mediaType":"text/plain; charset=utf-8"}]}')
    await expectStored(res, 'a.txt', 'é')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).headers['content-type']).toBe('text/plain; charset=utf-8')
  })

  it('commits a base64 artifact with any charset label: its bytes are stored as sent', async () => {
    const bytes = Buffer.from('hé', 'utf16le')
    const res = await commitRaw(JSON.stringify({ artifacts: [{ name: 'a.txt', base64: bytes.toString('base64'), mediaType: 'text/plain; charset=utf-16' }] }))
    await expectStored(res, 'a.txt', bytes)
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).headers['content-type']).toBe('text/plain; charset=utf-16')
  })
})

describe('JSON bodies of the session routes', () => {
  it('refuses PUT /v1/sessions/{sid} with expectedArtifacts twice 400 duplicate_member_name, and creates no session', async () => {
    const res = await t.app.inject({
      method: 'PUT', url: '/v1/sessions/s1', headers: { 'content-type': 'application/json' },
      payload: '{"expectedArtifacts":["a.json"],"expectedArtifacts":["b.json"]}',
    })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status: 400, code: 'duplicate_member_name', field: 'expectedArtifacts' })
    expect((await t.app.inject('/v1/sessions/s1')).statusCode).toBe(404)
  })

  it('refuses a text/plain body on a JSON route with 415 without reading it, so a stalled one holds nothing', async () => {
    for (const [method, url] of [['PUT', '/v1/sessions/s1'], ['POST', '/v1/sessions/s1/expected'], ['POST', '/v1/sessions/s1/complete'], ['POST', '/v1/verify']] as const) {
      const res = await t.app.inject({ method, url, headers: { 'content-type': 'text/plain' }, payload: '{"add":["a"]}' })
      expect(res.statusCode, `${method} ${url}`).toBe(415)
      expect(res.json().code).toBe('unsupported_media_type')
    }
    expect((await t.app.inject('/v1/sessions/s1')).statusCode).toBe(404)
  })
})
