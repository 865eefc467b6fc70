// ledger-failures.jsonl: failures the log could not record when they happened (the log itself was
// failing), one JSON line each, fsynced, until the log takes them. Written only on that fault path.
import { constants } from 'node:fs'
import { open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { FailureJournal, OwedFailure } from '../../domain/ports.js'
import { isNotFound, storageFailure } from './io-errors.js'

export const FAILURE_JOURNAL_FILE = 'ledger-failures.jsonl'

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export class FileFailureJournal implements FailureJournal {
  private readonly path: string

  constructor(private readonly root: string) {
    this.path = join(root, FAILURE_JOURNAL_FILE)
  }

  async append(failure: OwedFailure): Promise<void> {
    try {
      const handle = await open(this.path, 'a', 0o644)
      try {
        await handle.write(`${JSON.stringify(failure)}\n`)
        await handle.sync()
      } finally {
        await handle.close()
      }
      // The file may be new: its entry is durable only once the folder is.
      await fsyncDir(this.root)
    } catch (error) {
      throw storageFailure('journal-append', FAILURE_JOURNAL_FILE, error)
    }
  }

  async readAll(): Promise<OwedFailure[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if (isNotFound(error)) return []
      throw storageFailure('journal-read', FAILURE_JOURNAL_FILE, error)
    }
    const failures: OwedFailure[] = []
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue
      try {
        failures.push(JSON.parse(line) as OwedFailure)
      } catch {
        // Only the last line can be torn (a crash mid-append), and its failure's request got no answer.
        continue
      }
    }
    return failures
  }

  async clear(): Promise<void> {
    try {
      await unlink(this.path)
      await fsyncDir(this.root)
    } catch (error) {
      if (isNotFound(error)) return
      throw storageFailure('journal-clear', FAILURE_JOURNAL_FILE, error)
    }
  }
}
