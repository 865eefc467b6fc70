// sessions/{sid}/{name}: the latest committed version of each artifact as a plain file, for tools.
import { readdir, rmdir } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { ObjectCorrupt } from '../../domain/errors.js'
import { assertArtifactName, assertSessionId } from '../../domain/names.js'
import type { FlushFailure, PlainView, PreparedFile, ShowOptions, StagedContent, UnflushedFile, ViewFile } from '../../domain/ports.js'
import { realFs, type DurableFs } from './fs-seam.js'
import { isNotFound, storageFailure } from './io-errors.js'
import { readLazily } from './lazy-read.js'
import { asStagedHere } from './object-store.js'
import {
  discardStaged, fsyncPublished, hashFile, isTempName, publishStaged, removeTempFiles, removeTempFilesBelow, stageFile, syncAllFoldersLeftUnsynced,
  writeVerified, type StagedFile,
} from './verified-write.js'

/** fsyncs in flight at once during a flush: enough to keep the thread pool and the device queue busy. */
const FLUSH_PARALLELISM = 8

export class FilePlainView implements PlainView {
  readonly isOn = true
  private readonly dir: string
  /** Files shown batched and not flushed yet, by path. */
  private unflushed = new Map<string, UnflushedFile>()

  constructor(
    private readonly root: string,
    /** An object's bytes, from whichever object store holds them: what `show` copies when it is given no bytes. */
    private readonly objectContent: (sha256: string) => AsyncIterable<Uint8Array>,
    private readonly fs: DurableFs = realFs,
  ) {
    this.dir = join(root, 'sessions')
  }

  private pathOf(sid: string, name: string): string {
    // Validated names cannot escape, but the path is built only from validated parts all the same.
    assertSessionId(sid)
    assertArtifactName(name)
    return join(this.dir, sid, ...name.split('/'))
  }

  locationOf(sid: string, name: string): string {
    return `sessions/${sid}/${name}`
  }

  /** Atomically replaces the plain file with a verified copy of the given bytes, or of the object. */
  async show(sid: string, name: string, content: { sha256: string; bytes?: Uint8Array }, options: ShowOptions = {}): Promise<void> {
    const { sha256, bytes } = content
    if (bytes !== undefined) return this.showPrepared(await this.prepare(sid, name, { sha256, bytes }, options))
    const path = this.pathOf(sid, name)
    const deferFlush = options.batched === true
    try {
      await writeVerified(path, this.objectContent(sha256), {
        fs: this.fs,
        root: this.root,
        expectedSha256: sha256,
        expectedMismatch: () => new ObjectCorrupt(`stored object ${sha256} no longer hashes to its name`, { sha256 }),
        deferFlush,
      })
    } finally {
      // Also after a failure: the rename may have happened, and whatever is there gets flushed.
      if (deferFlush) this.unflushed.set(path, { sessionId: sid, name })
    }
  }

  async prepare(sid: string, name: string, content: { sha256: string; bytes: Uint8Array }, options: ShowOptions = {}): Promise<PreparedFile> {
    const path = this.pathOf(sid, name)
    const deferFlush = options.batched === true
    const staged = await stageFile(dirname(path), content.bytes, { fs: this.fs, root: this.root, expectedSha256: content.sha256, deferFlush })
    return new PreparedHere(sid, name, path, staged, deferFlush)
  }

  async showPrepared(prepared: PreparedFile): Promise<void> {
    const { path, staged, deferFlush } = preparedHere(prepared)
    try {
      await publishStaged(staged, path, { fs: this.fs, root: this.root, deferFlush })
    } finally {
      // Also after a failure: the rename may have happened, and whatever is there gets flushed.
      if (deferFlush) this.unflushed.set(path, { sessionId: prepared.sessionId, name: prepared.name })
    }
  }

  async discardPrepared(prepared: PreparedFile): Promise<void> {
    await discardStaged(preparedHere(prepared).staged, { fs: this.fs, root: this.root })
  }

  /** Moves the copy staged beside the object into place (fsyncing it unless batched); it is read back with its object. */
  async showStaged(sid: string, name: string, staged: StagedContent, options: ShowOptions = {}): Promise<void> {
    const copies = asStagedHere(staged)
    if (!copies.hasCopy('plain')) throw new Error(`content ${staged.sha256} was staged without a copy for the plain view`)
    const path = this.pathOf(sid, name)
    const deferFlush = options.batched === true
    try {
      await copies.place('plain', path, { deferFlush })
    } finally {
      if (deferFlush) this.unflushed.set(path, { sessionId: sid, name })
    }
  }

  /**
   * fsyncs every file shown batched so far (and those in `also`), then their folders. A file shown
   * while this runs waits for the next flush. Returns those whose fsync failed (a folder's failure
   * fails every file in it); they are not kept for another try: they must be written again.
   */
  async flush(also: Iterable<UnflushedFile> = []): Promise<FlushFailure[]> {
    const batch = this.unflushed
    this.unflushed = new Map()
    for (const file of also) batch.set(this.pathOf(file.sessionId, file.name), file)
    const failed: FlushFailure[] = []
    const folders = new Map<string, UnflushedFile[]>()
    await inParallel([...batch], FLUSH_PARALLELISM, async ([path, file]) => {
      try {
        // A file removed since needs nothing: its removal fsynced its folder.
        if (!(await fsyncPublished(path, this.root, this.fs))) return
      } catch (error) {
        failed.push({ ...file, error })
        return
      }
      const folder = dirname(path)
      folders.set(folder, [...(folders.get(folder) ?? []), file])
    })
    // Folders a batched write created: their entries in their parents, before the folders' own fsyncs.
    try {
      await syncAllFoldersLeftUnsynced(this.root, this.fs)
    } catch (error) {
      failed.push(...[...batch.values()].map((file) => ({ ...file, error })))
      return failed
    }
    await inParallel([...folders], FLUSH_PARALLELISM, async ([folder, files]) => {
      try {
        await this.fs.fsyncDir(folder)
      } catch (error) {
        // Gone since (the session's files removed): nothing in it is left to lose.
        if (!isNotFound(error)) failed.push(...files.map((file) => ({ ...file, error: storageFailure('fsync-dir', relative(this.root, folder), error) })))
      }
    })
    return failed
  }

