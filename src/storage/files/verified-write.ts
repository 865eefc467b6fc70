// The verified atomic writer: temp beside target, write, fsync, rename, fsync dir, read back and hash.
import { createHash, randomBytes } from 'node:crypto'
import { dirname, join, relative, sep } from 'node:path'
import { readdir, rmdir, type FileHandle } from 'node:fs/promises'
import { LedgerError, ReadBackMismatch } from '../../domain/errors.js'
import { receive } from '../../domain/staging.js'
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
  /**
   * Publish without fsyncing the file or its folder: the bytes are read back as usual, but they are
   * durable only once the caller flushes them (the plain view's batched flush). Never for an object.
   */
  deferFlush?: boolean
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

/**
 * Folders this process is creating, until their new entries are durable in their parents. Another
 * writer may find such a folder already there (its open succeeds): it must not report its own file
 * durable before the folder holding it is, so it waits here first.
 */
const foldersBeingCreated = new Map<string, Promise<void>>()

/**
 * Creates a directory and makes each new entry durable in its parent; `deferred` (a batched plain file)
 * leaves the entries for whoever next needs them durable (folderDurable, syncFoldersLeftUnsynced).
 */
export async function ensureDir(dir: string, root: string, fs: DurableFs = realFs, deferred = false): Promise<void> {
  const ongoing = foldersBeingCreated.get(dir)
  if (ongoing !== undefined) return ongoing
  const creating = createDir(dir, root, fs, deferred)
  // Every level from dir up to root: a writer in a sibling folder may depend on a shared new parent.
  const levels: string[] = []
  for (let level = dir; level.length > root.length && !foldersBeingCreated.has(level); level = dirname(level)) levels.push(level)
  for (const level of levels) foldersBeingCreated.set(level, creating)
  try {
    await creating
  } finally {
    for (const level of levels) foldersBeingCreated.delete(level)
  }
}

async function createDir(dir: string, root: string, fs: DurableFs, deferred: boolean): Promise<void> {
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
  if (deferred) {
    for (const parent of parents) foldersWithUnsyncedEntries.add(parent)
    return
  }
  for (const [i, parent] of parents.entries()) {
    try {
      await step('fsync-dir', relative(root, parent), () => fs.fsyncDir(parent))
    } catch (error) {
      // The folder exists but its entry may not be durable, and the next writer will find it there.
      for (const left of parents.slice(i)) foldersWithUnsyncedEntries.add(left)
      throw error
    }
  }
}

/**
 * Folders holding a new entry (a folder made by createDir) whose fsync failed. Whoever next writes
 * below one of them fsyncs it first: a file is not durable while a folder on its path is not.
 */
const foldersWithUnsyncedEntries = new Set<string>()

/** fsyncs every folder left with an unsynced entry (below `root`): a batched flush makes them durable with its files. */
export async function syncAllFoldersLeftUnsynced(root: string, fs: DurableFs = realFs): Promise<void> {
  await syncFoldersLeftUnsynced(root, root, fs, true)
}

async function syncFoldersLeftUnsynced(dir: string, root: string, fs: DurableFs, below = false): Promise<void> {
  if (foldersWithUnsyncedEntries.size === 0) return
  for (const folder of [...foldersWithUnsyncedEntries]) {
    const related = below ? folder === dir || folder.startsWith(`${dir}${sep}`) : dir === folder || dir.startsWith(`${folder}${sep}`)
    if (!related) continue
    await step('fsync-dir', relative(root, folder), () => fs.fsyncDir(folder))
    foldersWithUnsyncedEntries.delete(folder)
  }
}

/**
 * Runs `action`, which creates an entry in `dir`; if it fails because `dir` does not exist, creates
 * `dir` (durably, see ensureDir) and runs it once more. Folders almost always exist already, so this
 * saves a mkdir round trip on every write; trying again is safe for an open or a rename (not for an fsync).
 */
async function inFolder<T>(dir: string, root: string, fs: DurableFs, action: () => Promise<T>, deferred = false): Promise<T> {
  try {
    return await action()
  } catch (error) {
    if (!isNotFound(error)) throw error
  }
  await ensureDir(dir, root, fs, deferred)
  return action()
}

