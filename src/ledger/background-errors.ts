// Errors of background work (scrub, canary, deadlines, cleanup, recording failures…), which no caller
// will ever see: each is logged, counted by path and code, and kept for status and health until that
// path next succeeds. An error nobody expected is a bug, and is made as loud as any other.
import type { BackgroundPath, LedgerObserver } from '../domain/ports.js'
import { describeError } from './describe-error.js'

/** What the ledger logs through: pino's signature, so main.ts hands it pino and tests a recorder. */
export interface LedgerLogger {
  error(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  info(fields: Record<string, unknown>, message: string): void
}

export interface StandingError {
  path: BackgroundPath
  code: string
  detail: string
  /** When this error was first seen on this path, and how often since. */
  since: string
  count: number
}

export class BackgroundErrors {
  private readonly standing = new Map<BackgroundPath, StandingError>()

  constructor(
    private readonly logger: LedgerLogger,
    private readonly observer: Pick<LedgerObserver, 'backgroundError'>,
  ) {}

  report(path: BackgroundPath, error: unknown): void {
    const { code, detail } = describeError(error)
    this.observer.backgroundError(path, code)
    const previous = this.standing.get(path)
    if (previous?.code === code) {
      // The same failure again (a disk that stays broken): counted every time, logged once.
      previous.count++
      return
    }
    this.standing.set(path, { path, code, detail, since: new Date().toISOString(), count: 1 })
    // An unknown error keeps its stack in the log: it is a bug, and the stack is where to start.
    this.logger.error({ path, code, err: error }, `background ${path} failed: ${code === 'internal' && error instanceof Error ? error.message : detail}`)
  }

  /** The path ran cleanly: whatever failed there before no longer stands. */
  succeeded(path: BackgroundPath): void {
    const previous = this.standing.get(path)
    if (previous === undefined) return
    this.standing.delete(path)
    this.logger.info({ path, code: previous.code, failures: previous.count }, `background ${path} works again`)
  }

  list(): StandingError[] {
    return [...this.standing.values()].map((e) => ({ ...e }))
  }
}
