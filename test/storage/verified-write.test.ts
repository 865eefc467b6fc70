import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TooManyOpenFiles, InsufficientStorage, PayloadTooLarge, ReadBackMismatch, ClientDisconnected, StorageFault, type LedgerError } from '../../src/domain/errors.js'
import { placeStaged, readBackCopies, stageCopies, writeVerified } from '../../src/storage/files/verified-write.js'
import { sha256 } from '../support/factories.js'
import { FaultyFs, type FaultCode, type FsStep } from '../support/faulty-fs.js'
import { realFs, type DurableFs } from '../../src/storage/files/fs-seam.js'

const OLD = 'previous committed bytes\n'
const NEW = 'the new bytes, all of them\n'

let root: string
let fs: FaultyFs
let target: string

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'verified-write-test-'))
  fs = new FaultyFs()
  target = join(root, 'sessions', 's1', 'report.txt')
})
afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function seedTarget(): Promise<void> {
  await mkdir(dirname(target), { recursive: true })
  await writeFile(target, OLD)
}

async function tempFilesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.startsWith('.tmp-'))
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return []
    throw error
  }
}

async function contentOf(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined
    throw error
  }
}

/** Settles the write and hands back what it rejected with; a write that resolves fails the test. */
async function rejectionOf(write: Promise<unknown>): Promise<LedgerError> {
  const outcome = await write.then(
    (value) => ({ resolved: true as const, value }),
    (error: unknown) => ({ resolved: false as const, error }),
  )
  if (outcome.resolved) throw new Error(`expected the write to reject, it resolved with ${JSON.stringify(outcome.value)}`)
  return outcome.error as LedgerError
}

async function* chunks(...parts: (string | Uint8Array | Error)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) {
    if (part instanceof Error) throw part
    yield Buffer.from(part)
  }
}

interface StepFault {
  step: FsStep
  code: FaultCode
  errorClass: typeof StorageFault | typeof InsufficientStorage | typeof TooManyOpenFiles
  errorCode: string
  factsStep: string
}

const BEFORE_RENAME: StepFault[] = [
  { step: 'openTemp', code: 'EMFILE', errorClass: TooManyOpenFiles, errorCode: 'too_many_open_files', factsStep: 'open' },
  { step: 'write', code: 'EIO', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'write' },
  { step: 'write', code: 'ENOSPC', errorClass: InsufficientStorage, errorCode: 'insufficient_storage', factsStep: 'write' },
  { step: 'write', code: 'EDQUOT', errorClass: InsufficientStorage, errorCode: 'insufficient_storage', factsStep: 'write' },
  { step: 'fsync', code: 'EIO', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'fsync' },
  { step: 'fsync', code: 'ENOSPC', errorClass: InsufficientStorage, errorCode: 'insufficient_storage', factsStep: 'fsync' },
  { step: 'close', code: 'EIO', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'close' },
  { step: 'rename', code: 'EACCES', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'rename' },
  { step: 'rename', code: 'EXDEV', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'rename' },
]

function expectInjectedFailure(error: LedgerError, fault: StepFault): void {
  expect(error).toBeInstanceOf(fault.errorClass)
  expect(error.code).toBe(fault.errorCode)
  expect(error.facts).toMatchObject({ step: fault.factsStep, errno: fault.code })
  // The error carries the very fault the disk raised: nothing in between swallowed or replaced it.
  expect(fs.injected).toHaveLength(1)
  expect(error.cause).toBe(fs.injected[0])
  // Paths in errors are relative to the data dir: the host's layout never leaks to a caller.
  expect(String(error.facts['path'])).not.toContain(root)
  expect(error.message).not.toContain(root)
}