/**
 * Resolves once every folder on the way to `dir` is durable: one that another writer is still
 * creating, or one whose entry could not be fsynced before (fsynced now; a failure is thrown).
 */
async function folderDurable(dir: string, root: string, fs: DurableFs, deferred = false): Promise<void> {
  await foldersBeingCreated.get(dir)
  // Batched: the flush that makes the file durable makes its folders durable too (syncAllFoldersLeftUnsynced).
  if (!deferred) await syncFoldersLeftUnsynced(dir, root, fs)
}

/**
 * rename(2), and if the target is an empty folder (left where a file belongs, e.g. by a crash while
 * a nested name was written), removes it and renames once more. A folder with files in it stays, and
 * the rename fails loudly.
 */
async function renameOverEmptyFolder(fs: DurableFs, from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to)
    return
  } catch (error) {
    if ((error as { code?: string }).code !== 'EISDIR') throw error
    try {
      await rmdir(to)
    } catch {
      throw error
    }
  }
  await fs.rename(from, to)
}

async function step<T>(name: string, target: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    // Already named by an inner step (creating a missing folder): keep that step and errno.
    if (error instanceof LedgerError) throw error
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
  const [staged] = await stageCopies(tempDir, source, [undefined], options, options.deferFlush === true ? new Set([undefined]) : undefined)
  if (staged === undefined) throw new Error('stageCopies returned no copy')
  return staged
}

/**
 * Like `stageFile`, but writes one identical temp file per label from one pass over the source,
 * hashed once; their writes and fsyncs run side by side. The object and its plain file start this
 * way, so a streamed upload is not copied a second time after it arrived. On failure no temp remains.
 * Copies whose label is in `unsynced` are not fsynced: whoever places them makes them durable.
 */
