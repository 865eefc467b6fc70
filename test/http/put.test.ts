import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { contentDigest, sha256 } from '../support/factories.js'
import { itInProcess } from '../support/cluster-target.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
beforeEach(async () => {
  t = await startLedger({ maxArtifactBytes: 1024 * 1024 })
})
afterEach(async () => {
  await t.cleanup()
})

function put(name: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'PUT', url: `/v1/sessions/s1/artifacts/${name}`, payload: body, headers: { 'content-type': 'application/octet-stream', ...headers } })
}

describe('PUT /v1/sessions/{sid}/artifacts/{name}', () => {
  itInProcess('reads the plain view under the data dir, which is off with objects in S3')('streams the body to disk, keeps its Content-Type and commits it', async () => {
    const bytes = Buffer.alloc(300_000, 7)
    const res = await put('ckpt/model.bin', bytes, { 'content-type': 'application/x-model', 'content-digest': contentDigest(bytes) })
    expect(res.statusCode).toBe(201)
    expect(res.json().artifacts[0]).toEqual({ name: 'ckpt/model.bin', version: 1, sha256: sha256(bytes), size: bytes.length, mediaType: 'application/x-model' })
    expect(await readFile(join(t.dataDir, 'sessions/s1/ckpt/model.bin'))).toEqual(bytes)
    const got = await t.app.inject('/v1/sessions/s1/artifacts/ckpt/model.bin')
    expect(got.headers['content-type']).toBe('application/x-model')
    expect(got.rawPayload).toEqual(bytes)
  })

  itInProcess('reads the plain view under the data dir, which is off with objects in S3')('accepts a JSON content type as raw bytes, without parsing it', async () => {
    const res = await put('raw.json', '{"not": "parsed"  }', { 'content-type': 'application/json' })
    expect(res.statusCode).toBe(201)
    expect(await readFile(join(t.dataDir, 'sessions/s1/raw.json'), 'utf8')).toBe('{"not": "parsed"  }')
  })

  itInProcess('looks into objects/incoming under the data dir')('answers 422 when Content-Digest does not match and leaves no file behind', async () => {
    const res = await put('a.bin', 'actual', { 'content-digest': contentDigest('other') })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ code: 'digest_mismatch', field: 'Content-Digest' })
    expect((await t.app.inject(`/v1/commits/${res.json().commitId}`)).json().state).toBe('failed')
    expect(await readdir(join(t.dataDir, 'objects/incoming')).catch(() => [])).toEqual([])
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.bin')).statusCode).toBe(404)
  })

  it('answers 400 for a malformed Content-Digest', async () => {
    const res = await put('a.bin', 'x', { 'content-digest': 'sha-256=:notbase64!:' })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('invalid_header')
  })

  itInProcess('looks into objects/incoming under the data dir')('answers 413 when the streamed body passes the size cap, counting while streaming', async () => {
    const big = Buffer.alloc(1024 * 1024 + 1)
    // No Content-Length: the cap can only be enforced by counting the bytes as they arrive.
    const res = await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1/artifacts/big.bin', payload: Readable.from([big.subarray(0, 600_000), big.subarray(600_000)]), headers: { 'content-type': 'application/octet-stream' } })
    expect(res.statusCode).toBe(413)
    expect(res.json().code).toBe('payload_too_large')
    expect(await readdir(join(t.dataDir, 'objects/incoming')).catch(() => [])).toEqual([])
  })

  itInProcess('the client connection is nginx\'s, which reads and drops the unread body and keeps it open')('answers 413 at once when Content-Length announces too much, and closes the connection it did not read', async () => {
    const res = await put('big.bin', Buffer.alloc(1024 * 1024 + 10))
    expect(res.statusCode).toBe(413)
    expect(res.headers['connection']).toBe('close')
  })

  itInProcess('reads the plain view under the data dir, which is off with objects in S3')('honours If-None-Match: * (create only) with 412 when the artifact exists', async () => {
    expect((await put('a.txt', 'one', { 'if-none-match': '*' })).statusCode).toBe(201)
    const again = await put('a.txt', 'two', { 'if-none-match': '*' })
    expect(again.statusCode).toBe(412)
    expect(again.json().code).toBe('precondition_failed')
    expect(await readFile(join(t.dataDir, 'sessions/s1/a.txt'), 'utf8')).toBe('one')
  })

  it('honours If-Match: "<sha256>" (replace only that version) with 412 otherwise', async () => {
    await put('a.txt', 'one')
    const stale = await put('a.txt', 'two', { 'if-match': `"${sha256('zzz')}"` })
    expect(stale.statusCode).toBe(412)
    const fresh = await put('a.txt', 'two', { 'if-match': `"${sha256('one')}"` })
    expect(fresh.statusCode).toBe(201)
    expect(fresh.json().artifacts[0].version).toBe(2)
    expect((await put('missing.txt', 'x', { 'if-match': `"${sha256('x')}"` })).statusCode).toBe(412)
  })

  it('replays an idempotent PUT and refuses the same key with other bytes', async () => {
    const first = await put('a.txt', 'one', { 'idempotency-key': 'k' })
    const replay = await put('a.txt', 'one', { 'idempotency-key': 'k' })
    expect(replay.statusCode).toBe(201)
    expect(replay.headers['idempotent-replayed']).toBe('true')
    expect(replay.json().id).toBe(first.json().id)
    const other = await put('a.txt', 'two', { 'idempotency-key': 'k' })
    expect(other.statusCode).toBe(409)
    expect(other.json().code).toBe('idempotency_key_reused')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?versions')).json().versions).toHaveLength(1)
  })

  it('answers 422 for a name that would escape the session folder', async () => {
    const res = await put('..%2F..%2Fetc%2Fpasswd', 'x')
    expect(res.statusCode).toBe(422)
    expect(res.json().code).toBe('invalid_name')
  })
})
