// Background work that runs on a timer and on demand, one run at a time: callers during a run share it,
// a timer tick during a run joins it, and stopping aborts the run between two of its steps and waits.
export abstract class BackgroundRun<T> {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<T> | undefined
  /** Aborted by stop(): a long run checks it between steps. */
  protected readonly stopping = new AbortController()

  /** `onError` hears of a failed timed run; a run asked for (runOnce) rejects to its caller instead. */
  constructor(private readonly onError: (error: unknown) => void) {}

  get isRunning(): boolean {
    return this.running !== undefined
  }

  runOnce(): Promise<T> {
    return this.share(() => this.run())
  }

  /** Starts `start` unless a run is under way, and gives the run under way to every caller meanwhile. */
  protected share(start: () => Promise<T>): Promise<T> {
    this.running ??= start().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  protected abstract run(): Promise<T>

  /** What the timer starts: a run, unless a subclass treats timed runs differently. */
  protected tick(): Promise<unknown> {
    return this.runOnce()
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer !== undefined) return
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => this.onError(error))
    }, intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    this.stopping.abort()
    await Promise.allSettled([this.running])
  }
}
