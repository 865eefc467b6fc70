import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openStorage } from '../../src/storage/open-storage.js'
import { sha256 } from '../support/factories.js'
import { SqliteFaults } from '../support/sqlite-faults.js'
import { makeDataDir, startLedger, type TestLedger } from '../support/start-ledger.js'
import { walk } from '../support/walk.js'

let t: TestLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

/** Leaves the data dir as a crash in the middle of a commit would: a pending row and half-done files. */
async function crashMidCommit(dataDir: string): Promise<void> {
  const { log } = openStorage(dataDir)
  await log.insertPending({
    id: '01900000-0000-7000-8000-000000000001', sessionId: 's1', message: null, metadata: null,
    artifacts: [
      { name: 'a.txt', sha256: sha256('new-a'), size: 5, mediaType: 'text/plain' },
      { name: 'fresh/b.txt', sha256: sha256('new-b'), size: 5, mediaType: 'text/plain' },
    ],
    newSessionDeadline: null,
  })
  await log.close()
  // The new bytes of a.txt reached the plain file, fresh/b.txt never committed, and temps were left.
  await writeFile(join(dataDir, 'sessions/s1/a.txt'), 'new-a')
  await mkdir(join(dataDir, 'sessions/s1/fresh'), { recursive: true })
  await writeFile(join(dataDir, 'sessions/s1/fresh/b.txt'), 'new-b')
  await writeFile(join(dataDir, 'sessions/s1/.tmp-deadbeef'), 'partial')
  const objectDir = join(dataDir, 'objects/sha256', sha256('new-b').slice(0, 2))
  await mkdir(objectDir, { recursive: true })
  await writeFile(join(objectDir, sha256('new-b').slice(2)), 'new-b')
  await writeFile(join(objectDir, '.tmp-cafe'), 'partial')
  await mkdir(join(dataDir, 'objects/incoming'), { recursive: true })
  await writeFile(join(dataDir, 'objects/incoming/.tmp-upload'), 'partial upload')
}

describe('start-up recovery', () => {
  it('aborts pending commits, removes temp files and restores plain files to the log', async () => {
    const dataDir = await makeDataDir()
    t = await startLedger({ dataDir })
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'old-a' }] } })
    await t.close()
    await crashMidCommit(dataDir)

    t = await startLedger({ dataDir })
    expect(t.ledger.state.lastRecovery).toMatchObject({ abortedCommits: 1, settledCommits: 1 })
    const aborted = (await t.app.inject('/v1/commits/01900000-0000-7000-8000-000000000001')).json()
    expect(aborted.state).toBe('aborted')
    expect(aborted.transitions.at(-1)).toMatchObject({ from: 'pending', to: 'aborted' })
    expect(await readFile(join(dataDir, 'sessions/s1/a.txt'), 'utf8')).toBe('old-a')
    expect(await readdir(join(dataDir, 'sessions/s1'))).toEqual(['a.txt'])
    expect(await readdir(join(dataDir, 'objects/incoming'))).toEqual([])
    expect(await readdir(join(dataDir, 'objects/sha256', sha256('new-b').slice(0, 2)))).toEqual([])
    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()
    expect(verify).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
    expect((await t.app.inject('/v1/commits?state=pending')).json().commits).toEqual([])
  })

  it('removes every temp file under the data dir, also in folders no unfinished commit names', async () => {
    const dataDir = await makeDataDir()
    t = await startLedger({ dataDir })
    const committed = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'deep/er/a.txt', text: 'kept' }] } })
    expect(committed.statusCode).toBe(201)
    await t.close()
    // Leftovers of failed commits whose own cleanup failed: the log owes these folders nothing.
    const sha = committed.json().artifacts[0].sha256 as string
    const leftovers = [
      'sessions/s1/deep/er/.tmp-0a1b2c', 'sessions/other/.tmp-3d4e5f', 'sessions/other/x/y/.tmp-607182.plain',
      `objects/sha256/${sha.slice(0, 2)}/.tmp-93a4b5`, 'objects/sha256/ff/.tmp-c6d7e8', 'objects/incoming/.tmp-f90a1b.object', 'health/.tmp-2c3d4e',
    ]
    for (const path of leftovers) {
      await mkdir(join(dataDir, path, '..'), { recursive: true })
      await writeFile(join(dataDir, path), 'partial')
    }

    t = await startLedger({ dataDir })
    expect(t.ledger.state.lastRecovery).toMatchObject({ abortedCommits: 0, removedTemps: leftovers.length })
    expect((await walk(dataDir)).filter((path) => path.split('/').some((segment) => segment.startsWith('.tmp-')))).toEqual([])
    expect(await readFile(join(dataDir, 'sessions/s1/deep/er/a.txt'), 'utf8')).toBe('kept')
  })

  it('answers 503 not_ready to commits and readiness until recovery has run', async () => {
    const dataDir = await makeDataDir()
    t = await startLedger({ dataDir })
    t.ledger.state.phase = 'recovering'
    const ready = await t.app.inject('/health/ready')
    expect(ready.statusCode).toBe(503)
    expect(ready.headers['content-type']).toContain('application/health+json')
    expect(ready.json().checks['recovery'][0].status).toBe('fail')
    const commit = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a', text: 'x' }] } })
    expect(commit.statusCode).toBe(503)
    expect(commit.json().code).toBe('not_ready')
    t.ledger.state.phase = 'ready'
    expect((await t.app.inject('/health/ready')).statusCode).toBe(200)
  })
})