describe('writeVerified when a step before the rename fails', () => {
  it.each(BEFORE_RENAME)('rejects on $step $code with $errorCode, leaves no temp file and keeps the previous bytes', async (fault) => {
    await seedTarget()
    fs.fail(fault.step, fault.code)
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expectInjectedFailure(error, fault)
    expect(await tempFilesIn(dirname(target))).toEqual([])
    expect(await contentOf(target)).toBe(OLD)
  })

  it.each(BEFORE_RENAME)('rejects on $step $code with $errorCode and creates no target when there was none', async (fault) => {
    await mkdir(dirname(target), { recursive: true })
    fs.fail(fault.step, fault.code)
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expectInjectedFailure(error, fault)
    expect(await readdir(dirname(target))).toEqual([])
  })

  it('rejects on mkdirp EACCES with storage_fault when the folder is missing, and creates nothing', async () => {
    fs.fail('mkdirp', 'EACCES')
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expectInjectedFailure(error, { step: 'mkdirp', code: 'EACCES', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'mkdir' })
    expect(await readdir(root)).toEqual([])
  })

  it('opens the temp file without a mkdir when its folder exists, and creates the folder only when the open says it is missing', async () => {
    await seedTarget()
    await writeVerified(target, Buffer.from(NEW), { fs, root })
    expect(fs.callsOf('mkdirp')).toEqual([])
    const fresh = join(root, 'sessions', 's2', 'deeper', 'report.txt')
    await writeVerified(fresh, Buffer.from(NEW), { fs, root })
    // The optimistic open failed, the folders were created and made durable, and the open ran once more.
    expect(fs.calls.filter((call) => call.path.includes('s2')).map((call) => call.step).slice(0, 3)).toEqual(['openTemp', 'mkdirp', 'fsyncDir'])
    expect(fs.callsOf('openTemp').filter((call) => call.path.includes('s2'))).toHaveLength(2)
    expect(await readFile(fresh, 'utf8')).toBe(NEW)
  })

  it('rejects with fsync-dir when the folder it just created cannot be made durable, before anything is renamed', async () => {
    fs.fail('fsyncDir', 'EIO')
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expectInjectedFailure(error, { step: 'fsyncDir', code: 'EIO', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'fsync-dir' })
    // Only the first, optimistic open, which found no folder: no temp file was created.
    expect(fs.callsOf('openTemp')).toHaveLength(1)
    expect(fs.callsOf('rename')).toEqual([])
    expect(await contentOf(target)).toBeUndefined()
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })

  it('never retries a failed fsync on the same file: a retry starts over with a fresh temp file', async () => {
    await seedTarget()
    fs.fail('fsync', 'EIO', { times: 1 })
    await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expect(fs.callsOf('fsync')).toHaveLength(1)
    const failedTemp = fs.callsOf('openTemp')[0]?.path

    const written = await writeVerified(target, Buffer.from(NEW), { fs, root })
    expect(written.sha256).toBe(sha256(NEW))
    const retryTemp = fs.callsOf('openTemp')[1]?.path
    expect(retryTemp).toBeDefined()
    expect(retryTemp).not.toBe(failedTemp)
    expect(fs.callsOf('fsync').map((call) => call.path)).toEqual([failedTemp, retryTemp])
    expect(await contentOf(target)).toBe(NEW)
  })

  it('keeps the original error when even the temp file cannot be removed, and names the temp left behind', async () => {
    await seedTarget()
    fs.fail('fsync', 'EIO')
    fs.fail('unlink', 'EACCES')
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expect(error).toBeInstanceOf(StorageFault)
    expect(error.facts).toMatchObject({ step: 'fsync', errno: 'EIO' })
    expect(error.cause).toBe(fs.injected[0])
    const leftover = await tempFilesIn(dirname(target))
    expect(leftover).toHaveLength(1)
    expect(error).toMatchObject({ tempLeftBehind: join(dirname(target), leftover[0] ?? ''), cleanupErrno: 'EACCES' })
    expect(await contentOf(target)).toBe(OLD)
  })
})

describe('writeVerified when a step at or after the rename fails', () => {
  it('rejects with fsync-dir when the folder cannot be synced after the rename, leaving no temp file', async () => {
    await seedTarget()
    fs.fail('fsyncDir', 'EIO')
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expectInjectedFailure(error, { step: 'fsyncDir', code: 'EIO', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'fsync-dir' })
    expect(fs.callsOf('rename')).toHaveLength(1)
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })

  it('rejects with read-back when the file cannot be opened again after the rename', async () => {
    await seedTarget()
    fs.fail('openRead', 'EIO')
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expectInjectedFailure(error, { step: 'openRead', code: 'EIO', errorClass: StorageFault, errorCode: 'storage_fault', factsStep: 'read-back' })
    expect(fs.callsOf('rename')).toHaveLength(1)
    expect(fs.callsOf('openRead').map((call) => call.path)).toEqual([target])
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })

  it('rejects with read_back_mismatch when the bytes on disk are not the bytes written', async () => {
    await seedTarget()
    fs.corruptAfterRename()
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root }))
    expect(error).toBeInstanceOf(ReadBackMismatch)
    expect(error.code).toBe('read_back_mismatch')
    expect(error.facts).toMatchObject({ path: 'sessions/s1/report.txt', expected: sha256(NEW) })
    expect(error.facts['actual']).toBe(sha256(await readFile(target)))
    expect(error.facts['actual']).not.toBe(sha256(NEW))
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })

  it('rejects with read_back_mismatch when an empty file reads back with bytes in it', async () => {
    fs.corruptAfterRename()
    const error = await rejectionOf(writeVerified(target, new Uint8Array(0), { fs, root }))
    expect(error).toBeInstanceOf(ReadBackMismatch)
    expect(error.facts).toMatchObject({ expected: sha256(''), actual: sha256(await readFile(target)) })
  })
})

