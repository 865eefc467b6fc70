// The canary: a small synthetic commit through the whole write path, so health proves writes work.
import { CANARY_SESSION_ID } from '../domain/session.js'
import type { CanarySummary } from './status.js'
import type { Committer } from './commit.js'
import { describeError } from './describe-error.js'

export interface CanaryParts {
  committer: Committer
  /** After a commit that went through: gives the canary's session its retention (it is created by the first one). */
  afterCommit: () => Promise<void>
  /** The run's summary, and the error that failed it, if one did (to be reported: the summary keeps only its code). */
  onResult: (result: CanarySummary, error?: unknown) => void
}

export class Canary {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<CanarySummary> | undefined
  private sequence = 0

  constructor(private readonly parts: CanaryParts) {}

  /** Runs one canary commit; concurrent callers share the run in flight. */
  runOnce(): Promise<CanarySummary> {
    this.running ??= this.commitOnce().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  private async commitOnce(): Promise<CanarySummary> {
    const started = performance.now()
    const at = new Date().toISOString()
    let result: CanarySummary
    let failure: unknown
    try {
      // New bytes every time: an unchanged object would be reused and nothing would reach the disk.
      await this.parts.committer.commit(CANARY_SESSION_ID, {
        artifacts: [{ name: 'canary.json', json: { at, pid: process.pid, sequence: ++this.sequence } }],
        message: 'canary',
      })
      result = { at, ok: true, latencyMs: Math.round(performance.now() - started), error: null }
      await this.parts.afterCommit()
    } catch (error) {
      const { code, detail } = describeError(error)
      result = { at, ok: false, latencyMs: Math.round(performance.now() - started), error: `${code}: ${detail}` }
      failure = error
    }
    this.parts.onResult(result, failure)
    return result
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer !== undefined) return
    this.timer = setInterval(() => {
      void this.runOnce()
    }, intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }
}
