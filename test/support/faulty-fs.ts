// A DurableFs over the real one that fails a named step on demand, with errors shaped like Node's own.
import { constants as osConstants } from 'node:os'
import { open, type FileHandle } from 'node:fs/promises'
import { realFs, type DurableFs } from '../../src/storage/files/fs-seam.js'

export type FsStep = keyof DurableFs
export type FaultCode = 'EIO' | 'ENOSPC' | 'EDQUOT' | 'EACCES' | 'EXDEV' | 'EMFILE' | 'EROFS'

export interface FaultOptions {
  /** How many matching calls fail before the fault disarms itself; unlimited until `clear` by default. */
  times?: number
  /** How many matching calls succeed before the fault starts failing them; none by default. */
  skip?: number
  /** Only calls on a matching path fail: the file a handle was opened on, a rename's destination, a folder. */
  when?: (path: string) => boolean
}

/** A Node-style system error: `code`, negative `errno`, `syscall` and `path`, as fs/promises rejects with. */
export interface SystemError extends Error {
  code: string
  errno: number
  syscall: string
  path: string
}

interface ArmedFault {
  /** A system error with this code, or (`bug`) a TypeError such as a programming mistake would raise. */
  code: FaultCode | 'bug'
  skip: number
  remaining: number
  when: (path: string) => boolean
}

interface ArmedCorruption {
  remaining: number
  when: (path: string) => boolean
}

export interface FsCall {
  step: FsStep
  path: string
}

const SYSCALL: Record<FsStep, string> = {
  mkdirp: 'mkdir', openTemp: 'open', write: 'write', fsync: 'fsync', close: 'close',
  rename: 'rename', fsyncDir: 'fsync', openRead: 'open', unlink: 'unlink',
}

export function systemError(code: FaultCode, syscall: string, path: string): SystemError {
  const errno = osConstants.errno[code]
  const error = new Error(`${code}: injected fault, ${syscall} '${path}'`) as SystemError
  return Object.assign(error, { code, errno: -errno, syscall, path })
}

export class FaultyFs implements DurableFs {
  /** Every call made through the seam, in order, with the path it concerned. */
  readonly calls: FsCall[] = []
  /** Every error this seam raised on purpose, in order: tests check that the caller saw it. */
  readonly injected: SystemError[] = []
  private readonly faults = new Map<FsStep, ArmedFault>()
  private corruption: ArmedCorruption | undefined
  private readonly handlePaths = new WeakMap<FileHandle, string>()

  constructor(private readonly inner: DurableFs = realFs) {}

  /** Arms a fault: the next matching calls of `step` reject with `code` instead of running. */
  fail(step: FsStep, code: FaultCode, options: FaultOptions = {}): void {
    this.faults.set(step, { code, skip: options.skip ?? 0, remaining: options.times ?? Infinity, when: options.when ?? (() => true) })
  }

  /**
   * Arms a bug instead of a disk fault: matching calls throw a TypeError with no errno, the shape of a
   * programming mistake somewhere below the ledger, which must be reported loudly and never dropped.
   */
  failWithBug(step: FsStep, options: FaultOptions = {}): void {
    this.faults.set(step, { code: 'bug', skip: options.skip ?? 0, remaining: options.times ?? Infinity, when: options.when ?? (() => true) })
  }

  /**
   * Flips one byte of the file a matching rename has just put in place, before anyone reads it
   * back: the rename "succeeded" but the disk does not hold what was written.
   */
  corruptAfterRename(options: FaultOptions = {}): void {
    this.corruption = { remaining: options.times ?? Infinity, when: options.when ?? (() => true) }
  }

  /** Disarms one step's fault, or every fault and corruption. */
  clear(step?: FsStep): void {
    if (step === undefined) {
      this.faults.clear()
      this.corruption = undefined
    } else {
      this.faults.delete(step)
    }
  }

  callsOf(step: FsStep): FsCall[] {
    return this.calls.filter((call) => call.step === step)
  }

  mkdirp(dir: string): Promise<string | undefined> {
    return this.run('mkdirp', dir, () => this.inner.mkdirp(dir))
  }

  async openTemp(path: string): Promise<FileHandle> {
    const handle = await this.run('openTemp', path, () => this.inner.openTemp(path))
    this.handlePaths.set(handle, path)
    return handle
  }

  write(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
    return this.run('write', this.pathOf(handle), () => this.inner.write(handle, bytes, position))
  }

  fsync(handle: FileHandle): Promise<void> {
    return this.run('fsync', this.pathOf(handle), () => this.inner.fsync(handle))
  }

  async close(handle: FileHandle): Promise<void> {
    const path = this.pathOf(handle)
    this.calls.push({ step: 'close', path })
    // close(2) releases the descriptor even when it reports an error, so the real close always runs.
    await this.inner.close(handle)
    this.raiseIfArmed('close', path)
  }

  async rename(from: string, to: string): Promise<void> {
    await this.run('rename', to, () => this.inner.rename(from, to))
    const corruption = this.corruption
    if (corruption !== undefined && corruption.remaining > 0 && corruption.when(to)) {
      corruption.remaining--
      await flipLastByte(to)
    }
  }

  fsyncDir(dir: string): Promise<void> {
    return this.run('fsyncDir', dir, () => this.inner.fsyncDir(dir))
  }

  async openRead(path: string): Promise<FileHandle> {
    const handle = await this.run('openRead', path, () => this.inner.openRead(path))
    this.handlePaths.set(handle, path)
    return handle
  }

  unlink(path: string): Promise<void> {
    return this.run('unlink', path, () => this.inner.unlink(path))
  }

  private pathOf(handle: FileHandle): string {
    return this.handlePaths.get(handle) ?? `<fd ${handle.fd}>`
  }

  private async run<T>(step: FsStep, path: string, action: () => Promise<T>): Promise<T> {
    this.calls.push({ step, path })
    this.raiseIfArmed(step, path)
    return action()
  }

  private raiseIfArmed(step: FsStep, path: string): void {
    const fault = this.faults.get(step)
    if (fault === undefined || fault.remaining <= 0 || !fault.when(path)) return
    if (fault.skip > 0) {
      fault.skip--
      return
    }
    fault.remaining--
    if (fault.code === 'bug') throw new TypeError(`injected bug: cannot read properties of undefined (reading '${step}')`)
    const error = systemError(fault.code, SYSCALL[step], path)
    this.injected.push(error)
    throw error
  }
}

/** Flips every bit of a file's last byte (or gives an empty file one byte), in place. */
async function flipLastByte(path: string): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    const { size } = await handle.stat()
    if (size === 0) {
      await handle.write(Buffer.from([0x2a]), 0, 1, 0)
      return
    }
    const byte = Buffer.alloc(1)
    await handle.read(byte, 0, 1, size - 1)
    byte[0] = (byte[0] ?? 0) ^ 0xff
    await handle.write(byte, 0, 1, size - 1)
  } finally {
    await handle.close()
  }
}
