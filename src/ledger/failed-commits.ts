// A commit that failed after its pending row: its files are put back as the log has them, and the
// failure is logged (or, when the log itself is failing, owed to it and recorded once it works again).
import type { CommitLog, Coordination, ObjectStore, OwedFailure, PlainView, BackgroundPath } from '../domain/ports.js'
import { describeError } from './describe-error.js'
import { removeIfUnneeded } from './recovery.js'
import type { ServiceState } from './service-state.js'

export interface FailedCommitParts {
  log: CommitLog
  objects: ObjectStore
  view: PlainView
  coordination: Coordination
  state: ServiceState
  /** An error no caller will see (a cleanup, an undo, recording a failure): logged, counted, kept for status, and a storage fault is noted too. */
  reportBackground: (path: BackgroundPath, error: unknown) => void
  /** A failure the log could not record now; it is recorded as soon as the log takes writes again. */
  oweFailure: (failure: OwedFailure) => Promise<void>
  /** Plain files are flushed in batches (PLAIN_VIEW_FLUSH_MS > 0): an undo puts them back the same way. */
  batchPlainFlush: boolean
}

/** Logs the failure; if even the log cannot take it now, it is owed and recorded once the log works again. */
export async function recordFailure(parts: FailedCommitParts, commit: { seq: number; id: string; sessionId: string }, error: unknown, settled: boolean): Promise<void> {
  const described = describeError(error)
  try {
    await parts.log.markFailed(commit.seq, described, settled)
  } catch (logError) {
    parts.reportBackground('record-failure', logError)
    await parts.oweFailure({ kind: 'pending', ...commit, error: described, settled })
  }
}

/**
 * Puts back the previous committed content of every plain file the failed commit touched and removes
 * objects nothing needs. Returns false when that could not be finished: the session then stays dirty
 * and is reconciled before its next commit, and at start-up.
 */
export async function undoFailedCommit(parts: FailedCommitParts, sessionId: string, touched: string[], sha256s: string[]): Promise<boolean> {
  const { log, view } = parts
  let settled = true
  // Every name is tried, also after one fails: each file put back is one fewer out of line meanwhile.
  for (const name of touched) {
    try {
      const previous = await log.latestVersion(sessionId, name)
      if (previous === undefined) await view.remove(sessionId, name)
      // Put back as the commit showed them: batched, the flusher makes it durable (and recovery after a crash),
      // so a steady fsync fault that failed the commit does not also fail its undo.
      else await view.show(sessionId, name, { sha256: previous.sha256 }, { batched: parts.batchPlainFlush })
    } catch (undoError) {
      if (settled) parts.reportBackground('undo', undoError)
      parts.state.dirtySessions.add(sessionId)
      settled = false
    }
  }
  // Independent of the plain files: an object nothing references goes even when they could not be put back.
  try {
    for (const sha256 of sha256s) {
      await removeIfUnneeded(parts, sha256)
    }
  } catch (undoError) {
    parts.reportBackground('undo', undoError)
    parts.state.dirtySessions.add(sessionId)
    settled = false
  }
  return settled
}
