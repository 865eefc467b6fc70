// Small artifacts kept inside ledger.db (INLINE_OBJECT_MAX_BYTES), large ones as files: the same API,
// ranges, verify and GC over both; a damaged row is caught by hashing (SQLite keeps no page checksums).
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { StorageFault } from '../../src/domain/errors.js'
import type { LedgerPorts } from '../../src/domain/ports.js'
import { openStorage } from '../../src/storage/open-storage.js'
import { INLINE_OBJECTS_TABLE, objectFile } from '../support/layout.js'
import { startLedger, type StartOptions, type TestLedger } from '../support/start-ledger.js'

const INLINE_MAX = 1024

let t: TestLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

function startInline(options: StartOptions = {}): Promise<TestLedger> {
  return startLedger({ ...options, storage: (dir, fs) => openStorage(dir, fs, { inlineObjectMaxBytes: INLINE_MAX }) })
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false)
}

/** The rows of inline_objects, read through a connection of its own, as another process would. */
function inlineDigests(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'ledger.db'), { readonly: true })
  try {
    return db.prepare(`SELECT sha256 FROM ${INLINE_OBJECTS_TABLE} ORDER BY sha256`).pluck().all() as string[]
  } finally {
    db.close()
  }
}

async function commit(ledger: TestLedger, sessionId: string, artifacts: Record<string, string>): Promise<Record<string, string>> {
  const res = await ledger.app.inject({
    method: 'POST', url: `/v1/sessions/${sessionId}/commits`,
    payload: { artifacts: Object.entries(artifacts).map(([name, text]) => ({ name, text })) },
  })
  expect(res.statusCode, res.body).toBe(201)
  return Object.fromEntries((res.json().artifacts as { name: string; sha256: string }[]).map((a) => [a.name, a.sha256]))
}

