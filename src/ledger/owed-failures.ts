// Failures the log could not record when they happened (the log itself was failing) are recorded late
// rather than never: kept in memory and in a journal beside the log, and written into the log as soon
// as it takes writes again, before readiness passes.
import type { CommitLog, FailureJournal, OwedFailure } from '../domain/ports.js'

export class OwedFailures {
  private readonly owed: OwedFailure[] = []
  /** The settle in progress: callers share it, so no failure is written, and taken off the list, twice. */
  private settling: Promise<number> | undefined

  constructor(
    private readonly log: CommitLog,
    private readonly journal: FailureJournal,
    /** The journal failing too is reported, but the failure stays owed in memory. */
    private readonly reportJournalError: (error: unknown) => void,
  ) {}

  get count(): number {
    return this.owed.length
  }

  async owe(failure: OwedFailure): Promise<void> {
    this.owed.push(failure)
    try {
      await this.journal.append(failure)
    } catch (error) {
      this.reportJournalError(error)
    }
  }

  /** Writes every owed failure into the log, oldest first; throws on the first the log refuses, keeping it and the rest. */
  settle(): Promise<number> {
    this.settling ??= this.writeOwed().finally(() => {
      this.settling = undefined
    })
    return this.settling
  }

  private async writeOwed(): Promise<number> {
    let written = 0
    for (let failure = this.owed[0]; failure !== undefined; failure = this.owed[0]) {
      await this.write(failure)
      this.owed.shift()
      written++
    }
    // Cleared only when nothing is owed: an entry appended meanwhile must not be lost with the file.
    if (written > 0 && this.owed.length === 0) await this.journal.clear()
    return written
  }

  /** At start-up, before pending commits are aborted: failures a previous process still owed the log. */
  async replayJournal(): Promise<number> {
    const failures = await this.journal.readAll()
    for (const failure of failures) await this.write(failure)
    if (failures.length > 0) await this.journal.clear()
    return failures.length
  }

  private async write(failure: OwedFailure): Promise<void> {
    // Both are no-ops when the entry is already final or present: replaying twice records once.
    if (failure.kind === 'pending') await this.log.markFailed(failure.seq, failure.error, failure.settled)
    else await this.log.recordEnded(failure.attempt)
  }
}
