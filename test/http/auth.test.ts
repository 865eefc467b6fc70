import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../src/config.js'
import { loadTokens, parseEnvTokens, parseTokenFile, requiredScope, type AuthSettings } from '../../src/http/auth.js'
import { commitBody, sha256, textArtifact } from '../support/factories.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

const READ = 'r3ad-t0ken-for-tests'
const WRITE = 'wr1te-t0ken-for-tests'
const ADMIN = 'adm1n-t0ken-for-tests'
const tokens = parseEnvTokens(`reader=${READ}:read, writer=${WRITE}:write, root=${ADMIN}:admin`)

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function start(auth: AuthSettings = { tokens }): Promise<TestLedger> {
  const t = await startLedger({ auth })
  cleanups.push(() => t.cleanup())
  return t
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

function commit(t: TestLedger, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: commitBody(textArtifact('a.txt', 'x')), headers })
}

async function commitCount(t: TestLedger): Promise<number> {
  const res = await t.app.inject({ url: '/v1/commits', headers: bearer(ADMIN) })
  expect(res.statusCode).toBe(200)
  return (res.json().commits as unknown[]).length
}

function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string): void {
  expect(res.statusCode).toBe(status)
  expect(res.headers['content-type']).toContain('application/problem+json')
  expect(res.json()).toMatchObject({ status, code })
}