  /** Removes the plain file of a name that has no committed version, and the folders it leaves empty. */
  async remove(sid: string, name: string): Promise<void> {
    await this.unlinkAndPrune(sid, this.pathOf(sid, name))
  }

  async removeStray(sid: string, name: string): Promise<void> {
    assertSessionId(sid)
    const sessionDir = join(this.dir, sid)
    const path = resolve(sessionDir, ...name.split('/'))
    if (!path.startsWith(sessionDir + sep)) throw new Error(`refusing to remove ${name}: outside the session folder`)
    await this.unlinkAndPrune(sid, path)
  }

  /** Removes an empty folder found where a file should be; a folder with files in it is left alone. */
  private async removeEmptyFolderAt(path: string): Promise<void> {
    try {
      await rmdir(path)
    } catch (error) {
      const code = (error as { code?: string }).code
      // ENOTDIR: a file is there, as usual; ENOENT: nothing is; ENOTEMPTY: a real folder, left to fail loudly.
      if (code === 'ENOTDIR' || code === 'ENOTEMPTY' || code === 'EEXIST' || isNotFound(error)) return
      throw storageFailure('rmdir', relative(this.root, path), error)
    }
  }

  private async unlinkAndPrune(sid: string, path: string): Promise<void> {
    try {
      await this.fs.unlink(path)
    } catch (error) {
      const code = (error as { code?: string }).code
      if (code === 'EISDIR' || code === 'EPERM') await this.removeEmptyFolderAt(path)
      else if (!isNotFound(error)) throw storageFailure('unlink', relative(this.root, path), error)
    }
    const sessionDir = join(this.dir, sid)
    let dir = dirname(path)
    while (dir.startsWith(sessionDir + sep)) {
      try {
        await rmdir(dir)
      } catch (error) {
        const code = (error as { code?: string }).code
        if (code === 'ENOTEMPTY' || code === 'EEXIST' || isNotFound(error)) break
        throw storageFailure('rmdir', relative(this.root, dir), error)
      }
      dir = dirname(dir)
    }
    // fsync the nearest surviving folder: the removal is durable only once its entry is gone there.
    try {
      await this.fs.fsyncDir(dir)
    } catch (error) {
      if (!isNotFound(error)) throw storageFailure('fsync-dir', relative(this.root, dir), error)
    }
  }

  async removeLeftovers(sid?: string, names?: Iterable<string>): Promise<number> {
    if (sid === undefined || names === undefined) return removeTempFilesBelow(sid === undefined ? this.dir : join(this.dir, sid), this.root, this.fs)
    const dirs = new Set<string>()
    for (const name of names) dirs.add(dirname(this.pathOf(sid, name)))
    let removed = 0
    for (const dir of dirs) removed += await removeTempFiles(dir, this.root, this.fs)
    return removed
  }

  /** The plain file's digest, or undefined when there is no such file. */
  async digestOf(sid: string, name: string): Promise<string | undefined> {
    try {
      return (await hashFile(this.pathOf(sid, name), this.root, this.fs)).sha256
    } catch (error) {
      if (isNotFound((error as { cause?: unknown }).cause)) return undefined
      throw error
    }
  }

  read(sid: string, name: string): AsyncIterable<Uint8Array> {
    const path = this.pathOf(sid, name)
    return readLazily(path, relative(this.root, path))
  }

  /** Every file in a session's folder, temp files included, by its path relative to the folder. */
  async listFiles(sid: string): Promise<ViewFile[]> {
    const base = join(this.dir, sid)
    const found: ViewFile[] = []
    const visit = async (dir: string): Promise<void> => {
      let entries
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch (error) {
        if (isNotFound(error)) return
        throw storageFailure('readdir', relative(this.root, dir), error)
      }
      for (const entry of entries) {
        const full = join(dir, entry.name)
        if (entry.isDirectory()) await visit(full)
        else {
          const name = relative(base, full).split(sep).join('/')
          found.push({ name, location: this.locationOf(sid, name), isLeftover: name.split('/').some(isTempName) })
        }
      }
    }
    await visit(base)
    return found
  }

  async listSessions(): Promise<string[]> {
    try {
      return (await readdir(this.dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
    } catch (error) {
      if (isNotFound(error)) return []
      throw storageFailure('readdir', 'sessions', error)
    }
  }
}

/** A prepared plain file of this view: its temp beside the path it is for. */
class PreparedHere implements PreparedFile {
  constructor(
    readonly sessionId: string,
    readonly name: string,
    readonly path: string,
    readonly staged: StagedFile,
    readonly deferFlush: boolean,
  ) {}

  get sha256(): string {
    return this.staged.sha256
  }
}

function preparedHere(prepared: PreparedFile): PreparedHere {
  if (!(prepared instanceof PreparedHere)) throw new Error(`plain file ${prepared.name} was not prepared by this view`)
  return prepared
}

/** Runs `work` on every item, at most `limit` at a time; `work` handles its own failures. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    for (let item = items[next++]; item !== undefined; item = items[next++]) await work(item)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}