export async function stageCopies(
  tempDir: string,
  source: Uint8Array | AsyncIterable<Uint8Array>,
  labels: (string | undefined)[],
  options: WriteOptions,
  unsynced: ReadonlySet<string | undefined> = new Set(),
): Promise<StagedFile[]> {
  const fs = options.fs ?? realFs
  const root = options.root
  const temps = labels.map((label) => join(tempDir, tempName(label)))
  const opened: { rel: string; handle: FileHandle; sync: boolean }[] = []
  let failure: { error: unknown } | undefined
  const hash = createHash('sha256')
  let size = 0
  const writes = new WriteWindow(MAX_BYTES_IN_FLIGHT)
  try {
    for (const path of temps) {
      const rel = relative(root, path)
      const sync = !unsynced.has(labels[opened.length])
      // Only unsynced copies (a batched plain file): a folder made for them is made durable by the flush.
      const deferred = labels.every((label) => unsynced.has(label))
      opened.push({ rel, sync, handle: await step('open', rel, () => inFolder(tempDir, root, fs, () => fs.openTemp(path), deferred)) })
    }
    const synced = opened.filter((copy) => copy.sync)
    let flushedUpTo = 0
    // The limit is checked on every chunk as it arrives; a failure of the source is the source's, not the disk's.
    for await (const chunk of coalesce(receive(source, options), WRITE_BATCH)) {
      const position = size
      size += chunk.byteLength
      hash.update(chunk)
      for (const { rel, handle } of opened) await writes.add(chunk.byteLength, step('write', rel, () => fs.write(handle, chunk, position)))
      if (synced.length > 0 && size - flushedUpTo >= FLUSH_BEHIND_BYTES && writes.flushIdle()) {
        // Flush-behind: the disk writes what has arrived while the rest is still being received, so
        // the final fsync has only the tail left. It is an fsync like any other: a failure fails the write.
        flushedUpTo = size
        writes.flush(Promise.all(synced.map(({ rel, handle }) => step('fsync', rel, () => fs.fsync(handle)))))
      }
    }
    await writes.settle()
    await Promise.all(synced.map(({ rel, handle }) => step('fsync', rel, () => fs.fsync(handle))))
  } catch (error) {
    failure = { error }
    // The source may have failed with writes still in flight: none may outlive the upload. A write
    // failing now fails this same upload, whose first error is already kept: nothing is lost by
    // reporting only that one.
    await writes.settle().catch(() => undefined)
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
// round trips without holding much memory.
const WRITE_BATCH = 1 << 20
// Writes are positional, so the next batch is received and hashed while earlier ones are still being
// written; this caps the bytes held for writes not yet done (per upload, all copies counted).
const MAX_BYTES_IN_FLIGHT = 8 * WRITE_BATCH
// Large uploads are fsynced every this many bytes while they stream: without it nothing reaches the
// disk until the final fsync (a 256 MiB body stays far below the kernel's background writeback threshold).
const FLUSH_BEHIND_BYTES = 16 * WRITE_BATCH

/**
 * Positional writes in flight, bounded by the bytes they hold. The first failure is kept and thrown
 * once every write has finished, so no write is left running behind a failed upload.
 */
class WriteWindow {
  private readonly inFlight: { bytes: number; done: Promise<void> }[] = []
  private bytes = 0
  private failure: { error: unknown } | undefined
  private flushing: Promise<void> | undefined

  constructor(private readonly maxBytes: number) {}

  /** True when a flush-behind may start: none is running and none has failed (a failed fsync is not retried). */
  flushIdle(): boolean {
    return this.flushing === undefined && this.failure === undefined
  }

  /** Tracks one flush-behind at a time; its failure is the upload's failure. */
  flush(sync: Promise<unknown>): void {
    this.flushing = sync.then(
      () => {
        this.flushing = undefined
      },
      (error: unknown) => {
        this.failure ??= { error }
        this.flushing = undefined
      },
    )
  }

  async add(bytes: number, write: Promise<void>): Promise<void> {
    const done = write.then(undefined, (error: unknown) => {
      this.failure ??= { error }
    })
    this.inFlight.push({ bytes, done })
    this.bytes += bytes
    while (this.bytes > this.maxBytes) await this.retireOldest()
    if (this.failure !== undefined) {
      await this.settle()
    }
  }

  /** Waits for every write; throws the first failure. */
  async settle(): Promise<void> {
    while (this.inFlight.length > 0) await this.retireOldest()
    await this.flushing
    if (this.failure !== undefined) throw this.failure.error
  }

  private async retireOldest(): Promise<void> {
    const oldest = this.inFlight.shift()
    if (oldest === undefined) return
    await oldest.done
    this.bytes -= oldest.bytes
  }
}

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

/** Renames a staged file to its real name, fsyncs the directory and reads the bytes back. */
export async function publishStaged(staged: StagedFile, target: string, options: WriteOptions): Promise<WrittenFile> {
  const placed = await placeStaged(staged, target, options)
  await readBackCopies([placed], options)
  return placed
}

/**
 * Renames a staged file to its real name and fsyncs the directory, without reading it back: the
 * caller reads it back, with its other copies, through `readBackCopies`.
 */
export async function placeStaged(staged: StagedFile, target: string, options: WriteOptions): Promise<WrittenFile> {
  const fs = options.fs ?? realFs
  const root = options.root
  const finalDir = dirname(target)
  const relFinal = relative(root, target)
  try {
    await step('rename', relFinal, () => inFolder(finalDir, root, fs, () => renameOverEmptyFolder(fs, staged.tempPath, target), options.deferFlush === true))
  } catch (error) {
    await removeTempAfterFailure(fs, staged.tempPath, error)
    throw error
  }
  // fsync the directory: the rename is durable only once its entry is, and the folder's own entry.
  await folderDurable(finalDir, root, fs, options.deferFlush === true)
  if (options.deferFlush !== true) await step('fsync-dir', relative(root, finalDir), () => fs.fsyncDir(finalDir))
  return { path: target, sha256: staged.sha256, size: staged.size }
}

/**
 * Reads back files that must all hold the same bytes, in one pass: the first is hashed and must match
 * its sha256 and size, every other is compared with it byte for byte. Comparing is some forty times
 * cheaper than hashing, so a 256 MiB upload and its plain copy cost one hash, not two.
 */
export async function readBackCopies(files: WrittenFile[], options: WriteOptions): Promise<void> {
  const [first] = files
  if (first === undefined) return
  const fs = options.fs ?? realFs
  const root = options.root
  const opened: { rel: string; handle: FileHandle; buffer: Buffer }[] = []
  // A buffer as large as the file, up to a chunk: a 1 KiB read-back does not allocate a MiB.
  const chunk = Math.min(READ_CHUNK, first.size + 1)
  try {
    for (const file of files) {
      const rel = relative(root, file.path)
      opened.push({ rel, handle: await step('read-back', rel, () => fs.openRead(file.path)), buffer: Buffer.allocUnsafe(chunk) })
    }
    const hash = createHash('sha256')
    let size = 0
    let mismatch: number | undefined
    for (let position = 0; ; position += chunk) {
      const reads = await Promise.all(opened.map(({ rel, handle, buffer }) =>
        step('read-back', rel, () => handle.read(buffer, 0, chunk, position)).then((r) => r.bytesRead)))
      const [leading = 0] = reads
      const reference = opened[0]?.buffer.subarray(0, leading) ?? Buffer.alloc(0)
      hash.update(reference)
      size += leading
      // A copy that is longer, shorter or different shows up as a chunk unequal to the first's.
      const differing = reads.findIndex((bytesRead, i) => i > 0 && !opened[i]?.buffer.subarray(0, bytesRead).equals(reference))
      if (differing > 0) {
        mismatch = differing
        break
      }
      if (reads.every((bytesRead) => bytesRead === 0)) break
    }
    const sha256 = hash.digest('hex')
    if (sha256 !== first.sha256 || size !== first.size) {
      throw readBackMismatch(relative(root, first.path), first, `found sha256 ${sha256} (${size} bytes)`, sha256)
    }
    if (mismatch !== undefined) {
      const copy = files[mismatch] ?? first
      throw readBackMismatch(relative(root, copy.path), copy, `its bytes differ from ${relative(root, first.path)}, which holds them`, undefined)
    }
  } finally {
    for (const { handle } of opened) await handle.close()
  }
}

function readBackMismatch(relPath: string, expected: WrittenFile, found: string, actual: string | undefined): ReadBackMismatch {
  return new ReadBackMismatch(
    `read back ${relPath}: expected sha256 ${expected.sha256} (${expected.size} bytes), ${found}`,
    { path: relPath, expected: expected.sha256, ...(actual === undefined ? {} : { actual }) },
  )
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
 * resolves only after the new bytes are durable (unless `deferFlush`) and read back with the same SHA-256.
 */
export async function writeVerified(
  target: string,
  source: Uint8Array | AsyncIterable<Uint8Array>,
  options: WriteOptions,
): Promise<WrittenFile> {
  const staged = await stageFile(dirname(target), source, options)
  return publishStaged(staged, target, options)
}

/**
 * fsyncs a file already in place (one published with `deferFlush`). Resolves false when there is no
 * file (removed since: its removal fsynced its folder). A failure is thrown: the file must be written
 * again, never fsynced a second time (its dirty pages may be gone).
 */
export async function fsyncPublished(path: string, root: string, fs: DurableFs = realFs): Promise<boolean> {
  const rel = relative(root, path)
  let handle: FileHandle
  try {
    handle = await fs.openRead(path)
  } catch (error) {
    if (isNotFound(error) || (error as { code?: string }).code === 'EISDIR') return false
    throw storageFailure('open', rel, error)
  }
  try {
    await step('fsync', rel, () => fs.fsync(handle))
  } finally {
    // A read-only handle: closing it cannot lose data, and the fsync's outcome is what counts.
    await fs.close(handle).catch(() => undefined)
  }
  return true
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
  return removeTempsAmong(dir, names, root, fs)
}

/**
 * Deletes every temp file in `dir` and every folder below it: after a crash, a temp can sit in a
 * folder no unfinished commit names (a failed commit whose cleanup failed too, say).
 */
export async function removeTempFilesBelow(dir: string, root: string, fs: DurableFs = realFs): Promise<number> {
  let removed = 0
  const folders = [dir]
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    let entries
    try {
      entries = await readdir(folder, { withFileTypes: true })
    } catch (error) {
      if (isNotFound(error)) continue
      throw storageFailure('readdir', relative(root, folder), error)
    }
    for (const entry of entries) if (entry.isDirectory()) folders.push(join(folder, entry.name))
    removed += await removeTempsAmong(folder, entries.filter((e) => !e.isDirectory()).map((e) => e.name), root, fs)
  }
  return removed
}

async function removeTempsAmong(dir: string, names: string[], root: string, fs: DurableFs): Promise<number> {
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