describe('bearer-token auth', () => {
  it('answers 401 problem+json with a Bearer challenge to a read and a write without a token', async () => {
    const t = await start()
    for (const res of [await t.app.inject('/v1/sessions/s1/artifacts'), await commit(t)]) {
      expectProblem(res, 401, 'unauthorized')
      expect(res.headers['www-authenticate']).toBe('Bearer realm="artifact-ledger"')
    }
  })

  it('answers 401 to an unknown token and to an Authorization that is not Bearer', async () => {
    const t = await start()
    const wrong = await t.app.inject({ url: '/v1/sessions/s1/artifacts', headers: bearer(`${READ}x`) })
    expectProblem(wrong, 401, 'unauthorized')
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="artifact-ledger", error="invalid_token"')
    const basic = await t.app.inject({ url: '/v1/sessions/s1/artifacts', headers: { authorization: `Basic ${Buffer.from(`u:${READ}`).toString('base64')}` } })
    expectProblem(basic, 401, 'unauthorized')
    expect(basic.headers['www-authenticate']).toBe('Bearer realm="artifact-ledger"')
  })

  it('stores no commit row for a commit rejected with 401 or 403', async () => {
    const t = await start()
    expectProblem(await commit(t), 401, 'unauthorized')
    expectProblem(await commit(t, bearer('nope')), 401, 'unauthorized')
    expectProblem(await commit(t, bearer(READ)), 403, 'forbidden')
    expect(await commitCount(t)).toBe(0)
    expectProblem(await t.app.inject({ url: '/v1/sessions/s1/artifacts', headers: bearer(READ) }), 404, 'session_not_found')
  })

  it('lets a read token GET but answers 403 naming the write scope to its commit', async () => {
    const t = await start()
    expect((await commit(t, bearer(WRITE))).statusCode).toBe(201)
    const read = await t.app.inject({ url: '/v1/sessions/s1/artifacts', headers: bearer(READ) })
    expect(read.statusCode).toBe(200)
    expect(read.json().artifacts).toHaveLength(1)
    const head = await t.app.inject({ method: 'HEAD', url: '/v1/commits', headers: bearer(READ) })
    expect(head.statusCode).toBe(200)
    const res = await commit(t, bearer(READ))
    expectProblem(res, 403, 'forbidden')
    expect(res.json()).toMatchObject({ requiredScope: 'write' })
    expect(res.json().detail).toContain('write')
    expect(res.headers['www-authenticate']).toBe('Bearer realm="artifact-ledger", error="insufficient_scope", scope="write"')
  })

  it('lets a write token commit and read back', async () => {
    const t = await start()
    const res = await commit(t, bearer(WRITE))
    expect(res.statusCode).toBe(201)
    const read = await t.app.inject({ url: '/v1/sessions/s1/artifacts/a.txt', headers: bearer(WRITE) })
    expect(read.statusCode).toBe(200)
    expect(read.body).toBe('x')
    const put = await t.app.inject({
      method: 'PUT', url: '/v1/sessions/s1/artifacts/b.bin', payload: Buffer.from('yz'),
      headers: { ...bearer(READ), 'content-type': 'application/octet-stream' },
    })
    expectProblem(put, 403, 'forbidden')
    expect(await commitCount(t)).toBe(1)
  })

  it('lets only an admin token POST /v1/verify', async () => {
    const t = await start()
    const admin = await t.app.inject({ method: 'POST', url: '/v1/verify', headers: bearer(ADMIN) })
    expect(admin.statusCode).toBe(200)
    expect(admin.json()).toMatchObject({ ok: true })
    const write = await t.app.inject({ method: 'POST', url: '/v1/verify', headers: bearer(WRITE) })
    expectProblem(write, 403, 'forbidden')
    expect(write.json()).toMatchObject({ requiredScope: 'admin' })
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/verify' }), 401, 'unauthorized')
  })

  it('lets only an admin token POST /v1/gc', async () => {
    const t = await start()
    const admin = await t.app.inject({ method: 'POST', url: '/v1/gc', headers: bearer(ADMIN) })
    expect(admin.statusCode).toBe(200)
    expect(admin.json()).toMatchObject({ ok: true, reclaimedObjects: 0 })
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/gc', headers: bearer(WRITE) }), 403, 'forbidden')
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/gc' }), 401, 'unauthorized')
  })

  it('lets an admin token do everything a write token does', async () => {
    const t = await start()
    expect((await commit(t, bearer(ADMIN))).statusCode).toBe(201)
    expect((await t.app.inject({ url: '/v1/commits', headers: bearer(ADMIN) })).statusCode).toBe(200)
  })

  it('keeps the probes and the OpenAPI document open', async () => {
    const t = await start()
    expect((await t.app.inject('/health/live')).statusCode).toBe(200)
    expect((await t.app.inject('/health/ready')).statusCode).toBe(200)
    expect((await t.app.inject({ method: 'HEAD', url: '/health/ready' })).statusCode).toBe(200)
    const openapi = await t.app.inject('/openapi.json')
    expect(openapi.statusCode).toBe(200)
    expect(openapi.json().openapi).toBe('3.1.0')
  })

  it('keeps /metrics open by default and asks for a read token when metricsRequireToken', async () => {
    const open = await start()
    expect([401, 403]).not.toContain((await open.app.inject('/metrics')).statusCode)
    const closed = await start({ tokens, metricsRequireToken: true })
    const anonymous = await closed.app.inject('/metrics')
    expectProblem(anonymous, 401, 'unauthorized')
    expect([401, 403]).not.toContain((await closed.app.inject({ url: '/metrics', headers: bearer(READ) })).statusCode)
  })

  it('answers 401 to an unknown route without a token, 404 with one', async () => {
    const t = await start()
    expectProblem(await t.app.inject('/v1/nothing-here'), 401, 'unauthorized')
    expectProblem(await t.app.inject({ method: 'DELETE', url: '/v1/commits' }), 401, 'unauthorized')
    expectProblem(await t.app.inject({ url: '/v1/nothing-here', headers: bearer(READ) }), 404, 'not_found')
  })

  it('serves every route without a token when no token is configured', async () => {
    const t = await start({ tokens: [] })
    expect((await commit(t)).statusCode).toBe(201)
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).statusCode).toBe(200)
  })

  it('logs the token name and never the token', async () => {
    const lines: string[] = []
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'))
        done()
      },
    })
    const t = await startLedger({ maxArtifactBytes: 1024 * 1024, bodyLimitBytes: 1024 * 1024, appLogger: pino({ level: 'info' }, sink), auth: { tokens } })
    cleanups.push(() => t.cleanup())
    const { app } = t
    expect((await app.inject({ url: '/v1/commits', headers: bearer(READ) })).statusCode).toBe(200)
    expect((await app.inject({ method: 'POST', url: '/v1/verify', headers: bearer(READ) })).statusCode).toBe(403)
    expect((await app.inject({ url: '/v1/commits', headers: bearer('not-a-configured-token') })).statusCode).toBe(401)
    const log = lines.join('')
    const completed = lines.map((l) => JSON.parse(l) as { msg?: string; token?: string }).filter((l) => l.msg === 'request completed')
    expect(completed.map((l) => l.token)).toEqual(['reader', 'reader', undefined])
    expect(log).not.toContain(READ)
    expect(log).not.toContain('not-a-configured-token')
  })
})

