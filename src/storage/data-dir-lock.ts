// One service per DATA_DIR: two writers on one log and one plain view would break every invariant.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { errnoOf } from './files/io-errors.js'

export class DataDirInUse extends Error {}

export const LOCK_FILE = 'ledger.pid'

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errnoOf(error) === 'EPERM'
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Takes DATA_DIR for this process, like PostgreSQL's postmaster.pid: a lock left by a process that
 * is gone (kill -9) is taken over; one held by a live process stops start-up. Returns the release.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, LOCK_FILE)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o644)
      writeSync(fd, `${process.pid}\n`)
      fsyncSync(fd)
      closeSync(fd)
      return () => {
        if (holderOf(path) === process.pid) unlinkSync(path)
      }
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error
      const holder = holderOf(path)
      if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
        throw new DataDirInUse(`${dataDir} is in use by process ${holder} (${path}); stop it first, or delete that file if it is not artifact-ledger`)
      }
      // Stale: its process is gone. Remove it and try again (another starter may race us to it).
      try {
        unlinkSync(path)
      } catch (unlinkError) {
        if (errnoOf(unlinkError) !== 'ENOENT') throw unlinkError
      }
    }
  }
  throw new DataDirInUse(`could not take ${path}: another process keeps creating it`)
}
