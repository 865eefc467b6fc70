// The one narrow seam between the durable writer and the filesystem: tests inject faults here.
import { constants } from 'node:fs'
import { mkdir, open, rename, unlink, type FileHandle } from 'node:fs/promises'

/** Each durable step the writer takes, by name, so a fault can be aimed at exactly one of them. */
export interface DurableFs {
  mkdirp(dir: string): Promise<string | undefined>
  openTemp(path: string): Promise<FileHandle>
  /** Writes all of `bytes` at `position`: positional, so writes to one file may run side by side. */
  write(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void>
  fsync(handle: FileHandle): Promise<void>
  close(handle: FileHandle): Promise<void>
  rename(from: string, to: string): Promise<void>
  fsyncDir(dir: string): Promise<void>
  openRead(path: string): Promise<FileHandle>
  unlink(path: string): Promise<void>
}

export const realFs: DurableFs = {
  mkdirp: (dir) => mkdir(dir, { recursive: true }),
  // O_EXCL: a temp name is never shared, not even with a leftover from a crash.
  openTemp: (path) => open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644),
  async write(handle, bytes, position) {
    let offset = 0
    while (offset < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, offset, bytes.byteLength - offset, position + offset)
      offset += bytesWritten
    }
  },
  fsync: (handle) => handle.sync(),
  close: (handle) => handle.close(),
  rename: (from, to) => rename(from, to),
  async fsyncDir(dir) {
    const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  },
  openRead: (path) => open(path, constants.O_RDONLY),
  unlink: (path) => unlink(path),
}
