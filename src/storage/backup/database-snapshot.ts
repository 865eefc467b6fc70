// ledger.db as one consistent snapshot, taken beside the running service: no lock of its, no writer waits.
import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'

export interface SnapshotContents {
  /** The highest seq in the snapshot: every entry at or below it that was committed is in it. */
  maxSeq: number
  /** Every object a committed version refers to (the set verify checks), in the order to fetch them. */
  objects: { sha256: string; size: number }[]
  /** The latest committed version of every artifact: what the plain view must show. */
  latest: { sessionId: string; name: string; sha256: string }[]
  /** Objects whose bytes are rows of the snapshot itself (inline_objects): nothing to link or copy. */
  inline: Set<string>
}

/**
 * Copies ledger.db into `target` with `VACUUM INTO` on a read-only connection. The statement runs in
 * one read transaction, and in WAL mode a reader sees one snapshot while the service's writers go on
 * appending to the WAL; it takes no write lock, so it never makes them wait. (The online backup API,
 * `db.backup()`, copies in steps and starts over whenever another connection writes between two steps:
 * under a steady stream of commits it may never finish.) The copy is fsynced here: SQLite does not.
 */
export async function snapshotDatabase(source: string, target: string): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true })
  try {
    // A reader waits only while a checkpoint or recovery holds the WAL index, briefly.
    db.pragma('busy_timeout = 5000')
    db.prepare('VACUUM INTO ?').run(target)
  } finally {
    db.close()
  }
  await fsyncPath(target, constants.O_RDONLY)
  await fsyncPath(dirname(target), constants.O_RDONLY | constants.O_DIRECTORY)
}

/** What the snapshot holds, read from the copy itself: consistent with it by construction. */
export function readSnapshot(path: string): SnapshotContents {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    const { maxSeq } = db.prepare('SELECT COALESCE(MAX(seq), 0) AS maxSeq FROM commits').get() as { maxSeq: number }
    // version IS NOT NULL: the version of a committed entry. A pending entry's objects are not needed:
    // recovery aborts it when a service starts on the backup. A removed version's are not either: it
    // answers 410 whether or not its bytes are there, and garbage collection may already have taken
    // them (a ledger from before removals has no removed_seq). Oldest last reference first: retention
    // expires oldest first, so those objects are the first that may go.
    const hasRemovals = db.prepare("SELECT 1 FROM pragma_table_info('commit_artifacts') WHERE name = 'removed_seq'").get() !== undefined
    const objects = db.prepare(`SELECT sha256, MAX(size) AS size FROM commit_artifacts WHERE version IS NOT NULL AND sha256 IS NOT NULL
      ${hasRemovals ? 'AND removed_seq IS NULL' : ''} GROUP BY sha256 ORDER BY MAX(commit_seq), sha256`).all() as { sha256: string; size: number }[]
    const latest = (db.prepare('SELECT session_id, name, sha256 FROM latest_artifacts ORDER BY session_id, name').all() as { session_id: string; name: string; sha256: string }[])
      .map((row) => ({ sessionId: row.session_id, name: row.name, sha256: row.sha256 }))
    const hasInline = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inline_objects'").get() !== undefined
    const inline = new Set(hasInline ? db.prepare('SELECT sha256 FROM inline_objects').pluck().all() as string[] : [])
    return { maxSeq, objects, latest, inline }
  } finally {
    db.close()
  }
}

async function fsyncPath(path: string, flags: number): Promise<void> {
  const handle = await open(path, flags)
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * The inline objects of a snapshot (or of a backup's ledger.db), read through one read-only connection.
 * SQLite keeps no page checksums, so a damaged row reads back without an error: `check` hashes it.
 */
export class InlineObjectReader {
  private readonly db: Database.Database
  /** Undefined in a ledger from before inline objects: none of its objects is inline. */
  private readonly select: Database.Statement | undefined

  constructor(path: string) {
    this.db = new Database(path, { readonly: true, fileMustExist: true })
    const hasTable = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'inline_objects'").get() !== undefined
    this.select = hasTable ? this.db.prepare('SELECT bytes FROM inline_objects WHERE sha256 = ?') : undefined
  }

  bytesOf(sha256: string): Buffer | undefined {
    return (this.select?.get(sha256) as { bytes: Buffer } | undefined)?.bytes
  }

  check(sha256: string): { state: 'ok' | 'missing' | 'corrupt'; size: number } {
    const bytes = this.bytesOf(sha256)
    if (bytes === undefined) return { state: 'missing', size: 0 }
    return { state: createHash('sha256').update(bytes).digest('hex') === sha256 ? 'ok' : 'corrupt', size: bytes.byteLength }
  }

  close(): void {
    this.db.close()
  }
}