describe('token configuration', () => {
  it('accepts a file of sha256 entries, plain entries and comments', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'artifact-ledger-tokens-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const file = join(dir, 'tokens')
    await writeFile(file, [
      '# name  token  scopes',
      `ci      sha256:${sha256(WRITE).toUpperCase()}  read,write`,
      '',
      `ops     ${ADMIN}   admin   # plain, hashed on load`,
    ].join('\n'))
    const loaded = await loadTokens({ authTokens: undefined, authTokensFile: file })
    expect(loaded.map((token) => [token.name, [...token.scopes]])).toEqual([['ci', ['read', 'write']], ['ops', ['admin']]])
    const t = await start({ tokens: loaded })
    expect((await commit(t, bearer(WRITE))).statusCode).toBe(201)
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify', headers: bearer(ADMIN) })).statusCode).toBe(200)
    expectProblem(await t.app.inject({ method: 'POST', url: '/v1/verify', headers: bearer(WRITE) }), 403, 'forbidden')
    expectProblem(await t.app.inject({ url: '/v1/commits', headers: bearer(sha256(WRITE)) }), 401, 'unauthorized')
  })

  it('names unnamed AUTH_TOKENS entries by position and keeps base64 padding in the token', () => {
    const [first, second] = parseEnvTokens('abc==:read,ci=d+e/f=:write+read')
    expect(first).toMatchObject({ name: 'token-1' })
    expect(first?.sha256.toString('hex')).toBe(sha256('abc=='))
    expect(second).toMatchObject({ name: 'ci' })
    expect(second?.sha256.toString('hex')).toBe(sha256('d+e/f='))
  })

  it.each([
    ['no scopes', 'ci=S3cretValue'],
    ['an unknown scope', 'ci=S3cretValue:rwite'],
    ['a scope where the token goes', 'ci=read:S3cretValue'],
    ['a space in the token', 'ci=S3cret Value:read'],
    ['an empty list', ' , '],
  ])('rejects AUTH_TOKENS with %s without echoing the secret', (_what, text) => {
    expect(() => parseEnvTokens(text)).toThrow(ConfigError)
    const message = (() => {
      try {
        parseEnvTokens(text)
        return ''
      } catch (error) {
        return (error as Error).message
      }
    })()
    expect(message).toContain('AUTH_TOKENS')
    expect(message).not.toContain('S3cret')
    expect(message).not.toContain('\n')
  })

  it.each([
    ['two fields', 'ci S3cretValue'],
    ['an unknown scope', 'ci S3cretValue read,rwite'],
    ['a short hash', 'ci sha256:S3cret read'],
    ['a bad name', '-ci S3cretValue read'],
    ['a bad token character', 'ci S3cret"Value read'],
  ])('rejects a token file line with %s, naming the line and not the secret', (_what, line) => {
    let message = ''
    try {
      parseTokenFile(`# header\n${line}\n`, '/etc/ledger/tokens')
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      message = (error as Error).message
    }
    expect(message).toContain('/etc/ledger/tokens line 2')
    expect(message).not.toContain('S3cret')
    expect(message).not.toContain('\n')
  })

  it('rejects a token file without entries, and duplicate names or tokens across sources', async () => {
    expect(() => parseTokenFile('# nothing\n\n', 'f')).toThrow(/holds no token/)
    await expect(loadTokens({ authTokens: `a=${READ}:read,a=${WRITE}:write`, authTokensFile: undefined })).rejects.toThrow(/"a" is configured twice/)
    await expect(loadTokens({ authTokens: `a=${READ}:read,b=${READ}:write`, authTokensFile: undefined })).rejects.toThrow(/"b" repeats/)
    await expect(loadTokens({ authTokens: undefined, authTokensFile: '/nonexistent/tokens' })).rejects.toThrow(/cannot be read \(ENOENT\)/)
  })
})

describe('the scope table', () => {
  it.each([
    ['GET', '/health/live', {}, undefined],
    ['HEAD', '/health/ready', {}, undefined],
    ['GET', '/openapi.json', {}, undefined],
    ['GET', '/metrics', {}, undefined],
    ['GET', '/metrics', { metricsRequireToken: true }, 'read'],
    ['GET', '/metrics', { matched: false }, undefined],
    ['POST', '/v1/verify', {}, 'admin'],
    ['POST', '/v1/sessions/:sid/commits', {}, 'write'],
    ['PUT', '/v1/sessions/:sid/artifacts/*', {}, 'write'],
    ['PUT', '/v1/sessions/:sid', {}, 'write'],
    ['POST', '/v1/sessions/:sid/complete', {}, 'write'],
    ['GET', '/v1/sessions/:sid/artifacts/*', {}, 'read'],
    ['HEAD', '/v1/sessions/:sid/artifacts/*', {}, 'read'],
    ['GET', '/v1/sessions', {}, 'read'],
    ['GET', '/v1/sessions/:sid', {}, 'read'],
    ['GET', '/v1/status', {}, 'read'],
    ['GET', '/v1/commits/:id', {}, 'read'],
    ['POST', '/v1/nothing-here', { matched: false }, 'read'],
    ['GET', '/health/live/', { matched: false }, 'read'],
  ] as const)('%s %s %j needs %s', (method, url, match, scope) => {
    expect(requiredScope(method, url, match)).toBe(scope)
  })
})
