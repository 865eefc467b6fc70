// `artifact-ledger backup`: a consistent copy of a data dir taken while its service serves writes.
// Order: database snapshot, the objects it refers to, the plain view from it, the manifest last.
import { readdir, readFile, stat } from 'node:fs/promises'
import { hostname } from 'node:os'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { BackupFailed } from './backup-failed.js'
import { InlineObjectReader, readSnapshot, snapshotDatabase } from './database-snapshot.js'
import { writeManifest, type BackupManifest, type LeftOut } from './manifest.js'
import { ObjectCopier, objectPath } from './object-copies.js'
import { FAILURE_JOURNAL_FILE } from '../files/failure-journal.js'
import { errnoOf, isNotFound } from '../files/io-errors.js'
import { readLazily } from '../files/lazy-read.js'
import { FilePlainView } from '../files/plain-view.js'
import { ensureDir, hashFile, writeVerified } from '../files/verified-write.js'

export interface BackupOptions {
  dataDir: string
  target: string
  /** Finish without the objects that are missing or corrupt in the source, listing them in the manifest. */
  allowMissing: boolean
  /** GC_GRACE_SECONDS: the longest the object phase may run after the snapshot began. */
  gcGraceSeconds: number
  serviceVersion: string
  /** One line of progress, for stderr. */
  progress: (line: string) => void
  /** Milliseconds since the epoch; a test may make time pass. */
  clock?: () => number
}

export async function takeBackup(options: BackupOptions): Promise<BackupManifest> {
  const clock = options.clock ?? Date.now
  const source = resolve(options.dataDir)
  const target = resolve(options.target)
  await checkPlaces(source, target)
  await ensureDir(target, dirname(target))

  // Before the snapshot: a failure owed to the log then refers to an entry the snapshot holds.
  await copyFailureJournal(source, target)
  const started = clock()
  const takenAt = new Date(started).toISOString()
  await snapshotDatabase(join(source, 'ledger.db'), join(target, 'ledger.db'))
  const snapshot = readSnapshot(join(target, 'ledger.db'))
  options.progress(`snapshot: ledger.db up to seq ${snapshot.maxSeq}, ${snapshot.objects.length} objects referenced (${clock() - started} ms)`)

  // From here until the last object is in place, GC's grace protects every object the snapshot refers to.
  const copier = new ObjectCopier(source, target)
  const leftOut: LeftOut[] = []
  const linked: string[] = []
  let copied = 0
  const graceEnds = started + options.gcGraceSeconds * 1000
  // Inline objects came with the snapshot: hashed in the copy, nothing to link.
  const inlineReader = new InlineObjectReader(join(target, 'ledger.db'))
  let inlineIntact = 0
  try {
    for (const sha256 of snapshot.objects.map((o) => o.sha256).filter((each) => snapshot.inline.has(each))) {
      const { state } = inlineReader.check(sha256)
      if (state === 'ok') inlineIntact++
      else leftOut.push({ sha256, problem: state })
    }
  } finally {
    inlineReader.close()
  }
  for (const { sha256 } of snapshot.objects.filter((o) => !snapshot.inline.has(o.sha256))) {
    const placement = await copier.place(sha256)
    if (placement === 'linked') linked.push(sha256)
    else if (placement === 'copied') copied++
    else leftOut.push({ sha256, problem: placement })
    if (clock() > graceEnds) throw pastGrace(options.gcGraceSeconds, clock() - started)
  }
  await copier.syncDirs()
  options.progress(`objects: ${linked.length} hard-linked, ${copied} copied and verified, ${inlineIntact} inside ledger.db verified (${clock() - started} ms since the snapshot)`)

  // A link shares the source's bytes: hashed here, every one.
  let linkedIntact = 0
  for (const sha256 of linked) {
    if ((await copier.checkLinked(sha256)) === 'corrupt') leftOut.push({ sha256, problem: 'corrupt' })
    else linkedIntact++
  }
  if (leftOut.length > 0 && !options.allowMissing) throw objectsLeftOut(source, leftOut)

  const plainFiles = await writePlainView(target, snapshot.latest, new Set(leftOut.map((l) => l.sha256)), snapshot.inline)
  options.progress(`plain view: ${plainFiles} files written from the snapshot's latest versions`)

  const database = await hashFile(join(target, 'ledger.db'), target)
  const bad = new Set(leftOut.map((l) => l.sha256))
  const manifest: BackupManifest = {
    format: 'artifact-ledger-backup',
    formatVersion: 1,
    takenAt,
    finishedAt: new Date(clock()).toISOString(),
    serviceVersion: options.serviceVersion,
    source: { host: hostname(), dataDir: source },
    database: { file: 'ledger.db', ...database, maxSeq: snapshot.maxSeq },
    objects: snapshot.objects.filter((o) => !bad.has(o.sha256)).map((o) => (snapshot.inline.has(o.sha256) ? { ...o, inline: true as const } : o)),
    leftOut,
    objectsLinked: linkedIntact,
    objectsCopied: copied,
    objectsInline: inlineIntact,
    plainFiles,
    gcGraceSeconds: options.gcGraceSeconds,
  }
  await writeManifest(target, manifest)
  return manifest
}

