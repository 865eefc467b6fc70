import { spawnSync } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../src/config.js'
import { assertSafeExposure, isLoopbackHost, parseEnvTokens } from '../src/http/auth.js'

const tokens = parseEnvTokens('ci=some-t0ken:write')
const settings = (host: string, extra: { allowAnonymous?: boolean; metricsRequireToken?: boolean } = {}) =>
  ({ host, allowAnonymous: false, metricsRequireToken: false, ...extra })

describe('assertSafeExposure', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])('serves without tokens on loopback %s', (host) => {
    expect(isLoopbackHost(host)).toBe(true)
    expect(() => assertSafeExposure(settings(host), [])).not.toThrow()
  })

  it.each(['0.0.0.0', '::', '10.0.0.5', '128.0.0.1', '::ffff:10.0.0.1', 'ledger.internal', 'localhost.example.com'])('refuses to serve without tokens on %s in one line', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
    expect(() => assertSafeExposure(settings(host), [])).toThrow(ConfigError)
    expect(() => assertSafeExposure(settings(host), [])).toThrow(
      `refusing to serve without tokens on ${host}: set AUTH_TOKENS or AUTH_TOKENS_FILE, or ALLOW_ANONYMOUS=true`)
  })

  it('serves without tokens anywhere when ALLOW_ANONYMOUS is set', () => {
    expect(() => assertSafeExposure(settings('0.0.0.0', { allowAnonymous: true }), [])).not.toThrow()
  })

  it('serves anywhere once a token is configured', () => {
    expect(() => assertSafeExposure(settings('0.0.0.0'), tokens)).not.toThrow()
    expect(() => assertSafeExposure(settings('0.0.0.0', { metricsRequireToken: true }), tokens)).not.toThrow()
  })

  it('refuses METRICS_REQUIRE_TOKEN without a token to ask for, even on loopback', () => {
    expect(() => assertSafeExposure(settings('127.0.0.1', { metricsRequireToken: true }), [])).toThrow(/METRICS_REQUIRE_TOKEN/)
  })
})

describe('the built server', () => {
  let dataDir: string | undefined
  afterEach(async () => {
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
    dataDir = undefined
  })

  function run(env: Record<string, string>) {
    const base = { ...process.env }
    for (const key of ['AUTH_TOKENS', 'AUTH_TOKENS_FILE', 'ALLOW_ANONYMOUS', 'METRICS_REQUIRE_TOKEN', 'HOST', 'PORT']) delete base[key]
    return spawnSync(process.execPath, ['dist/main.js'], { env: { ...base, PORT: '0', ...env }, encoding: 'utf8', timeout: 20_000 })
  }

  it('exits 1 before touching the data dir when bound beyond loopback without tokens, in one line', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'artifact-ledger-exposure-'))
    const child = run({ HOST: '0.0.0.0', DATA_DIR: dataDir })
    expect(child.status).toBe(1)
    const lines = child.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toBe('artifact-ledger: refusing to serve without tokens on 0.0.0.0: set AUTH_TOKENS or AUTH_TOKENS_FILE, or ALLOW_ANONYMOUS=true')
    expect(child.stdout).toBe('')
    expect(await readdir(dataDir)).toEqual([])
  })

  it('exits 1 with one line naming a malformed AUTH_TOKENS entry and not its secret', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'artifact-ledger-exposure-'))
    const child = run({ HOST: '127.0.0.1', DATA_DIR: dataDir, AUTH_TOKENS: 'ok=fine-t0ken:read,ci=Sup3rSecret:rwite' })
    expect(child.status).toBe(1)
    const lines = child.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('AUTH_TOKENS entry 2 ("ci")')
    expect(child.stderr).not.toContain('Sup3rSecret')
    expect(await readdir(dataDir)).toEqual([])
  })
})