describe('writeVerified on the success path', () => {
  it('resolves with the path, sha256 and size once the bytes are durable and read back', async () => {
    await seedTarget()
    const written = await writeVerified(target, Buffer.from(NEW), { fs, root })
    expect(written).toEqual({ path: target, sha256: sha256(NEW), size: Buffer.byteLength(NEW) })
    expect(await readFile(target, 'utf8')).toBe(NEW)
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })

  it('takes the durable steps in order: temp, write, fsync, close, rename, fsync the folder, read back', async () => {
    await seedTarget()
    await writeVerified(target, Buffer.from(NEW), { fs, root })
    const steps = fs.calls.map((call) => call.step).filter((step) => step !== 'mkdirp')
    expect(steps).toEqual(['openTemp', 'write', 'fsync', 'close', 'rename', 'fsyncDir', 'openRead'])
    const temp = fs.callsOf('openTemp')[0]?.path ?? ''
    expect(dirname(temp)).toBe(dirname(target))
    expect(fs.callsOf('fsync')[0]?.path).toBe(temp)
    expect(fs.callsOf('fsyncDir')[0]?.path).toBe(dirname(target))
  })

  it('writes small streamed chunks as one batch and hashes all of it', async () => {
    const written = await writeVerified(target, chunks('the new ', 'bytes, ', 'all of them\n'), { fs, root })
    expect(written).toEqual({ path: target, sha256: sha256(NEW), size: Buffer.byteLength(NEW) })
    expect(await readFile(target, 'utf8')).toBe(NEW)
    expect(fs.callsOf('write')).toHaveLength(1)
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })

  it('writes a large streamed source in batches of about 1 MiB, each chunk exactly once', async () => {
    const parts = Array.from({ length: 40 }, (_, i) => Buffer.alloc(100 * 1024, i))
    const whole = Buffer.concat(parts)
    const written = await writeVerified(target, chunks(...parts), { fs, root })
    expect(written).toEqual({ path: target, sha256: sha256(whole), size: whole.byteLength })
    expect((await readFile(target)).equals(whole)).toBe(true)
    // 40 × 100 KiB = 4,000 KiB: three full batches of 1,100 KiB (11 chunks) and the 700 KiB rest.
    expect(fs.callsOf('write')).toHaveLength(4)
  })

  it('fsyncs every folder it creates in its parent', async () => {
    await writeVerified(target, Buffer.from(NEW), { fs, root })
    expect(fs.callsOf('fsyncDir').map((call) => call.path)).toEqual([
      join(root, 'sessions'), root, join(root, 'sessions', 's1'),
    ])
  })
})

describe('writeVerified with a failing source or a size limit', () => {
  it('rejects with the source error when a streamed source throws midway, leaving no temp and the target untouched', async () => {
    await seedTarget()
    const hangUp = new Error('socket hang up')
    const error = await rejectionOf(writeVerified(target, chunks(Buffer.alloc(1 << 20, 1), 'the new ', hangUp), { fs, root }))
    expect(error).toBe(hangUp)
    expect(fs.callsOf('write')).toHaveLength(1)
    expect(fs.callsOf('rename')).toEqual([])
    expect(await tempFilesIn(dirname(target))).toEqual([])
    expect(await contentOf(target)).toBe(OLD)
  })

  it('reports a source error as the failure sourceFailure maps it to', async () => {
    await seedTarget()
    const hangUp = new Error('socket hang up')
    const error = await rejectionOf(writeVerified(target, chunks('the new ', hangUp), {
      fs, root, sourceFailure: (cause) => new ClientDisconnected('the body ended early', {}, { cause }),
    }))
    expect(error).toBeInstanceOf(ClientDisconnected)
    expect(error.cause).toBe(hangUp)
    expect(await tempFilesIn(dirname(target))).toEqual([])
    expect(await contentOf(target)).toBe(OLD)
  })

  it('rejects with the limit error once the running size passes the limit, leaving no temp', async () => {
    await seedTarget()
    const tooLarge = new PayloadTooLarge('over the limit', { limit: 10 })
    const error = await rejectionOf(writeVerified(target, chunks(Buffer.alloc(1 << 20, 1), '12345678', '90ab'), {
      fs, root, limit: { bytes: (1 << 20) + 10, error: () => tooLarge },
    }))
    expect(error).toBe(tooLarge)
    expect(fs.callsOf('write')).toHaveLength(1)
    expect(fs.callsOf('rename')).toEqual([])
    expect(await tempFilesIn(dirname(target))).toEqual([])
    expect(await contentOf(target)).toBe(OLD)
  })

  it('accepts a source of exactly the limit', async () => {
    const written = await writeVerified(target, chunks('12345', '67890'), {
      fs, root, limit: { bytes: 10, error: () => new PayloadTooLarge('over the limit') },
    })
    expect(written.size).toBe(10)
    expect(await contentOf(target)).toBe('1234567890')
  })

  it('refuses to rename bytes that do not hash to the expected digest', async () => {
    await seedTarget()
    const error = await rejectionOf(writeVerified(target, Buffer.from(NEW), { fs, root, expectedSha256: sha256('something else') }))
    expect(error).toBeInstanceOf(ReadBackMismatch)
    expect(fs.callsOf('rename')).toEqual([])
    expect(await tempFilesIn(dirname(target))).toEqual([])
    expect(await contentOf(target)).toBe(OLD)
  })
})

