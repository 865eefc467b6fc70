// `artifact-ledger backup --verify`: re-hashes a finished backup's database and every object against its manifest.
import { join } from 'node:path'
import { BackupFailed } from './backup-failed.js'
import { InlineObjectReader } from './database-snapshot.js'
import { readManifest, type BackupManifest } from './manifest.js'
import { objectPath } from './object-copies.js'
import { isNotFound } from '../files/io-errors.js'
import { hashFile } from '../files/verified-write.js'

export interface BackupFinding {
  path: string
  problem: 'missing' | 'corrupt' | 'changed'
}

export interface BackupCheck {
  manifest: BackupManifest
  checked: { objects: number; bytes: number }
  findings: BackupFinding[]
}

export async function checkBackup(dir: string): Promise<BackupCheck> {
  const manifest = await readManifest(dir)
  if (manifest === undefined) throw new BackupFailed(`${dir} has no manifest.json: an unfinished backup, or not a backup`)
  const findings: BackupFinding[] = []
  // A service started on the backup changes ledger.db (recovery, WAL): "changed", not corrupt.
  const database = await hashOrMissing(join(dir, 'ledger.db'), dir)
  if (database === undefined) findings.push({ path: 'ledger.db', problem: 'missing' })
  else if (database.sha256 !== manifest.database.sha256) findings.push({ path: 'ledger.db', problem: 'changed' })
  let bytes = 0
  if (database !== undefined) {
    const reader = new InlineObjectReader(join(dir, 'ledger.db'))
    try {
      for (const { sha256, size } of manifest.objects.filter((o) => o.inline === true)) {
        const found = reader.check(sha256)
        bytes += found.size
        const shown = `ledger.db:inline_objects/${sha256}`
        if (found.state !== 'ok' || found.size !== size) findings.push({ path: shown, problem: found.state === 'missing' ? 'missing' : 'corrupt' })
      }
    } finally {
      reader.close()
    }
  }
  for (const { sha256, size } of manifest.objects.filter((o) => o.inline !== true)) {
    const path = objectPath(dir, sha256)
    const found = await hashOrMissing(path, dir)
    bytes += found?.size ?? 0
    const shown = `objects/sha256/${sha256.slice(0, 2)}/${sha256.slice(2)}`
    if (found === undefined) findings.push({ path: shown, problem: 'missing' })
    else if (found.sha256 !== sha256 || found.size !== size) findings.push({ path: shown, problem: 'corrupt' })
  }
  return { manifest, checked: { objects: manifest.objects.length, bytes }, findings }
}

async function hashOrMissing(path: string, root: string): Promise<{ sha256: string; size: number } | undefined> {
  try {
    return await hashFile(path, root)
  } catch (error) {
    if (isNotFound((error as { cause?: unknown }).cause)) return undefined
    throw error
  }
}
