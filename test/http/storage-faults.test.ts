import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { commitBody, sha256, textArtifact } from '../support/factories.js'
import { FaultyFs, type FaultCode, type FaultOptions, type FsStep } from '../support/faulty-fs.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

const SID = 's1'
const METRICS = 'quality_metrics.json'
const SUMMARY = 'notes/session_summary.txt'

let faults: FaultyFs
let t: TestLedger
beforeEach(async () => {
  faults = new FaultyFs()
  t = await startLedger({ fs: faults })
})
afterEach(async () => {
  await t.cleanup()
})

/**
 * A plain file's fsync happens before the 2xx only with PLAIN_VIEW_FLUSH_MS=0; batched (the default),
 * it happens after, in the flusher (test/ledger/plain-view-flush.test.ts).
 */
async function flushingEachPlainFile(): Promise<void> {
  await t.cleanup()
  t = await startLedger({ fs: faults, settings: { plainViewFlushMs: 0 } })
}

function post(body: unknown) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${SID}/commits`, payload: body as object })
}

function twoArtifacts(round: string) {
  return commitBody(textArtifact(METRICS, `{"round":"${round}"}`), textArtifact(SUMMARY, `summary of round ${round}\n`))
}

function plainFile(name: string): string {
  return join(t.dataDir, 'sessions', SID, ...name.split('/'))
}

/** Commits two rounds, so the session has history and both plain files exist; returns their bytes. */
async function seedCommittedVersions(): Promise<Record<string, string>> {
  for (const round of ['1', '2']) expect((await post(twoArtifacts(round))).statusCode).toBe(201)
  return { [METRICS]: '{"round":"2"}', [SUMMARY]: 'summary of round 2\n' }
}

async function tempFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((entry) => entry.name.startsWith('.tmp-')).map((entry) => join(entry.parentPath, entry.name))
}

async function expectPlainFiles(expected: Record<string, string>): Promise<void> {
  for (const [name, bytes] of Object.entries(expected)) expect(await readFile(plainFile(name), 'utf8')).toBe(bytes)
}

/** The failed request is a problem+json naming a `failed` commit, and nothing of it reached disk or the log. */
async function expectFailedCommit(
  res: Awaited<ReturnType<typeof post>>,
  expected: { status: number; code: string; step: string; errno: FaultCode },
  previous: Record<string, string>,
): Promise<void> {
  expect(res.statusCode).toBe(expected.status)
  expect(res.headers['content-type']).toContain('application/problem+json')
  const problem = res.json()
  expect(problem).toMatchObject({ status: expected.status, code: expected.code, step: expected.step, errno: expected.errno })
  expect(problem.commitId).toEqual(expect.any(String))
  expect(JSON.stringify(problem)).not.toContain(t.dataDir)

  const logged = (await t.app.inject(`/v1/commits/${problem.commitId}`)).json()
  expect(logged).toMatchObject({ sessionId: SID, state: 'failed', error: { code: expected.code, facts: { step: expected.step, errno: expected.errno } } })
  expect(logged.transitions.at(-1)).toMatchObject({ to: 'failed' })

  await expectPlainFiles(previous)
  const listing = (await t.app.inject(`/v1/sessions/${SID}/artifacts`)).json()
  expect(listing.artifacts.map((a: { name: string; version: number; sha256: string }) => [a.name, a.version, a.sha256]).sort()).toEqual(
    Object.entries(previous).map(([name, bytes]) => [name, 2, sha256(bytes)]).sort(),
  )
  expect(await tempFilesUnder(t.dataDir)).toEqual([])
  expect(faults.injected.length).toBeGreaterThan(0)
}

/** Once the fault clears the service keeps serving: a new commit lands and verify finds nothing wrong. */
async function expectServiceRecovers(): Promise<void> {
  faults.clear()
  const res = await post(twoArtifacts('3'))
  expect(res.statusCode).toBe(201)
  expect(res.json()).toMatchObject({ state: 'committed', artifacts: [{ name: METRICS, version: 3 }, { name: SUMMARY, version: 3 }] })
  await expectPlainFiles({ [METRICS]: '{"round":"3"}', [SUMMARY]: 'summary of round 3\n' })
  const verify = await t.app.inject({ method: 'POST', url: '/v1/verify' })
  expect(verify.statusCode).toBe(200)
  expect(verify.json()).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
}

interface CommitFault {
  title: string
  step: FsStep
  code: FaultCode
  options: FaultOptions
  status: number
  problemCode: string
  factsStep: string
  /** A fault of a plain file's fsync: it fails the commit only when each plain file is flushed before its 2xx. */
  plainFsync?: true
}

const isObjectPath = (path: string): boolean => path.includes('/objects/sha256/')
// A streamed upload, and a JSON commit's artifact kept as a file, is staged in objects/incoming as two
// copies, labelled by what they become.
const isStagedPlain = (path: string): boolean => path.includes('/objects/incoming/') && path.endsWith('.plain')
const isStagedObject = (path: string): boolean => path.includes('/objects/incoming/') && path.endsWith('.object')

const COMMIT_FAULTS: CommitFault[] = [
  {
    title: 'fsync EIO on the object write', step: 'fsync', code: 'EIO', options: { when: (path) => isObjectPath(path) || isStagedObject(path) },
    status: 500, problemCode: 'storage_fault', factsStep: 'fsync',
  },
  {
    title: 'fsync EIO on the plain file write', step: 'fsync', code: 'EIO', options: { when: (path) => path.includes(`/sessions/${SID}/notes/`) || isStagedPlain(path) },
    status: 500, problemCode: 'storage_fault', factsStep: 'fsync', plainFsync: true,
  },
  {
    // The second plain file fails after both were renamed into place: both must be put back.
    title: 'fsync EIO on a plain file\'s folder after its rename', step: 'fsyncDir', code: 'EIO',
    options: { times: 1, when: (path) => path.endsWith(`/sessions/${SID}/notes`) },
    status: 500, problemCode: 'storage_fault', factsStep: 'fsync-dir', plainFsync: true,
  },
  {
    title: 'rename EACCES of a plain file', step: 'rename', code: 'EACCES', options: { when: (path) => path.endsWith(`/sessions/${SID}/${SUMMARY}`) },
    status: 500, problemCode: 'storage_fault', factsStep: 'rename',
  },
  {
    // One object lands and one does not: the one that landed belongs to no commit and must go.
    title: 'rename EXDEV of one object', step: 'rename', code: 'EXDEV', options: { times: 1, when: isObjectPath },
    status: 500, problemCode: 'storage_fault', factsStep: 'rename',
  },
  {
    // Out of file handles is the host's limit, not the disk's: 503 to retry, and no storage fault.
    title: 'openTemp EMFILE', step: 'openTemp', code: 'EMFILE', options: { times: 1 },
    status: 503, problemCode: 'too_many_open_files', factsStep: 'open',
  },
  {
    title: 'write ENOSPC', step: 'write', code: 'ENOSPC', options: {},
    status: 507, problemCode: 'insufficient_storage', factsStep: 'write',
  },
]

describe('POST /v1/sessions/{sid}/commits when the disk fails', () => {
  it.each(COMMIT_FAULTS)('answers $status $problemCode on $title, logs a failed commit, keeps every plain file, and serves again once it clears', async (fault) => {
    if (fault.plainFsync === true) await flushingEachPlainFile()
    const previous = await seedCommittedVersions()
    faults.fail(fault.step, fault.code, fault.options)
    const res = await post(twoArtifacts('bad'))
    await expectFailedCommit(res, { status: fault.status, code: fault.problemCode, step: fault.factsStep, errno: fault.code }, previous)
    await expectServiceRecovers()
  })

  it('answers 500 read_back_mismatch when an object reads back different from what was written, and serves again after', async () => {
    const previous = await seedCommittedVersions()
    faults.corruptAfterRename({ times: 1, when: isObjectPath })
    const res = await post(twoArtifacts('bad'))
    expect(res.statusCode).toBe(500)
    expect(res.headers['content-type']).toContain('application/problem+json')
    const problem = res.json()
    expect(problem).toMatchObject({ code: 'read_back_mismatch', path: expect.stringMatching(/^objects\/sha256\//) })
    expect(problem.actual).not.toBe(problem.expected)
    const logged = (await t.app.inject(`/v1/commits/${problem.commitId}`)).json()
    expect(logged).toMatchObject({ state: 'failed', error: { code: 'read_back_mismatch' } })
    await expectPlainFiles(previous)
    await expectServiceRecovers()
  })

  it('puts back a plain file already replaced when a later file of the same commit fails', async () => {
    await flushingEachPlainFile()
    const previous = await seedCommittedVersions()
    faults.fail('fsyncDir', 'EIO', { times: 1, when: (path) => path.endsWith(`/sessions/${SID}/notes`) })
    const renamesBefore = faults.callsOf('rename').length
    const res = await post(twoArtifacts('bad'))
    expect(res.statusCode).toBe(500)
    // Both plain files got the new bytes before the second folder's fsync failed, and were then restored.
    const renamed = faults.callsOf('rename').slice(renamesBefore).map((call) => call.path)
    expect(renamed.filter((path) => path === plainFile(METRICS))).toHaveLength(2)
    expect(renamed.filter((path) => path === plainFile(SUMMARY))).toHaveLength(2)
    await expectPlainFiles(previous)
    const logged = (await t.app.inject(`/v1/commits/${res.json().commitId}`)).json()
    expect(logged).toMatchObject({ state: 'failed', error: { code: 'storage_fault' } })
  })
})

describe('PUT /v1/sessions/{sid}/artifacts/{name} when the disk fails', () => {
  function put(chunks: string[]) {
    return t.app.inject({
      method: 'PUT',
      url: `/v1/sessions/${SID}/artifacts/${SUMMARY}`,
      headers: { 'content-type': 'text/plain' },
      payload: Readable.from(chunks.map((chunk) => Buffer.from(chunk))),
    })
  }

  it('answers 500 storage_fault on an fsync fault while streaming, logs a failed commit, and keeps the plain file', async () => {
    const previous = await seedCommittedVersions()
    faults.fail('fsync', 'EIO', { when: (path) => path.includes('/objects/incoming/') })
    const res = await put(['streamed ', 'summary ', 'bytes\n'])
    expect(res.statusCode).toBe(500)
    expect(res.headers['content-type']).toContain('application/problem+json')
    const problem = res.json()
    expect(problem).toMatchObject({ code: 'storage_fault', step: 'fsync', errno: 'EIO' })
    const logged = (await t.app.inject(`/v1/commits/${problem.commitId}`)).json()
    expect(logged).toMatchObject({ sessionId: SID, state: 'failed', error: { code: 'storage_fault' } })
    await expectPlainFiles(previous)
    expect(await tempFilesUnder(t.dataDir)).toEqual([])
    // A fault while the upload is staged is a storage fault like any other: it stands until a probe write passes.
    expect(t.ledger.state.unrecoveredFault).toMatchObject({ code: 'storage_fault' })

    faults.clear()
    const retry = await put(['streamed ', 'summary ', 'bytes\n'])
    expect(retry.statusCode).toBe(201)
    expect(retry.json()).toMatchObject({ state: 'committed', artifacts: [{ name: SUMMARY, version: 3, sha256: sha256('streamed summary bytes\n') }] })
    await expectPlainFiles({ [METRICS]: previous[METRICS] ?? '', [SUMMARY]: 'streamed summary bytes\n' })
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true })
  })
})

describe('a streamed upload whose plain copy cannot be renamed into place', () => {
  it('answers 500, puts nothing in place, removes both staged copies and the unreferenced object', async () => {
    const previous = await seedCommittedVersions()
    const body = 'streamed bytes whose plain copy never lands\n'
    faults.fail('rename', 'EACCES', { when: (path) => path.endsWith(`/sessions/${SID}/${SUMMARY}`) })
    const res = await t.app.inject({
      method: 'PUT', url: `/v1/sessions/${SID}/artifacts/${SUMMARY}`, headers: { 'content-type': 'text/plain' },
      payload: Readable.from([Buffer.from(body)]),
    })
    expect(res.statusCode).toBe(500)
    expect(res.json()).toMatchObject({ code: 'storage_fault', step: 'rename', errno: 'EACCES' })
    // The object's copy was renamed into objects/ beside the failing one; the undo removes it again.
    expect(faults.callsOf('rename').some((call) => call.path.endsWith(sha256(body).slice(2)))).toBe(true)
    await expectPlainFiles(previous)
    expect(await tempFilesUnder(t.dataDir)).toEqual([])
    faults.clear()
    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(verify).toMatchObject({ ok: true, orphaned: [], missing: [], corrupt: [] })
  })
})

describe('a streamed upload whose copies read back wrong', () => {
  // The object copy is hashed on read-back; the plain copy is compared with it byte for byte.
  it.each([
    { copy: 'plain file', when: (path: string) => path.endsWith(`/sessions/${SID}/${SUMMARY}`), path: new RegExp(`^sessions/${SID}/`) },
    { copy: 'object', when: isObjectPath, path: /^objects\/sha256\// },
  ])('answers 500 read_back_mismatch naming the $copy, keeps the previous plain file and leaves no temp', async ({ when, path }) => {
    const previous = await seedCommittedVersions()
    faults.corruptAfterRename({ times: 1, when })
    const res = await t.app.inject({
      method: 'PUT', url: `/v1/sessions/${SID}/artifacts/${SUMMARY}`, headers: { 'content-type': 'text/plain' },
      payload: Readable.from([Buffer.from('streamed bytes the disk garbles\n')]),
    })
    expect(res.statusCode).toBe(500)
    const problem = res.json()
    expect(problem).toMatchObject({ code: 'read_back_mismatch', path: expect.stringMatching(path) })
    const logged = (await t.app.inject(`/v1/commits/${problem.commitId}`)).json()
    expect(logged).toMatchObject({ state: 'failed', error: { code: 'read_back_mismatch' } })
    await expectPlainFiles(previous)
    expect(await tempFilesUnder(t.dataDir)).toEqual([])
    const verify = (await t.app.inject({ method: 'POST', url: '/v1/verify', payload: { repair: false } })).json()
    expect(verify).toMatchObject({ ok: true, orphaned: [], missing: [], corrupt: [] })
  })
})

describe('a plain copy that cannot be opened while a streamed upload is staged', () => {
  it('answers 503 to retry, without leaving an unhandled stream error or a temp file, and serves on', async () => {
    const previous = await seedCommittedVersions()
    // EMFILE on the plain copy's temp: the object's temp is already open and must be closed and removed.
    faults.fail('openTemp', 'EMFILE', { when: isStagedPlain })
    const res = await t.app.inject({
      method: 'PUT', url: `/v1/sessions/${SID}/artifacts/${SUMMARY}`, headers: { 'content-type': 'text/plain' },
      payload: Readable.from([Buffer.from('streamed while the table is full\n')]),
    })
    expect(res.statusCode).toBe(503)
    expect(res.headers['retry-after']).toBe('1')
    expect(res.json()).toMatchObject({ code: 'too_many_open_files', errno: 'EMFILE' })
    faults.clear()
    await expectPlainFiles(previous)
    expect(await tempFilesUnder(t.dataDir)).toEqual([])
    expect((await post(twoArtifacts('after'))).statusCode).toBe(201)
  })
})

describe('GET /health/ready around a storage fault', () => {
  async function ready() {
    const res = await t.app.inject('/health/ready')
    return { status: res.statusCode, type: res.headers['content-type'], body: res.json() }
  }

  /** The ledger re-probes a write at most once a second, so readiness returns within a few short polls. */
  async function pollUntilReady(): Promise<{ status: number; polls: number; body: { checks: Record<string, { status: string }[]> } }> {
    let last = await ready()
    let polls = 1
    while (last.status !== 200 && polls < 8) {
      await sleep(400)
      last = await ready()
      polls++
    }
    return { status: last.status, polls, body: last.body }
  }

  it('answers 503 with storage:faults failing while an fsync fault is unrecovered, and 200 once it clears', async () => {
    await seedCommittedVersions()
    expect((await ready()).status).toBe(200)
    faults.fail('fsync', 'EIO')
    expect((await post(twoArtifacts('bad'))).statusCode).toBe(500)

    const faulty = await ready()
    expect(faulty.status).toBe(503)
    expect(faulty.type).toContain('application/health+json')
    expect(faulty.body.status).toBe('fail')
    expect(faulty.body.checks['storage:faults']).toEqual([expect.objectContaining({ status: 'fail', observedValue: 'storage_fault' })])
    // The probe write itself hits the fault: readiness does not clear on its own while the disk still fails.
    await sleep(1100)
    expect((await ready()).status).toBe(503)

    faults.clear()
    const recovered = await pollUntilReady()
    expect(recovered.status).toBe(200)
    expect(recovered.polls).toBeLessThanOrEqual(5)
    expect(recovered.body.checks['storage:faults']).toEqual([expect.objectContaining({ status: 'pass' })])
    expect((await post(twoArtifacts('3'))).statusCode).toBe(201)
  })

  it('stays 503 while a session cannot be put back in line, even though the probe write passes', async () => {
    await flushingEachPlainFile()
    const previous = await seedCommittedVersions()
    // Both plain files are replaced, the second folder's fsync fails, and so does putting them back
    // (every rename after the commit's own two): the folder differs from the log until a write works.
    faults.fail('fsyncDir', 'EIO', { times: 1, when: (path) => path.endsWith(`/sessions/${SID}/notes`) })
    faults.fail('rename', 'EIO', { skip: 2, when: (path) => path.includes(`/sessions/${SID}/`) })
    expect((await post(twoArtifacts('bad'))).statusCode).toBe(500)
    const onDisk = [await readFile(plainFile(METRICS), 'utf8'), await readFile(plainFile(SUMMARY), 'utf8')]
    expect(onDisk.filter((text) => text.includes('bad'))).toHaveLength(2)

    const faulty = await ready()
    expect(faulty.status).toBe(503)
    expect(faulty.body.checks['storage:faults']).toEqual([expect.objectContaining({ status: 'fail' })])
    expect(faults.callsOf('openTemp').some((call) => call.path.includes('/health/'))).toBe(true)
    await sleep(1100)
    expect((await ready()).status).toBe(503)

    faults.clear()
    expect((await pollUntilReady()).status).toBe(200)
    await expectPlainFiles(previous)
    expect(await tempFilesUnder(t.dataDir)).toEqual([])
    expect((await t.app.inject({ method: 'POST', url: '/v1/verify' })).json()).toMatchObject({ ok: true })
  })
})
