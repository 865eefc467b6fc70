// A replica's view of objects shared by all replicas (a bucket, here a Map) that can hold its writes: a commit
// then stays in flight with its entry pending, for as long as a test needs another replica to act meanwhile.
import type { StagedContent } from '../../src/domain/ports.js'
import { MemoryObjectStore } from '../../src/storage/memory/object-store.js'

/** Staging is the replica's own, published objects everyone's. While `held`, publishing waits. */
export class StallingObjects extends MemoryObjectStore {
  private gate: Promise<void> | undefined
  private open: () => void = () => undefined
  private fail: (error: Error) => void = () => undefined

  hold(): void {
    this.gate = new Promise((resolve, reject) => {
      this.open = resolve
      this.fail = reject
    })
    // A gate failed with nobody waiting on it is still handled: the failure is for the writes that wait.
    this.gate.catch(() => undefined)
  }

  /** Lets the held writes go on, or fail with `failure` (and the commits they belong to with them). */
  release(failure?: Error): void {
    this.gate = undefined
    if (failure === undefined) this.open()
    else this.fail(failure)
  }

  override async publish(staged: StagedContent): Promise<void> {
    await this.gate
    return super.publish(staged)
  }

  override async put(bytes: Uint8Array, sha256: string): Promise<void> {
    await this.gate
    return super.put(bytes, sha256)
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
