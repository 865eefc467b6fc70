// The verified atomic writer: temp beside target, write, fsync, rename, fsync dir, read back and hash.
import { createHash, randomBytes } from 'node:crypto'
import { dirname, join, relative } from 'node:path'
import { readdir, type FileHandle } from 'node:fs/promises'
import { ReadBackMismatch, type LedgerError } from '../../domain/errors.js'
import { realFs, type DurableFs } from './fs-seam.js'
import { errnoOf, isNotFound, storageFailure } from './io-errors.js'

export const TEMP_PREFIX = '.tmp-'
const READ_CHUNK = 1 << 20

export interface WriteOptions {
  fs?: DurableFs
  /** DATA_DIR, so errors name paths relative to it and never leak the host's layout. */
  root: string
  /** Maps an error thrown by the source stream (not the disk) to the failure to report. */
  sourceFailure?: (error: unknown) => LedgerError
  /** Stops the write when the running size passes this limit; the error it returns is thrown. */
  limit?: { bytes: number; error: () => LedgerError }
  /** Refuse to rename when the written bytes do not hash to this. */
  expectedSha256?: string
  expectedMismatch?: (actual: string) => LedgerError
}

export interface WrittenFile {
  path: string
  sha256: string
  size: number
}

export function tempName(label?: string): string {
  // Unguessable: nobody can pre-create or symlink the temp path we are about to open. The label says
  // what a staged copy is for (object, plain), for whoever finds one in objects/incoming.
  return `${TEMP_PREFIX}${randomBytes(16).toString('hex')}${label === undefined ? '' : `.${label}`}`
}

export function isTempName(fileName: string): boolean {
  return fileName.startsWith(TEMP_PREFIX)
}

/** Creates a directory and makes each new entry durable in its parent. */
export async function ensureDir(dir: string, root: string, fs: DurableFs = realFs): Promise<void> {
  const rel = relative(root, dir)
  const created = await step('mkdir', rel, () => fs.mkdirp(dir))
  if (created === undefined) return
  // fsync the parent of every directory we created: a new entry is durable only once its parent is.
  let current = dir
  const parents: string[] = []
  while (current.length >= created.length) {
    parents.push(dirname(current))
    current = dirname(current)
  }
  for (const parent of parents) await step('fsync-dir', relative(root, parent), () => fs.fsyncDir(parent))
}

async function step<T>(name: string, target: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    throw storageFailure(name, target, error)
  }
}

export interface StagedFile {
  tempPath: string
  sha256: string
  size: number
}

/**
 * Writes `source` to a fresh temp file in `tempDir` while hashing it, and fsyncs it. Nothing is
 * visible under a real name yet; `publishStaged` or `discardStaged` must follow.
 */
export async function stageFile(
  tempDir: string,
  source: Uint8Array | AsyncIterable<Uint8Array>,
  options: WriteOptions,
): Promise<StagedFile> {
  const [staged] = await stageCopies(tempDir, source, [undefined], options)
  if (staged === undefined) throw new Error('stageCopies returned no copy')
  return staged
}

/**
 * Like `stageFile`, but writes one identical temp file per label from one pass over the source,
 * hashed once; their writes and fsyncs run side by side. The object and its plain file start this
 * way, so a streamed upload is not copied a second time after it arrived. On failure no temp remains.
 */
export async function stageCopies(
  tempDir: string,
  source: Uint8Array | AsyncIterable<Uint8Array>,
  labels: (string | undefined)[],
  options: WriteOptions,
): Promise<StagedFile[]> {
  const fs = options.fs ?? realFs
  const root = options.root
  await ensureDir(tempDir, root, fs)
  const temps = labels.map((label) => join(tempDir, tempName(label)))
  const opened: { rel: string; handle: FileHandle }[] = []
  let failure: { error: unknown } | undefined
  const hash = createHash('sha256')
  let size = 0
  try {
    for (const path of temps) {
      const rel = relative(root, path)
      opened.push({ rel, handle: await step('open', rel, () => fs.openTemp(path)) })
    }
    const writeAll = (chunk: Uint8Array): Promise<unknown> =>
      Promise.all(opened.map(({ rel, handle }) => step('write', rel, () => fs.write(handle, chunk))))
    for await (const chunk of coalesce(readSource(source, options), WRITE_BATCH)) {
      size += chunk.byteLength
      hash.update(chunk)
      await writeAll(chunk)
    }
    await Promise.all(opened.map(({ rel, handle }) => step('fsync', rel, () => fs.fsync(handle))))
  } catch (error) {
    failure = { error }
  }
  for (const { rel, handle } of opened) failure = await closeKeepingFirstFailure(fs, handle, rel, failure)
  try {
    if (failure !== undefined) throw failure.error
    const sha256 = hash.digest('hex')
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256) {
      throw options.expectedMismatch?.(sha256) ??
        new ReadBackMismatch(`written bytes hash to ${sha256}, expected ${options.expectedSha256}`, { path: relative(root, temps[0] ?? tempDir) })
    }
    return temps.map((tempPath) => ({ tempPath, sha256, size }))
  } catch (error) {
    for (const temp of temps) await removeTempAfterFailure(fs, temp, error)
    throw error
  }
}

// Streamed bodies arrive in 16–64 KiB chunks; writing them in batches of this size saves thread-pool
// round trips (each write waits for the previous one) without holding much memory.
const WRITE_BATCH = 1 << 20