describe('artifacts inside ledger.db', () => {
  const small = 'small and inline\n'.repeat(10)
  const large = 'large, a file under objects/\n'.repeat(100)

  it('keeps a small artifact as a row and a large one as a file, both readable whole and by range, verify clean', async () => {
    t = await startInline()
    const digests = await commit(t, 's1', { 'small.txt': small, 'large.txt': large })
    const [smallSha = '', largeSha = ''] = [digests['small.txt'], digests['large.txt']]

    expect(inlineDigests(t.dataDir)).toEqual([smallSha])
    expect(await exists(objectFile(t.dataDir, smallSha))).toBe(false)
    expect(await exists(objectFile(t.dataDir, largeSha))).toBe(true)

    for (const [name, text] of [['small.txt', small], ['large.txt', large]] as const) {
      expect((await t.app.inject(`/v1/sessions/s1/artifacts/${name}`)).body).toBe(text)
      const range = await t.app.inject({ url: `/v1/sessions/s1/artifacts/${name}`, headers: { range: 'bytes=5-19' } })
      expect(range.statusCode).toBe(206)
      expect(range.body).toBe(text.slice(5, 20))
      expect(range.headers['content-range']).toBe(`bytes 5-19/${text.length}`)
    }
    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(verify).toMatchObject({ ok: true, checked: { objects: 2 }, missing: [], corrupt: [], orphaned: [] })
    // The objects counters count both, wherever their bytes are.
    expect((await t.app.inject('/v1/status')).json()).toMatchObject({ storage: { objectCount: 2, objectBytes: small.length + large.length } })
  })

  it('answers 500 object_corrupt for a row damaged while the service was stopped, and verify reports it', async () => {
    t = await startInline()
    const { 'small.txt': sha256 = '' } = await commit(t, 's1', { 'small.txt': small })
    await t.close()
    // A bad disk under the real file: same length, one byte different, and SQLite notices nothing.
    const db = new Database(join(t.dataDir, 'ledger.db'))
    const changed = db.prepare(`UPDATE ${INLINE_OBJECTS_TABLE} SET bytes = CAST(? AS BLOB) WHERE sha256 = ?`)
      .run(`X${small.slice(1)}`, sha256).changes
    db.close()
    expect(changed).toBe(1)

    const dataDir = t.dataDir
    t = await startInline({ dataDir })
    const read = await t.app.inject('/v1/sessions/s1/artifacts/small.txt')
    expect(read.statusCode).toBe(500)
    expect(read.json()).toMatchObject({ code: 'object_corrupt', sha256 })
    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(verify.ok).toBe(false)
    expect(verify.corrupt).toEqual([expect.objectContaining({ kind: 'object', sha256, path: `ledger.db:inline_objects/${sha256}` })])
    // The background scrub is the same check: it finds the row too.
    expect(await t.ledger.runScrub()).toMatchObject({ ok: false, corrupt: 1, checkedObjects: 1 })
  })

  it('repairs a damaged row from the plain file when verify is asked to', async () => {
    t = await startInline()
    const { 'small.txt': sha256 = '' } = await commit(t, 's1', { 'small.txt': small })
    const db = new Database(join(t.dataDir, 'ledger.db'))
    db.prepare(`UPDATE ${INLINE_OBJECTS_TABLE} SET bytes = x'00' WHERE sha256 = ?`).run(sha256)
    db.close()

    const repaired = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false, repairObjects: true } })).json()
    expect(repaired.corrupt).toEqual([expect.objectContaining({ sha256, repaired: true })])
    expect((await t.app.inject('/v1/sessions/s1/artifacts/small.txt')).body).toBe(small)
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()).toMatchObject({ ok: true })
  })

  it('garbage collection reclaims the row of an expired version', async () => {
    t = await startInline({ settings: { gcGraceSeconds: 0 } })
    const { 'a.txt': first = '' } = await commit(t, 's1', { 'a.txt': 'first version' })
    const { 'a.txt': second = '' } = await commit(t, 's1', { 'a.txt': 'second version' })
    expect(inlineDigests(t.dataDir)).toEqual([first, second].sort())
    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/s1', payload: { retention: { keepVersions: 1 } } })).statusCode).toBe(200)
    expect(await t.ledger.runExpiry()).toBe(1)

    const run = (await t.app.inject({ method: 'POST', url: '/v1/gc' })).json()
    expect(run).toMatchObject({ ok: true, reclaimedObjects: 1, reclaimedBytes: 'first version'.length })
    expect(inlineDigests(t.dataDir)).toEqual([second])
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).body).toBe('second version')
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()).toMatchObject({ ok: true, orphaned: [] })
  })

  // The object's row rides in the pending entry's transaction: one WAL fsync for both (docs/performance.md).
  it("writes a small commit's row in the same transaction as its pending entry", async () => {
    const rowsWhenPendingDurable: string[][] = []
    let dataDir = ''
    t = await startLedger({
      storage: (dir, fs) => {
        dataDir = dir
        const ports = openStorage(dir, fs, { inlineObjectMaxBytes: INLINE_MAX })
        const insertPending = ports.log.insertPending.bind(ports.log)
        const log: LedgerPorts['log'] = Object.assign(Object.create(ports.log) as LedgerPorts['log'], {
          insertPending: async (...args: Parameters<typeof insertPending>) => {
            const seq = await insertPending(...args)
            // Durable now; read as another process would, before anything else of the commit has run.
            rowsWhenPendingDurable.push(inlineDigests(dataDir))
            return seq
          },
        })
        return { ...ports, log }
      },
    })
    const { 'small.txt': sha256 = '', 'large.txt': largeSha = '' } = await commit(t, 's1', { 'small.txt': small, 'large.txt': large })
    expect(rowsWhenPendingDurable).toEqual([[sha256]])
    expect(inlineDigests(t.dataDir)).not.toContain(largeSha)
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()).toMatchObject({ ok: true, orphaned: [] })
  })

  it('removes the row it wrote beside a pending entry the log refused', async () => {
    t = await startLedger({
      storage: (dir, fs) => {
        const ports = openStorage(dir, fs, { inlineObjectMaxBytes: INLINE_MAX })
        const log: LedgerPorts['log'] = Object.assign(Object.create(ports.log) as LedgerPorts['log'], {
          insertPending: () => Promise.reject(new StorageFault('the log refused the pending entry (injected)')),
        })
        return { ...ports, log }
      },
    })
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'small.txt', text: small }] } })
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(500)
    const sha256 = createHash('sha256').update(small).digest('hex')
    expect(inlineDigests(t.dataDir)).not.toContain(sha256)
  })
})