describe('verify', () => {
  it('reports a corrupt object, a plain file that differs and a stray file without touching them when repair is false', async () => {
    t = await startLedger()
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'good' }, { name: 'b.txt', text: 'also good' }] } })
    const [a] = res.json().artifacts
    await writeFile(join(t.dataDir, 'objects/sha256', a.sha256.slice(0, 2), a.sha256.slice(2)), 'evil')
    await writeFile(join(t.dataDir, 'sessions/s1/b.txt'), 'tampered')
    await writeFile(join(t.dataDir, 'sessions/s1/stray.txt'), 'who wrote me')
    const report = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { sessionId: 's1', repair: false } })).json()
    expect(report.ok).toBe(false)
    expect(report.corrupt).toEqual(expect.arrayContaining([
      expect.objectContaining({ kind: 'object', sha256: a.sha256 }),
      expect.objectContaining({ kind: 'plain', path: 'sessions/s1/b.txt' }),
    ]))
    expect(report.orphaned).toEqual([expect.objectContaining({ path: 'sessions/s1/stray.txt' })])
    expect(report.repaired).toEqual([])
    expect(await readFile(join(t.dataDir, 'sessions/s1/b.txt'), 'utf8')).toBe('tampered')
    // Known-corrupt bytes are never served as good.
    const get = await t.app.inject('/v1/sessions/s1/artifacts/a.txt')
    expect(get.statusCode).toBe(500)
    expect(get.json().code).toBe('object_corrupt')
  })

  it('repairs a plain file from its intact object, still reporting what it found', async () => {
    t = await startLedger()
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'good' }, { name: 'b.txt', text: 'also good' }] } })
    await writeFile(join(t.dataDir, 'sessions/s1/b.txt'), 'tampered')
    const report = (await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()
    const finding = { kind: 'plain', path: 'sessions/s1/b.txt', actualSha256: sha256('tampered'), repaired: true }
    expect(report).toMatchObject({ ok: false, missing: [], orphaned: [] })
    expect(report.corrupt).toEqual([expect.objectContaining(finding)])
    expect(report.repaired).toEqual([expect.objectContaining(finding)])
    expect(await readFile(join(t.dataDir, 'sessions/s1/b.txt'), 'utf8')).toBe('also good')
    // Once repaired, a second run finds nothing.
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true, corrupt: [], repaired: [] })
  })

  it('reports a corrupt object and rebuilds it from an intact plain copy only when asked to', async () => {
    t = await startLedger()
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'good' }] } })
    const [a] = res.json().artifacts
    const objectPath = join(t.dataDir, 'objects/sha256', a.sha256.slice(0, 2), a.sha256.slice(2))
    await writeFile(objectPath, 'evil')
    const found = (await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()
    expect(found.corrupt).toEqual([expect.objectContaining({ kind: 'object', sha256: a.sha256 })])
    expect(found.repaired).toEqual([])
    expect(await readFile(objectPath, 'utf8')).toBe('evil')

    const rebuilt = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repairObjects: true } })).json()
    expect(rebuilt.repaired).toEqual([expect.objectContaining({ kind: 'object', sha256: a.sha256, repaired: true })])
    expect(await readFile(objectPath, 'utf8')).toBe('good')
    expect((await t.app.inject('/v1/sessions/s1/artifacts/a.txt')).body).toBe('good')
  })

  it('never serves an object whose bytes and plain copy are both bad', async () => {
    t = await startLedger()
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'good' }] } })
    const [a] = res.json().artifacts
    await writeFile(join(t.dataDir, 'objects/sha256', a.sha256.slice(0, 2), a.sha256.slice(2)), 'evil')
    await writeFile(join(t.dataDir, 'sessions/s1/a.txt'), 'also evil')
    // Unverified reads of small objects hash before sending: no verify run is needed to refuse them.
    const get = await t.app.inject('/v1/sessions/s1/artifacts/a.txt')
    expect(get.statusCode).toBe(500)
    expect(get.json().code).toBe('object_corrupt')
    const report = (await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()
    expect(report.ok).toBe(false)
    expect(report.corrupt).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'object', sha256: a.sha256 })]))
  })

  it('answers 404 for verifying a session that does not exist', async () => {
    t = await startLedger()
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify?session=ghost' })).statusCode).toBe(404)
  })
})

