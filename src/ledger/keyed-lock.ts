// Serialises async work per key (a session), so version numbers and plain files move in commit order.

export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>()

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => {
      release = resolve
    })
    const tail = previous.then(() => mine)
    this.tails.set(key, tail)
    await previous
    try {
      return await work()
    } finally {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }

  get size(): number {
    return this.tails.size
  }
}

/** Counts users of each key, e.g. objects that an unfinished commit still needs. */
export class RefCounter {
  private readonly counts = new Map<string, number>()

  acquire(keys: Iterable<string>): () => void {
    const held = [...keys]
    for (const key of held) this.counts.set(key, (this.counts.get(key) ?? 0) + 1)
    return () => {
      for (const key of held) {
        const left = (this.counts.get(key) ?? 1) - 1
        if (left === 0) this.counts.delete(key)
        else this.counts.set(key, left)
      }
    }
  }

  has(key: string): boolean {
    return this.counts.has(key)
  }
}
