// One unit of work at a time on a log that has one connection (SQLite's, or memory): while a unit of
// work holds the gate, every other call waits, or it would run inside that unit's transaction.

export class UnitGate {
  private held: Promise<void> | undefined

  get isFree(): boolean {
    return this.held === undefined
  }

  /**
   * Runs `work` now if the gate is free, else once it is. The loop is inline: finding the gate free and
   * running `work` happen in one synchronous step, with no other waiter in between.
   */
  async whenFree<T>(work: () => T): Promise<T> {
    while (this.held !== undefined) await this.held
    return work()
  }

  /** Holds the gate while `work` runs: nothing else runs until it settles. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    while (this.held !== undefined) await this.held
    let release!: () => void
    this.held = new Promise<void>((resolve) => {
      release = resolve
    })
    try {
      return await work()
    } finally {
      this.held = undefined
      release()
    }
  }
}