/**
 * Invariant 2 for the restored dir: every plain file equals the latest committed version. Start-up
 * recovery restores only the names of unsettled commits, so the backup writes the view itself, each file
 * a verified copy of the backup's own object (a separate file, as the service keeps it: a tool that
 * edits a plain file must not change an object).
 */
async function writePlainView(
  target: string, latest: { sessionId: string; name: string; sha256: string }[], leftOut: Set<string>, inline: Set<string>,
): Promise<number> {
  const reader = new InlineObjectReader(join(target, 'ledger.db'))
  try {
    const view = new FilePlainView(target, (sha256) => {
      const bytes = inline.has(sha256) ? reader.bytesOf(sha256) : undefined
      return bytes === undefined ? readLazily(objectPath(target, sha256), `objects/sha256/${sha256}`) : yieldOnce(bytes)
    })
    let written = 0
    for (const { sessionId, name, sha256 } of latest) {
      if (leftOut.has(sha256)) continue
      await view.show(sessionId, name, { sha256 })
      written++
    }
    return written
  } finally {
    reader.close()
  }
}

async function* yieldOnce(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes
}

/** Failures the log could not record yet (ledger-failures.jsonl), if any: the restored service records them. */
async function copyFailureJournal(source: string, target: string): Promise<void> {
  let bytes: Buffer
  try {
    bytes = await readFile(join(source, FAILURE_JOURNAL_FILE))
  } catch (error) {
    if (isNotFound(error)) return
    throw error
  }
  await writeVerified(join(target, FAILURE_JOURNAL_FILE), bytes, { root: target })
}

/** The source must be a data dir, the target new or empty, and neither inside the other. */
async function checkPlaces(source: string, target: string): Promise<void> {
  try {
    await stat(join(source, 'ledger.db'))
  } catch (error) {
    if (isNotFound(error)) throw new BackupFailed(`${source} has no ledger.db: not an artifact-ledger data dir (set --data-dir or DATA_DIR)`)
    throw error
  }
  const inside = (inner: string, outer: string): boolean => inner === outer || inner.startsWith(outer + sep)
  if (inside(target, source) || inside(source, target)) {
    throw new BackupFailed(`the backup dir ${target} and the data dir ${source} must not contain one another`)
  }
  try {
    const entries = await readdir(target)
    if (entries.length > 0) throw new BackupFailed(`${target} is not empty: a backup goes into a new or empty directory`)
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error
  }
}

function pastGrace(graceSeconds: number, elapsedMs: number): BackupFailed {
  return new BackupFailed(
    `the backup has run ${Math.round(elapsedMs / 1000)} s since its snapshot, past GC_GRACE_SECONDS=${graceSeconds}: ` +
    'garbage collection may have removed objects the snapshot refers to. Nothing usable was written (no manifest). ' +
    'Back up to the same filesystem (hard links are fast), or raise GC_GRACE_SECONDS for the service and the backup alike.',
  )
}

function objectsLeftOut(source: string, leftOut: LeftOut[]): BackupFailed {
  const shown = leftOut.slice(0, 20).map((l) => `  ${l.problem}: ${relative(source, objectPath(source, l.sha256))}`)
  const more = leftOut.length > shown.length ? [`  … and ${leftOut.length - shown.length} more`] : []
  return new BackupFailed(
    [`${leftOut.length} object(s) the snapshot refers to are missing or corrupt in ${source}:`, ...shown, ...more,
      'Nothing usable was written (no manifest). Run verify on the service to see which artifacts they are; ' +
      '--allow-missing takes the backup without them, listed in the manifest.'].join('\n'),
    leftOut,
  )
}