describe('a full database', () => {
  it('answers 507 insufficient_storage, keeps the plain files, and commits again once there is room', async () => {
    const sqlite = new SqliteFaults()
    t = await startLedger({ storage: sqlite.open })
    const post = (text: string) => t!.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text }] } })
    expect((await post('before')).statusCode).toBe(201)
    // A real SQLITE_FULL: the database may not grow past the pages it has now.
    sqlite.fill()
    let full
    for (let i = 0; i < 1000 && full === undefined; i++) {
      const res = await post(`fill ${i}`)
      if (res.statusCode !== 201) full = res
    }
    expect(full?.statusCode).toBe(507)
    expect(full?.headers['content-type']).toContain('application/problem+json')
    expect(full?.json()).toMatchObject({ code: 'insufficient_storage', errno: 'SQLITE_FULL' })
    // The plain file still holds the latest committed version, whatever the log could not take.
    const latest = await t.app.inject('/v1/sessions/s1/artifacts/a.txt')
    expect(await readFile(join(t.dataDir, 'sessions/s1/a.txt'), 'utf8')).toBe(latest.body)
    sqlite.makeRoom()
    expect((await post('after')).statusCode).toBe(201)
    expect(await readFile(join(t.dataDir, 'sessions/s1/a.txt'), 'utf8')).toBe('after')
  })
})

describe('recovery that cannot finish', () => {
  it('still serves other sessions and reports the fault until the session can be reconciled', async () => {
    const dataDir = await makeDataDir()
    t = await startLedger({ dataDir })
    const first = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'old' }] } })
    await t.close()
    await crashMidCommit(dataDir)
    // The object recovery would restore a.txt from is gone: the plain file cannot be put back.
    const old = first.json().artifacts[0].sha256
    await writeFile(join(dataDir, 'objects/sha256', old.slice(0, 2), old.slice(2)), 'corrupted')

    t = await startLedger({ dataDir })
    expect(t.ledger.state.phase).toBe('ready')
    const ready = await t.app.inject('/health/ready')
    expect(ready.statusCode).toBe(503)
    expect(ready.json().checks['storage:faults'][0].status).toBe('fail')
    expect((await t.app.inject({ method: 'POST', url: '/v1/sessions/s2/commits', payload: { artifacts: [{ name: 'b', text: 'fine' }] } })).statusCode).toBe(201)
    expect((await t.app.inject('/v1/commits/01900000-0000-7000-8000-000000000001')).json().state).toBe('aborted')
  })
})

describe('leftovers a crash can leave', () => {
  it('removes the empty folders of a new nested name, so the same name can later be a file', async () => {
    const dataDir = await makeDataDir()
    t = await startLedger({ dataDir })
    await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a.txt', text: 'old-a' }] } })
    await t.close()
    await crashMidCommit(dataDir)
    // The crash came while fresh/b.txt was still a temp file: only the folder and the temp exist.
    await rm(join(dataDir, 'sessions/s1/fresh/b.txt'))
    await writeFile(join(dataDir, 'sessions/s1/fresh/.tmp-half'), 'half')

    t = await startLedger({ dataDir })
    expect(await readdir(join(dataDir, 'sessions/s1'))).toEqual(['a.txt'])
    const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'fresh', text: 'now a file' }] } })
    expect(res.statusCode).toBe(201)
    expect((await t.app.inject('/health/ready')).statusCode).toBe(200)
  })
})

describe('verify while commits go on', () => {
  it('reports no orphans for objects and files that commits create during the walk', async () => {
    t = await startLedger()
    const writers = Array.from({ length: 30 }, (_, i) => t!.app.inject({
      method: 'POST', url: `/v1/sessions/s${i % 3}/commits`, payload: { artifacts: [{ name: `n/${i % 5}.txt`, text: `v${i}` }] },
    }))
    const verifies = [0, 1, 2].map(() => t!.app.inject({ method: 'POST', url: '/v1/verify' }))
    const results = await Promise.all([...writers, ...verifies])
    for (const res of results.slice(0, 30)) expect(res.statusCode).toBe(201)
    for (const res of results.slice(30)) expect(res.json()).toMatchObject({ ok: true, orphaned: [], missing: [], corrupt: [] })
  })
})
