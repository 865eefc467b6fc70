// Brings files back in line with the log: after a crash at start-up, after a failed rollback at run time.
import type { LedgerPorts, UnflushedFile, UnsettledCommit } from '../domain/ports.js'

export type RecoveryParts = Pick<LedgerPorts, 'log' | 'bookkeeping' | 'objects' | 'view' | 'probes' | 'coordination'>

export interface RecoveryReport {
  abortedCommits: number
  settledCommits: number
  removedTemps: number
  durationMs: number
}

export interface RecoveryOutcome {
  report: RecoveryReport
  /** Commits whose files could not be put back (e.g. their previous object is corrupt). */
  failures: { sessionId: string; error: unknown }[]
  /** Plain files of entries after the plain view's checkpoint, checked against the log. */
  recheckedPlainFiles: number
}

/** Entries read per page when recovery collects the names written after the checkpoint. */
const RECHECK_PAGE = 1000

export const ABORT_REASON = 'the service stopped before this commit finished; aborted by start-up recovery'
export const ORPHAN_REASON = 'the replica running this commit stopped before it finished; aborted by another replica'

/**
 * Start-up recovery, before the service is ready: pending commits become aborted, every temp file
 * goes, every plain file a pending commit could have touched is made equal to the log again, and so
 * is every plain file of an entry after the plain view's checkpoint (its flush may not have happened).
 */
export async function recoverAtStartup(parts: RecoveryParts): Promise<RecoveryOutcome> {
  const started = performance.now()
  const { recovery } = parts.coordination
  const pending = await recovery.mine(await parts.log.pendingCommits())
  for (const { seq } of pending) await parts.log.markAborted(seq, { code: 'service_restarted', detail: ABORT_REASON })
  const abortedCommits = pending.length
  const unsettled = await recovery.mine(await parts.log.unsettledCommits())
  // Every leftover, not only those beside names an unfinished commit wrote: nothing writes yet, and a
  // leftover whose own cleanup failed may sit where the log no longer points.
  let removedTemps = await parts.objects.removeLeftovers()
  removedTemps += await parts.view.removeLeftovers()
  removedTemps += await parts.probes.removeLeftovers()
  // Objects a garbage collection had taken out of the log but not yet off the disk; left to the replica
  // collecting now, if another is (its run, like every run, finishes the queue first).
  await parts.coordination.collector.run(() => collectGarbage(parts), { wait: false })
  let settledCommits = 0
  const failures: RecoveryOutcome['failures'] = []
  // One commit that cannot be settled must not keep every other session from recovering.
  for (const commit of unsettled) {
    try {
      removedTemps += await settleCommit(parts, commit)
      settledCommits++
    } catch (error) {
      failures.push({ sessionId: commit.sessionId, error })
    }
  }
  const recheckedPlainFiles = await recheckAfterCheckpoint(parts, failures)
  return {
    report: { abortedCommits, settledCommits, removedTemps, durationMs: Math.round(performance.now() - started) },
    failures,
    recheckedPlainFiles,
  }
}

export interface OrphanReport {
  abortedCommits: number
  settledCommits: number
  failures: RecoveryOutcome['failures']
}

/**
 * While serving, beside other replicas of the log: ends the pending entries of replicas that have gone
 * since (their process died with the commit in flight) and settles what they left, as start-up recovery
 * does for its own. Each settle runs under the session's lock, since this process is serving. Nothing to
 * do where no other process shares the log (RecoveryScope.orphaned is absent).
 */
export async function recoverOrphans(parts: RecoveryParts): Promise<OrphanReport> {
  const { recovery, sessions } = parts.coordination
  const report: OrphanReport = { abortedCommits: 0, settledCommits: 0, failures: [] }
  if (recovery.orphaned === undefined) return report
  for (const { seq } of await recovery.orphaned(await parts.log.pendingCommits())) {
    await parts.log.markAborted(seq, { code: 'service_restarted', detail: ORPHAN_REASON })
    report.abortedCommits++
  }
  for (const commit of await recovery.orphaned(await parts.log.unsettledCommits())) {
    try {
      await sessions.withLock(commit.sessionId, () => settleCommit(parts, commit))
      report.settledCommits++
    } catch (error) {
      report.failures.push({ sessionId: commit.sessionId, error })
    }
  }
  return report
}

/**
 * The plain files of entries after the checkpoint were published and read back, but their flush may
 * not have happened before the crash (a power loss can leave them old, empty or missing): each is made
 * equal to the log (written again, durably, when it differs) and the ones that are flushed now; then
 * the checkpoint moves to the end of the log. Those at or before it are on disk: verify checks them all.
 * Returns how many files it checked.
 */