async function* coalesce(chunks: AsyncIterable<Uint8Array>, batchBytes: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  for await (const chunk of chunks) {
    if (pendingBytes === 0 && chunk.byteLength >= batchBytes) {
      yield chunk
      continue
    }
    pending.push(chunk)
    pendingBytes += chunk.byteLength
    if (pendingBytes >= batchBytes) {
      yield Buffer.concat(pending, pendingBytes)
      pending = []
      pendingBytes = 0
    }
  }
  if (pendingBytes > 0) yield pending.length === 1 && pending[0] !== undefined ? pending[0] : Buffer.concat(pending, pendingBytes)
}

/**
 * Errors raised by the source itself (a client that hung up) are the source's, not the disk's. The
 * size limit is checked on every chunk as it arrives, before anything is buffered or written.
 */
async function* readSource(source: Uint8Array | AsyncIterable<Uint8Array>, options: WriteOptions): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    if (options.limit !== undefined && source.byteLength > options.limit.bytes) throw options.limit.error()
    yield source
    return
  }
  let received = 0
  const iterator = source[Symbol.asyncIterator]()
  for (;;) {
    let next: IteratorResult<Uint8Array>
    try {
      next = await iterator.next()
    } catch (error) {
      throw options.sourceFailure?.(error) ?? error
    }
    if (next.done === true) return
    received += next.value.byteLength
    if (options.limit !== undefined && received > options.limit.bytes) throw options.limit.error()
    yield next.value
  }
}

/** Renames a staged file to its real name, fsyncs the directory and reads the bytes back. */
export async function publishStaged(staged: StagedFile, target: string, options: WriteOptions): Promise<WrittenFile> {
  const fs = options.fs ?? realFs
  const root = options.root
  const finalDir = dirname(target)
  const relFinal = relative(root, target)
  try {
    if (finalDir !== dirname(staged.tempPath)) await ensureDir(finalDir, root, fs)
    await step('rename', relFinal, () => fs.rename(staged.tempPath, target))
  } catch (error) {
    await removeTempAfterFailure(fs, staged.tempPath, error)
    throw error
  }
  // fsync the directory: the rename is durable only once its entry is.
  await step('fsync-dir', relative(root, finalDir), () => fs.fsyncDir(finalDir))
  const readBack = await hashFile(target, root, fs)
  if (readBack.sha256 !== staged.sha256 || readBack.size !== staged.size) {
    throw new ReadBackMismatch(
      `read back ${relFinal}: expected sha256 ${staged.sha256} (${staged.size} bytes), found ${readBack.sha256} (${readBack.size} bytes)`,
      { path: relFinal, expected: staged.sha256, actual: readBack.sha256 },
    )
  }
  return { path: target, sha256: staged.sha256, size: staged.size }
}

export async function discardStaged(staged: StagedFile, options: WriteOptions): Promise<void> {
  const fs = options.fs ?? realFs
  try {
    await fs.unlink(staged.tempPath)
  } catch (error) {
    if (!isNotFound(error)) throw storageFailure('unlink', relative(options.root, staged.tempPath), error)
  }
}

/**
 * Writes `source` so that `target` holds either its old bytes or all the new ones, never a mix, and
 * resolves only after the new bytes are durable and read back with the same SHA-256.
 */
export async function writeVerified(
  target: string,
  source: Uint8Array | AsyncIterable<Uint8Array>,
  options: WriteOptions,
): Promise<WrittenFile> {
  const staged = await stageFile(dirname(target), source, options)
  return publishStaged(staged, target, options)
}

/** SHA-256 and size of a file, read through the seam so read faults can be injected too. */
export async function hashFile(path: string, root: string, fs: DurableFs = realFs): Promise<{ sha256: string; size: number }> {
  const rel = relative(root, path)
  const handle = await step('read-back', rel, () => fs.openRead(path))
  try {
    const hash = createHash('sha256')
    const buffer = Buffer.allocUnsafe(READ_CHUNK)
    let size = 0
    for (;;) {
      const { bytesRead } = await step('read-back', rel, () => handle.read(buffer, 0, READ_CHUNK, null))
      if (bytesRead === 0) break
      hash.update(buffer.subarray(0, bytesRead))
      size += bytesRead
    }
    return { sha256: hash.digest('hex'), size }
  } finally {
    await handle.close()
  }
}

/** Closes the temp file; a close failure matters only when nothing failed before it. */
async function closeKeepingFirstFailure(
  fs: DurableFs, handle: FileHandle, relTemp: string, earlier: { error: unknown } | undefined,
): Promise<{ error: unknown } | undefined> {
  try {
    await fs.close(handle)
    return earlier
  } catch (error) {
    return earlier ?? { error: storageFailure('close', relTemp, error) }
  }
}

/**
 * The temp file of a failed write must not outlive it. If even the unlink fails, the error says so:
 * recovery will find the temp file by its prefix.
 */
async function removeTempAfterFailure(fs: DurableFs, temp: string, original: unknown): Promise<void> {
  try {
    await fs.unlink(temp)
  } catch (cleanupError) {
    if (isNotFound(cleanupError)) return
    if (original instanceof Error) {
      Object.assign(original, { tempLeftBehind: temp, cleanupErrno: errnoOf(cleanupError) })
    }
  }
}

/** Deletes the temp files in one folder (not below it) and makes their removal durable. */
export async function removeTempFiles(dir: string, root: string, fs: DurableFs = realFs): Promise<number> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if (isNotFound(error)) return 0
    throw storageFailure('readdir', relative(root, dir), error)
  }
  const temps = names.filter(isTempName)
  for (const name of temps) {
    try {
      await fs.unlink(join(dir, name))
    } catch (error) {
      if (!isNotFound(error)) throw storageFailure('unlink', relative(root, join(dir, name)), error)
    }
  }
  if (temps.length > 0) await step('fsync-dir', relative(root, dir), () => fs.fsyncDir(dir))
  return temps.length
}
