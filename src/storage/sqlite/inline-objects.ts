// Small objects as rows of ledger.db (inline_objects: sha256 → bytes) instead of files under objects/:
// a small commit then writes its bytes with one WAL fsync shared with the log's own writes (the same
// group commit), instead of a file fsync, a folder fsync and a dozen thread-pool round trips.
// SQLite keeps no page checksums here, so every check and every whole read hashes the bytes again.
import { createHash } from 'node:crypto'
import { ObjectCorrupt, ReadBackMismatch } from '../../domain/errors.js'
import type { ObjectCheck } from '../../domain/ports.js'
import type { GroupCommit } from './group-commit.js'
import type { SqlRunner } from './sql-runner.js'
import { toStorageFailure } from './sqlite-errors.js'

const sha256Of = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

/** Digests listed per read: the table may hold millions of rows, and the connection is shared. */
const LIST_PAGE = 1000

export class InlineObjects {
  constructor(
    private readonly run: SqlRunner,
    /** The log's group commit: an inline write shares its transaction, and its fsync, with concurrent commits. */
    private readonly group: GroupCommit,
  ) {}

  locationOf(sha256: string): string {
    return `ledger.db:inline_objects/${sha256}`
  }

  /**
   * The stored bytes, or undefined when the object is not inline. A synchronous point lookup, so a read
   * can choose its source at once: inline_objects is written only by this class's group-commit
   * transactions, which never run inside a unit of work, so a lookup sees committed rows only.
   */
  bytesOf(sha256: string): Buffer | undefined {
    try {
      const row = this.run.sql('SELECT bytes FROM inline_objects WHERE sha256 = ?').get(sha256) as { bytes: Buffer } | undefined
      return row?.bytes
    } catch (error) {
      throw toStorageFailure('object-inline-read', error)
    }
  }

  has(sha256: string): boolean {
    try {
      return this.run.sql('SELECT 1 FROM inline_objects WHERE sha256 = ?').get(sha256) !== undefined
    } catch (error) {
      throw toStorageFailure('object-inline-read', error)
    }
  }

  check(sha256: string): ObjectCheck {
    const bytes = this.bytesOf(sha256)
    if (bytes === undefined) return 'missing'
    return sha256Of(bytes) === sha256 ? 'ok' : 'corrupt'
  }

  /**
   * Stores bytes under their digest, durable (the WAL fsynced with the group) when it resolves, then
   * reads the row back and hashes it. An intact row is kept; a damaged one is replaced. Bytes that do
   * not hash to `sha256` are refused before anything is written (`mismatch` says with which error).
   * Crash: the row is absent or whole (one SQLite transaction).
   */
  async put(bytes: Uint8Array, sha256: string, mismatch?: (actual: string) => Error): Promise<void> {
    const actual = sha256Of(bytes)
    if (actual !== sha256) {
      throw mismatch?.(actual) ?? new ReadBackMismatch(`bytes to store hash to ${actual}, expected ${sha256}`, { path: this.locationOf(sha256) })
    }
    const copy = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    await this.group.submit(() => this.run.writeNow('object-inline-write', () => {
      if (this.check(sha256) === 'ok') return
      this.run.sql(`INSERT INTO inline_objects (sha256, bytes) VALUES (?, ?)
        ON CONFLICT (sha256) DO UPDATE SET bytes = excluded.bytes`).run(sha256, copy)
    }))
    // Read back after the COMMIT: what a reader now gets must hash to the name.
    const readBack = await this.run.read('object-inline-read-back', () => this.check(sha256))
    if (readBack !== 'ok') {
      throw new ReadBackMismatch(`inline object ${sha256} reads back ${readBack} after its write`, { path: this.locationOf(sha256) })
    }
  }

  /** Rewrites an object from a good copy; ObjectCorrupt when the copy does not hash to its name. */
  restore(bytes: Uint8Array, sha256: string): Promise<void> {
    return this.put(bytes, sha256, (actual) => new ObjectCorrupt(`the copy to restore ${sha256} from hashes to ${actual}`, { sha256, actual }))
  }

  /** Deletes the row, durable when it resolves; nothing when there is none. */
  async remove(sha256: string): Promise<void> {
    if (!this.has(sha256)) return
    await this.group.submit(() => this.run.writeNow('object-inline-remove', () => {
      this.run.sql('DELETE FROM inline_objects WHERE sha256 = ?').run(sha256)
    }))
  }

  /** Every inline digest, in order, a page per read. */
  async *list(): AsyncGenerator<string> {
    let after = ''
    for (;;) {
      const page = await this.run.read('object-inline-list', () =>
        this.run.sql('SELECT sha256 FROM inline_objects WHERE sha256 > ? ORDER BY sha256 LIMIT ?').pluck().all(after, LIST_PAGE) as string[])
      yield* page
      const last = page.at(-1)
      if (page.length < LIST_PAGE || last === undefined) return
      after = last
    }
  }
}
