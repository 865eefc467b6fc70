import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sha256 } from '../support/factories.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
let firstSeq: number
beforeAll(async () => {
  t = await startLedger()
  const post = (payload: object) => t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload })
  firstSeq = (await post({ artifacts: [{ name: 'a.txt', text: 'alpha-1' }, { name: 'b.txt', text: 'beta-1' }] })).json().seq
  await post({ artifacts: [{ name: 'a.txt', text: 'alpha-2' }] })
  await post({ artifacts: [{ name: 'c/d.txt', text: 'gamma-1' }] })
})
afterAll(async () => {
  await t.cleanup()
})

describe('reading artifacts', () => {
  it('serves the latest bytes with ETag, Content-Digest and Repr-Digest', async () => {
    const res = await t.app.inject('/v1/sessions/s1/artifacts/a.txt')
    expect(res.statusCode).toBe(200)
    expect(res.body).toBe('alpha-2')
    expect(res.headers['etag']).toBe(`"${sha256('alpha-2')}"`)
    const digest = `sha-256=:${Buffer.from(sha256('alpha-2'), 'hex').toString('base64')}:`
    expect(res.headers['content-digest']).toBe(digest)
    expect(res.headers['repr-digest']).toBe(digest)
  })

  it('answers HEAD with the headers and the real length but no body', async () => {
    const res = await t.app.inject({ method: 'HEAD', url: '/v1/sessions/s1/artifacts/a.txt' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-length']).toBe(String('alpha-2'.length))
    expect(res.body).toBe('')
  })

  it('answers 304 when If-None-Match matches', async () => {
    const res = await t.app.inject({ url: '/v1/sessions/s1/artifacts/a.txt', headers: { 'if-none-match': `"${sha256('alpha-2')}"` } })
    expect(res.statusCode).toBe(304)
    expect(res.body).toBe('')
  })

  it('serves byte ranges with Content-Range, and Repr-Digest of the whole', async () => {
    const res = await t.app.inject({ url: '/v1/sessions/s1/artifacts/a.txt', headers: { range: 'bytes=2-4' } })
    expect(res.statusCode).toBe(206)
    expect(res.body).toBe('pha')
    expect(res.headers['content-range']).toBe('bytes 2-4/7')
    expect(res.headers['repr-digest']).toBe(`sha-256=:${Buffer.from(sha256('alpha-2'), 'hex').toString('base64')}:`)
    const suffix = await t.app.inject({ url: '/v1/sessions/s1/artifacts/a.txt', headers: { range: 'bytes=-2' } })
    expect(suffix.body).toBe('-2')
    const outside = await t.app.inject({ url: '/v1/sessions/s1/artifacts/a.txt', headers: { range: 'bytes=50-60' } })
    expect(outside.statusCode).toBe(416)
    expect(outside.headers['content-range']).toBe('bytes */7')
    expect(outside.headers['content-type']).toContain('application/problem+json')
  })

  it('serves an older version with ?version=N and 404 for one that does not exist', async () => {
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=1')).body).toBe('alpha-1')
    const none = await t.app.inject('/v1/sessions/s1/artifacts/a.txt?version=9')
    expect(none.statusCode).toBe(404)
    expect(none.json().code).toBe('version_not_found')
  })

  it('lists the version history with ?versions', async () => {
    const res = await t.app.inject('/v1/sessions/s1/artifacts/a.txt?versions')
    expect(res.json().versions.map((v: { version: number; sha256: string }) => [v.version, v.sha256])).toEqual([
      [1, sha256('alpha-1')], [2, sha256('alpha-2')],
    ])
  })

  it('lists the latest version of each artifact', async () => {
    const res = await t.app.inject('/v1/sessions/s1/artifacts')
    expect(res.json().artifacts.map((a: { name: string; version: number }) => [a.name, a.version])).toEqual([
      ['a.txt', 2], ['b.txt', 1], ['c/d.txt', 1],
    ])
  })

  it('reads a consistent snapshot of the session as of a commit with ?at=seq', async () => {
    const snapshot = (await t.app.inject(`/v1/sessions/s1/artifacts?at=${firstSeq}`)).json()
    expect(snapshot.atSeq).toBe(firstSeq)
    expect(snapshot.artifacts.map((a: { name: string; version: number }) => [a.name, a.version])).toEqual([['a.txt', 1], ['b.txt', 1]])
    expect((await t.app.inject(`/v1/sessions/s1/artifacts/a.txt?at=${firstSeq}`)).body).toBe('alpha-1')
    expect((await t.app.inject(`/v1/sessions/s1/artifacts/c/d.txt?at=${firstSeq}`)).statusCode).toBe(404)
  })

  it('answers 404 problem+json for unknown sessions and artifacts', async () => {
    const session = await t.app.inject('/v1/sessions/nope/artifacts')
    expect(session.statusCode).toBe(404)
    expect(session.json().code).toBe('session_not_found')
    const artifact = await t.app.inject('/v1/sessions/s1/artifacts/zzz.txt')
    expect(artifact.json().code).toBe('artifact_not_found')
    const route = await t.app.inject('/v2/nothing')
    expect(route.statusCode).toBe(404)
    expect(route.headers['content-type']).toContain('application/problem+json')
  })
})

describe('the commit log', () => {
  it('pages by seq with a cursor until nextCursor is null', async () => {
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const page: { commits: { seq: number }[]; nextCursor: string | null } = (await t.app.inject(`/v1/commits?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)).json()
      seen.push(...page.commits.map((c) => c.seq))
      cursor = page.nextCursor
    } while (cursor !== null)
    expect(seen).toEqual([1, 2, 3])
  })

  it('filters by session, state and since', async () => {
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s2/commits', payload: { artifacts: [{ name: 'x', text: 'y', sha256: sha256('z') }] } })
    const failed = (await t.app.inject('/v1/commits?state=failed')).json().commits
    expect(failed.map((c: { sessionId: string }) => c.sessionId)).toEqual(['s2'])
    expect((await t.app.inject('/v1/commits?session=s1')).json().commits).toHaveLength(3)
    expect((await t.app.inject('/v1/commits?since=2999-01-01T00:00:00Z')).json().commits).toEqual([])
    const all = (await t.app.inject('/v1/commits')).json().commits as { seq: number; createdAt: string }[]
    const second = all[1]
    if (second === undefined) throw new Error('the fixture has fewer than two entries')
    const fromSecond = all.filter((c) => c.createdAt >= second.createdAt).map((c) => c.seq)
    expect((await t.app.inject(`/v1/commits?since=${second.createdAt}`)).json().commits.map((c: { seq: number }) => c.seq)).toEqual(fromSecond)
    expect((await t.app.inject('/v1/commits?since=yesterday')).statusCode).toBe(400)
    expect((await t.app.inject('/v1/commits?since=2&session=s1')).json().commits.map((c: { seq: number }) => c.seq)).toEqual([3])
    expect((await t.app.inject('/v1/commits?state=done')).statusCode).toBe(400)
  })

  it('shows one commit with its transitions, and 404 for an unknown id', async () => {
    const [commit] = (await t.app.inject('/v1/commits?limit=1')).json().commits
    const one = (await t.app.inject(`/v1/commits/${commit.id}`)).json()
    expect(one.transitions).toEqual([
      expect.objectContaining({ from: null, to: 'pending' }),
      expect.objectContaining({ from: 'pending', to: 'committed' }),
    ])
    expect((await t.app.inject('/v1/commits/nope')).statusCode).toBe(404)
  })
})
