// The background scrub: re-verifies everything at a bounded rate and keeps the result for status.
import { BackgroundRun } from './background-run.js'
import type { ScrubSummary } from './status.js'
import type { VerifyReport } from './verify.js'

export interface ScrubParts {
  verify: (throttle: (bytes: number) => Promise<void>) => Promise<VerifyReport>
  onResult: (summary: ScrubSummary, report: VerifyReport) => Promise<void>
  onError: (error: unknown) => void
}

export function summarize(report: VerifyReport): ScrubSummary {
  return {
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    ok: report.ok,
    checkedObjects: report.checked.objects,
    checkedPlainFiles: report.checked.plainFiles,
    bytes: report.checked.bytes,
    missing: report.missing.length,
    corrupt: report.corrupt.length,
    orphaned: report.orphaned.length,
    repaired: report.repaired.length,
  }
}

/** Sleeps as needed so that the bytes read so far never exceed `bytesPerSecond` on average. */
export function rateLimiter(bytesPerSecond: number, signal?: AbortSignal, now: () => number = () => performance.now()): (bytes: number) => Promise<void> {
  const started = now()
  let total = 0
  return async (bytes) => {
    // Stopping the service ends a scrub between two files, not after the whole walk.
    signal?.throwIfAborted()
    total += bytes
    const aheadMs = (total / bytesPerSecond) * 1000 - (now() - started)
    if (aheadMs > 1) await new Promise((resolve) => setTimeout(resolve, aheadMs))
  }
}

export class Scrubber extends BackgroundRun<ScrubSummary> {
  constructor(
    private readonly parts: ScrubParts,
    private readonly bytesPerSecond: number,
  ) {
    super(parts.onError)
  }

  protected async run(): Promise<ScrubSummary> {
    const report = await this.parts.verify(rateLimiter(this.bytesPerSecond, this.stopping.signal))
    const summary = summarize(report)
    await this.parts.onResult(summary, report)
    return summary
  }
}