async function recheckAfterCheckpoint(parts: RecoveryParts, failures: RecoveryOutcome['failures']): Promise<number> {
  const last = await parts.log.lastSeq()
  const checkpoint = await parts.bookkeeping.plainViewCheckpoint()
  // None recorded: a new log, or one an older release kept, which flushed each plain file before its 2xx.
  if (checkpoint === undefined || !parts.view.isOn) {
    await parts.bookkeeping.setPlainViewCheckpoint(last)
    return 0
  }
  const files = new Map<string, UnflushedFile>()
  for (let after = checkpoint; after < last;) {
    const page = await parts.log.listCommits({ afterSeq: after, limit: RECHECK_PAGE })
    for (const entry of page) {
      for (const { name } of entry.artifacts) files.set(`${entry.sessionId}\u0000${name}`, { sessionId: entry.sessionId, name })
    }
    const lastOfPage = page.at(-1)
    if (lastOfPage === undefined) break
    after = lastOfPage.seq
  }
  const intact: UnflushedFile[] = []
  const failedBefore = failures.length
  for (const file of files.values()) {
    try {
      if (await reconcileName(parts, file.sessionId, file.name)) intact.push(file)
    } catch (error) {
      failures.push({ sessionId: file.sessionId, error })
    }
  }
  // Equal to the log, maybe only in the page cache of a process killed before its flush: flushed now.
  for (const failed of await parts.view.flush(intact)) {
    try {
      // Never fsynced twice: written again, durably.
      await reconcileName(parts, failed.sessionId, failed.name, { rewrite: true })
    } catch (error) {
      failures.push({ sessionId: failed.sessionId, error })
    }
  }
  // A file that could not be put right keeps the checkpoint where it is: the next start checks again.
  if (failures.length === failedBefore) await parts.bookkeeping.setPlainViewCheckpoint(last)
  return files.size
}

/** True when nothing needs the object: no commit in flight claims it and no committed version refers to it. */
export async function isUnneeded(parts: Pick<RecoveryParts, 'log' | 'coordination'>, sha256: string): Promise<boolean> {
  return !(await parts.coordination.objects.isClaimed(sha256)) && !(await parts.log.isObjectReferenced(sha256))
}

/**
 * Deletes an object unless a commit claims it or `isNeeded` says a version still refers to it (by
 * default any committed version, removed or not: a removed version's object is garbage collection's),
 * with new claims held off while it goes (ObjectClaims.removeUnclaimed). Resolves true when it went.
 */
export async function removeIfUnneeded(
  parts: Pick<RecoveryParts, 'log' | 'coordination' | 'objects'>, sha256: string,
  isNeeded: (sha256: string) => Promise<boolean> = (digest) => parts.log.isObjectReferenced(digest),
): Promise<boolean> {
  let removed = false
  await parts.coordination.objects.removeUnclaimed(sha256, async () => {
    if (await isNeeded(sha256)) return
    await parts.objects.remove(sha256)
    removed = true
  })
  return removed
}

/** Deletes the objects garbage collection queued, unless something has come to reference them again. */
export async function collectGarbage(parts: RecoveryParts): Promise<void> {
  for (const sha256 of await parts.bookkeeping.objectsToCollect()) {
    // Taken by garbage collection: only a live version can still need it (a removed one never will).
    await removeIfUnneeded(parts, sha256, (digest) => parts.bookkeeping.isObjectLive(digest))
    await parts.bookkeeping.objectCollected(sha256)
  }
}

/** Undoes whatever an unfinished commit left on disk. Returns how many temp files it removed. */
export async function settleCommit(parts: RecoveryParts, commit: UnsettledCommit): Promise<number> {
  const names = commit.artifacts.map((a) => a.name)
  const removed = await parts.view.removeLeftovers(commit.sessionId, names)
  for (const name of names) await reconcileName(parts, commit.sessionId, name)
  for (const artifact of commit.artifacts) {
    const sha256 = artifact.sha256
    if (sha256 !== null) await removeIfUnneeded(parts, sha256)
  }
  await parts.log.markSettled(commit.seq)
  return removed
}

/**
 * Makes one plain file equal to the latest committed version (durably), or removes it when there is
 * none. Resolves true when a file was already there and equal (`rewrite` writes it again regardless).
 */
async function reconcileName(parts: RecoveryParts, sessionId: string, name: string, options: { rewrite?: boolean } = {}): Promise<boolean> {
  const latest = await parts.log.latestVersion(sessionId, name)
  if (latest === undefined) {
    // Also when no file is there: a crash can leave the folders of a new nested name behind, and an
    // empty folder `a/` would later stop a file named `a` from being written.
    await parts.view.remove(sessionId, name)
    return false
  }
  if (options.rewrite !== true && (await parts.view.digestOf(sessionId, name)) === latest.sha256) return true
  await parts.view.show(sessionId, name, { sha256: latest.sha256 })
  return false
}

/**
 * Reconciles a whole session folder with the log: stale and temp files go, every latest version is
 * in place, and the session's unsettled commits are settled. Runs under the session's lock.
 */
export async function reconcileSession(parts: RecoveryParts, sessionId: string): Promise<void> {
  const latest = new Set((await parts.log.latestVersions(sessionId)).map((v) => v.name))
  // Leftovers and names from commits that never committed have no place in the view.
  for (const file of await parts.view.listFiles(sessionId)) {
    if (!latest.has(file.name)) await parts.view.removeStray(sessionId, file.name)
  }
  for (const name of latest) await reconcileName(parts, sessionId, name)
  for (const commit of await parts.log.unsettledCommits()) {
    if (commit.sessionId === sessionId) await settleCommit(parts, commit)
  }
}
