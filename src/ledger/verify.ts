// Re-reads and hashes every stored file (or one session's), repairs what the log can vouch for,
// and reports what is missing, corrupt or stray.
import type { LedgerObserver, LedgerPorts } from '../domain/ports.js'
import { isUnneeded } from './recovery.js'

export interface VerifyFinding {
  kind: 'object' | 'plain' | 'temp'
  path: string
  sha256?: string
  sessionId?: string
  name?: string
  /** For a plain file that differs from the log: the digest found on disk. */
  actualSha256?: string
  /** Set when this run fixed it; the finding is still reported, so nothing is found silently. */
  repaired?: true
}

export interface VerifyReport {
  scope: { sessionId: string | null }
  ok: boolean
  repair: boolean
  checked: { objects: number; plainFiles: number; bytes: number }
  missing: VerifyFinding[]
  corrupt: VerifyFinding[]
  orphaned: VerifyFinding[]
  /** The findings this run fixed (they also stand in missing/corrupt): plain files rewritten from intact objects. */
  repaired: VerifyFinding[]
  /** Versions a deletion or retention removed: their bytes are expected to go, so they are not checked or missed. */
  removed: { deletedVersions: number; expiredVersions: number }
  startedAt: string
  finishedAt: string
  durationMs: number
}

/** Plain-file checks and repairs run under the session's lock (coordination.sessions), so they never race a commit. */
export interface VerifyParts extends Pick<LedgerPorts, 'log' | 'bookkeeping' | 'objects' | 'view' | 'coordination'> {
  observer: LedgerObserver
}

export interface VerifyOptions {
  sessionId?: string
  repair: boolean
  /** Also rebuild a bad object from a plain copy that still hashes right (an operator's choice). */
  repairObjects?: boolean
  /** Called with the bytes just read, so a background scrub can keep to its rate limit. */
  throttle?: (bytes: number) => Promise<void>
}

export async function verifyStorage(parts: VerifyParts, options: VerifyOptions): Promise<VerifyReport> {
  const { log, objects, view, observer } = parts
  const { sessionId, repair } = options
  const startedAt = new Date()
  const report: VerifyReport = {
    scope: { sessionId: sessionId ?? null },
    ok: true,
    repair,
    checked: { objects: 0, plainFiles: 0, bytes: 0 },
    missing: [],
    corrupt: [],
    orphaned: [],
    repaired: [],
    removed: { deletedVersions: 0, expiredVersions: 0 },
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationMs: 0,
  }

  // Objects first: a plain file is only rewritten from an object that just proved intact.
  const referenced = new Set<string>()
  const badObjects = new Map<string, 'missing' | 'corrupt'>()
  for (const { sha256, size } of await log.referencedObjects(sessionId)) {
    referenced.add(sha256)
    const state = await objects.check(sha256)
    report.checked.objects++
    report.checked.bytes += size
    await options.throttle?.(size)
    await parts.bookkeeping.setObjectState(sha256, state)
    if (state !== 'ok') {
      badObjects.set(sha256, state)
      observer.integrityProblem(state === 'missing' ? 'object_missing' : 'object_corrupt')
    }
  }

  // A view that is off has nothing to check, stray or rebuild from.
  const latest = view.isOn ? await log.latestForVerify(sessionId) : []
  for (const { sessionId: sid, name } of latest) {
    await parts.coordination.sessions.withLock(sid, () => checkPlainFile(parts, report, badObjects, sid, name, options))
  }

  for (const [sha256, state] of badObjects) {
    const finding = { kind: 'object' as const, path: objects.locationOf(sha256), sha256 }
    const fixed = options.repairObjects === true && (await restoreObjectFromPlainCopy(parts, sha256))
    if (fixed) await parts.bookkeeping.setObjectState(sha256, 'ok')
    record(report, state, finding, fixed)
  }

  // Stray files. Commits go on while we walk, so anything not in the snapshot is checked again
  // against the log before it is called an orphan.
  const sessionsInView = !view.isOn ? [] : sessionId === undefined ? await view.listSessions() : [sessionId]
  for (const sid of sessionsInView) {
    // Plain files change only under the session lock: inside it, a file the log does not know is stray.
    const strays = await parts.coordination.sessions.withLock(sid, async () => {
      const current = new Set((await log.latestVersions(sid)).map((v) => v.name))
      return (await view.listFiles(sid)).filter((file) => !current.has(file.name))
    })
    for (const file of strays) report.orphaned.push({ kind: file.isLeftover ? 'temp' : 'plain', path: file.location, sessionId: sid })
  }

  if (sessionId === undefined) {
    for await (const entry of objects.list()) {
      if (entry.kind === 'object') {
        const { sha256 } = entry
        if (referenced.has(sha256) || !(await isUnneeded(parts, sha256))) continue
        report.orphaned.push({ kind: 'object', path: entry.location, sha256 })
      } else if (entry.stale) {
        // A leftover of a write in progress is not an orphan; one untouched for a while is.
        report.orphaned.push({ kind: 'temp', path: entry.location })
      }
    }
  }

  const removed = await parts.bookkeeping.removedVersions(sessionId)
  report.removed = { deletedVersions: removed.deleted, expiredVersions: removed.expired }

  const finishedAt = new Date()
  report.finishedAt = finishedAt.toISOString()
  report.durationMs = finishedAt.getTime() - startedAt.getTime()
  report.ok = report.missing.length === 0 && report.corrupt.length === 0 && report.orphaned.length === 0
  return report
}

/** Under the session lock: the plain file must equal the latest committed version, now. */
async function checkPlainFile(
  parts: VerifyParts, report: VerifyReport, badObjects: Map<string, string>, sid: string, name: string, options: VerifyOptions,
): Promise<void> {
  const latest = await parts.log.latestVersion(sid, name)
  if (latest === undefined) return
  const path = parts.view.locationOf(sid, name)
  const actual = await parts.view.digestOf(sid, name)
  report.checked.plainFiles++
  await options.throttle?.(latest.size)
  if (actual === latest.sha256) return
  const finding: VerifyFinding = {
    kind: 'plain', path, sessionId: sid, name, sha256: latest.sha256, ...(actual === undefined ? {} : { actualSha256: actual }),
  }
  parts.observer.integrityProblem(actual === undefined ? 'plain_missing' : 'plain_mismatch')
  const fixable = options.repair && !badObjects.has(latest.sha256)
  if (fixable) await parts.view.show(sid, name, { sha256: latest.sha256 })
  record(report, actual === undefined ? 'missing' : 'corrupt', finding, fixable)
}

/** Every finding is reported where it belongs; a repaired one is also listed under `repaired`. */
function record(report: VerifyReport, state: 'missing' | 'corrupt', finding: VerifyFinding, repaired: boolean): void {
  const entry: VerifyFinding = repaired ? { ...finding, repaired: true } : finding
  ;(state === 'missing' ? report.missing : report.corrupt).push(entry)
  if (repaired) report.repaired.push(entry)
}

/** A bad object can be rebuilt from any plain file that still holds exactly its bytes. */
async function restoreObjectFromPlainCopy(parts: VerifyParts, sha256: string): Promise<boolean> {
  if (!parts.view.isOn) return false
  for (const { sessionId, name } of (await parts.log.latestForVerify()).filter((l) => l.sha256 === sha256)) {
    const restored = await parts.coordination.sessions.withLock(sessionId, async () => {
      if ((await parts.view.digestOf(sessionId, name)) !== sha256) return false
      await parts.objects.restore(parts.view.read(sessionId, name), sha256)
      return true
    })
    if (restored) return true
  }
  return false
}
