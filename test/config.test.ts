import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'

describe('loadConfig', () => {
  it('defaults to 127.0.0.1:8080 with data in ./data', () => {
    const config = loadConfig({})
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8080, logLevel: 'info' })
    expect(config.dataDir).toBe(`${process.cwd()}/data`)
  })

  it('reads numbers and names from the environment', () => {
    expect(loadConfig({ PORT: '9000', MAX_ARTIFACT_BYTES: '1024', LOG_LEVEL: 'debug' })).toMatchObject({ port: 9000, maxArtifactBytes: 1024, logLevel: 'debug' })
  })

  it('keeps every version by default, and reads the retention defaults and the expiry sweep from the environment', () => {
    expect(loadConfig({})).toMatchObject({ retention: {}, expiryIntervalMs: 5000, expiryBatchSize: 1000, plainViewFlushMs: 100 })
    expect(loadConfig({ PLAIN_VIEW_FLUSH_MS: '0' })).toMatchObject({ plainViewFlushMs: 0 })
    // A day unless set: a replica starting leaves alone any upload in the shared bucket younger than that.
    expect(loadConfig({})).toMatchObject({ objectStoreLeftoverAgeMs: 24 * 60 * 60 * 1000 })
    expect(loadConfig({ OBJECT_STORE_LEFTOVER_AGE_MS: '0' })).toMatchObject({ objectStoreLeftoverAgeMs: 0 })
    expect(loadConfig({ RETENTION_KEEP_VERSIONS: '3', RETENTION_DELETE_AFTER_DAYS: '90', EXPIRY_INTERVAL_MS: '0', EXPIRY_BATCH_SIZE: '50' }))
      .toMatchObject({ retention: { keepVersions: 3, deleteAfterDays: 90 }, expiryIntervalMs: 0, expiryBatchSize: 50 })
  })

  it('streams events with a 15 s heartbeat to at most 64 subscribers by default, both set from the environment', () => {
    expect(loadConfig({})).toMatchObject({ eventsHeartbeatMs: 15_000, maxEventSubscribers: 64 })
    expect(loadConfig({ EVENTS_HEARTBEAT_MS: '250', MAX_EVENT_SUBSCRIBERS: '2' })).toMatchObject({ eventsHeartbeatMs: 250, maxEventSubscribers: 2 })
  })

  it('keeps artifacts of up to 32 KiB inside ledger.db by default; 0 keeps every one a file', () => {
    expect(loadConfig({})).toMatchObject({ inlineObjectMaxBytes: 32 * 1024 })
    expect(loadConfig({ INLINE_OBJECT_MAX_BYTES: '0' })).toMatchObject({ inlineObjectMaxBytes: 0 })
  })

  it.each([
    [{ INLINE_OBJECT_MAX_BYTES: '-1' }, 'INLINE_OBJECT_MAX_BYTES'],
    [{ INLINE_OBJECT_MAX_BYTES: String(2 * 1024 * 1024) }, 'INLINE_OBJECT_MAX_BYTES'],
    [{ MAX_EVENT_SUBSCRIBERS: '0' }, 'MAX_EVENT_SUBSCRIBERS'],
    [{ EVENTS_HEARTBEAT_MS: 'often' }, 'EVENTS_HEARTBEAT_MS'],
    [{ RETENTION_KEEP_VERSIONS: '0' }, 'RETENTION_KEEP_VERSIONS'],
    [{ RETENTION_DELETE_AFTER_DAYS: 'forever' }, 'RETENTION_DELETE_AFTER_DAYS'],
    [{ EXPIRY_BATCH_SIZE: '0' }, 'EXPIRY_BATCH_SIZE'],
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ BODY_LIMIT_BYTES: '-5' }, 'BODY_LIMIT_BYTES'],
  ])('refuses %j with a message naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError)
    expect(() => loadConfig(env)).toThrow(new RegExp(`${name}=`))
  })

  it('stops the built server with one line naming the bad variable', () => {
    const run = spawnSync(process.execPath, ['dist/main.js'], { env: { ...process.env, PORT: 'nope' }, encoding: 'utf8', timeout: 20_000 })
    expect(run.status).toBe(1)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toContain('PORT="nope"')
  })
})