describe('staging a large upload', () => {
  const MIB = 1 << 20
  const mebibytes = (count: number): Buffer[] => Array.from({ length: count }, (_, i) => Buffer.alloc(MIB, i))

  it('fsyncs while it streams, so that the final fsync has only the tail left, and writes every byte once', async () => {
    const parts = mebibytes(40)
    const whole = Buffer.concat(parts)
    const written = await writeVerified(target, chunks(...parts), { fs, root })
    expect(written.sha256).toBe(sha256(whole))
    expect((await readFile(target)).equals(whole)).toBe(true)
    const steps = fs.calls.map((call) => call.step)
    const fsyncs = steps.flatMap((step, i) => (step === 'fsync' ? [i] : []))
    // Flush-behind at 16 and 32 MiB, then the final fsync after the last write.
    expect(fsyncs.length).toBeGreaterThanOrEqual(2)
    expect(fsyncs[0]).toBeLessThan(steps.lastIndexOf('write'))
    expect(fsyncs.at(-1)).toBeGreaterThan(steps.lastIndexOf('write'))
    expect(fs.callsOf('write')).toHaveLength(40)
  })

  it('fails the write when a flush-behind fsync fails, and never fsyncs that file again', async () => {
    await seedTarget()
    fs.fail('fsync', 'EIO', { times: 1 })
    const error = await rejectionOf(writeVerified(target, chunks(...mebibytes(40)), { fs, root }))
    expect(error).toBeInstanceOf(StorageFault)
    expect(error.facts).toMatchObject({ step: 'fsync', errno: 'EIO' })
    expect(fs.callsOf('fsync')).toHaveLength(1)
    expect(fs.callsOf('rename')).toHaveLength(0)
    expect(await contentOf(target)).toBe(OLD)
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })

  it('fails once every write in flight has finished when one write fails midway, leaving no temp and no fsync', async () => {
    await seedTarget()
    fs.fail('write', 'ENOSPC', { skip: 4, times: 1 })
    const error = await rejectionOf(writeVerified(target, chunks(...mebibytes(12)), { fs, root }))
    expect(error).toBeInstanceOf(InsufficientStorage)
    expect(error.facts).toMatchObject({ step: 'write', errno: 'ENOSPC' })
    expect(fs.callsOf('fsync')).toHaveLength(0)
    expect(await contentOf(target)).toBe(OLD)
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })
})

describe('a source that fails while writes are in flight', () => {
  it('rejects only after every write it started has finished, and leaves no temp', async () => {
    let started = 0
    let finished = 0
    const slowWrites: DurableFs = {
      ...realFs,
      async write(handle, bytes, position) {
        started++
        await new Promise((resolve) => setTimeout(resolve, 20))
        await realFs.write(handle, bytes, position)
        finished++
      },
    }
    const mib = Buffer.alloc(1 << 20, 7)
    const error = await rejectionOf(writeVerified(target, chunks(mib, mib, mib, new Error('client went away')), { fs: slowWrites, root }))
    expect(error.message).toContain('client went away')
    expect(started).toBeGreaterThan(0)
    expect(finished).toBe(started)
    expect(await tempFilesIn(dirname(target))).toEqual([])
  })
})

