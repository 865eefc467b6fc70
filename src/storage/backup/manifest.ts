// manifest.json: what a finished backup holds. Written last and atomically, so a backup without one is unfinished.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isNotFound } from '../files/io-errors.js'
import { writeVerified } from '../files/verified-write.js'

export const MANIFEST_FILE = 'manifest.json'
export const MANIFEST_FORMAT = 'artifact-ledger-backup'
export const MANIFEST_VERSION = 1

/** An object the snapshot refers to that the backup does not hold (only with --allow-missing). */
export interface LeftOut {
  sha256: string
  problem: 'missing' | 'corrupt'
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT
  formatVersion: typeof MANIFEST_VERSION
  /** When the database snapshot began: every commit acknowledged before this instant is in the backup. */
  takenAt: string
  finishedAt: string
  serviceVersion: string
  source: { host: string; dataDir: string }
  /** ledger.db as the snapshot wrote it; a service started on the backup changes it. */
  database: { file: 'ledger.db'; sha256: string; size: number; maxSeq: number }
  /**
   * Every object the snapshot's committed versions refer to and the backup holds, by digest; `inline`
   * when its bytes are a row of the backup's ledger.db (INLINE_OBJECT_MAX_BYTES) rather than a file.
   */
  objects: { sha256: string; size: number; inline?: true }[]
  leftOut: LeftOut[]
  /** How the objects got here: hard links share their bytes with the source (same disk). */
  objectsLinked: number
  objectsCopied: number
  /** Objects held inside ledger.db, hashed there (absent from backups taken before inline objects). */
  objectsInline?: number
  plainFiles: number
  /** The GC grace the backup kept within, from its snapshot to its last object. */
  gcGraceSeconds: number
}

export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8')
  // Temp beside it, fsync, rename, fsync the folder, read back: it appears whole or not at all.
  await writeVerified(join(dir, MANIFEST_FILE), bytes, { root: dir })
}

/** The manifest of a finished backup, or undefined when there is none (unfinished, or not a backup). */
export async function readManifest(dir: string): Promise<BackupManifest | undefined> {
  let text: string
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8')
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw error
  }
  const manifest = JSON.parse(text) as Partial<BackupManifest>
  if (manifest.format !== MANIFEST_FORMAT || manifest.formatVersion !== MANIFEST_VERSION) {
    throw new Error(`${join(dir, MANIFEST_FILE)} is not a version ${MANIFEST_VERSION} artifact-ledger backup manifest`)
  }
  return manifest as BackupManifest
}
