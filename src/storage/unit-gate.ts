// One piece of async work at a time, in the order asked. On a log with one connection (SQLite's, or
// memory) it is the unit of work: while one holds the gate, every other call waits, or it would run inside
// that unit's transaction. On PostgreSQL it queues this process's write transactions and object deletions.

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