describe('reading back copies of one content in one pass', () => {
  async function placedCopies(content: string): Promise<{ path: string; sha256: string; size: number }[]> {
    const staged = await stageCopies(join(root, 'incoming'), Buffer.from(content), ['a', 'b'], { fs, root })
    return Promise.all(staged.map((copy, i) => placeStaged(copy, join(root, `copy-${i}`, 'file'), { fs, root })))
  }

  it('resolves when the first hashes to its digest and the others hold the same bytes', async () => {
    const placed = await placedCopies(NEW)
    await readBackCopies(placed, { fs, root })
    expect(fs.callsOf('openRead').map((call) => call.path)).toEqual(placed.map((file) => file.path))
  })

  it.each([0, 1])('rejects with read_back_mismatch naming copy %i when its bytes on disk changed after the rename', async (corrupted) => {
    fs.corruptAfterRename({ when: (path) => path.includes(`copy-${corrupted}`) })
    const placed = await placedCopies(NEW)
    const error = await rejectionOf(readBackCopies(placed, { fs, root }))
    expect(error).toBeInstanceOf(ReadBackMismatch)
    expect(error.facts).toMatchObject({ path: `copy-${corrupted}/file`, expected: sha256(NEW) })
  })

  it('rejects when a copy is longer than the content it should equal', async () => {
    const placed = await placedCopies(NEW)
    await writeFile(placed[1]?.path ?? '', `${NEW}and more`)
    const error = await rejectionOf(readBackCopies(placed, { fs, root }))
    expect(error).toBeInstanceOf(ReadBackMismatch)
    expect(error.facts).toMatchObject({ path: 'copy-1/file' })
  })
})

describe('two writers and a folder one of them is creating', () => {
  it('the second does not resolve before the folder the first created is durable in its parent', async () => {
    let release = (): void => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const parentSynced: string[] = []
    // The first fsync of the sessions folder (the new s3 entry) waits at the gate.
    const slowParent: DurableFs = {
      ...realFs,
      async fsyncDir(dir) {
        if (dir === join(root, 'sessions') && parentSynced.length === 0) await gate
        if (dir === join(root, 'sessions')) parentSynced.push(dir)
        return realFs.fsyncDir(dir)
      },
    }
    await mkdir(join(root, 'sessions'), { recursive: true })
    const first = writeVerified(join(root, 'sessions', 's3', 'a.txt'), Buffer.from(NEW), { fs: slowParent, root })
    // Let the first writer create s3 and block on its parent's fsync.
    while ((await readdir(join(root, 'sessions'))).length === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    let secondDone = false
    const second = writeVerified(join(root, 'sessions', 's3', 'b.txt'), Buffer.from(OLD), { fs: slowParent, root }).then(() => {
      secondDone = true
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(secondDone).toBe(false)
    release()
    await Promise.all([first, second])
    expect(parentSynced).toHaveLength(1)
    expect(await readFile(join(root, 'sessions', 's3', 'b.txt'), 'utf8')).toBe(OLD)
  })
})

describe('a folder whose new entry could not be made durable', () => {
  it('is fsynced by the next write below it, before that write reports its file durable', async () => {
    await mkdir(join(root, 'sessions'), { recursive: true })
    const sessions = join(root, 'sessions')
    fs.fail('fsyncDir', 'EIO', { times: 1, when: (path) => path === sessions })
    const error = await rejectionOf(writeVerified(join(sessions, 's4', 'a.txt'), Buffer.from(NEW), { fs, root }))
    expect(error.facts).toMatchObject({ step: 'fsync-dir', path: 'sessions', errno: 'EIO' })
    // s4 exists now, so the next write's open succeeds without creating anything.
    const before = fs.calls.length
    await writeVerified(join(sessions, 's4', 'b.txt'), Buffer.from(OLD), { fs, root })
    const after = fs.calls.slice(before)
    expect(after.filter((call) => call.step === 'mkdirp')).toEqual([])
    const renamed = after.findIndex((call) => call.step === 'rename')
    const parentSynced = after.findIndex((call) => call.step === 'fsyncDir' && call.path === sessions)
    expect(parentSynced).toBeGreaterThan(renamed)
    expect(after.findIndex((call) => call.step === 'openRead')).toBeGreaterThan(parentSynced)
    // Once it passed, later writes do not fsync it again.
    const later = fs.calls.length
    await writeVerified(join(sessions, 's4', 'c.txt'), Buffer.from(OLD), { fs, root })
    expect(fs.calls.slice(later).filter((call) => call.step === 'fsyncDir' && call.path === sessions)).toEqual([])
  })
})
