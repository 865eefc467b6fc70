// Failures owed to the log, kept in memory: they survive nothing, like the memory log they are owed to.
import type { FailureJournal, OwedFailure } from '../../domain/ports.js'

export class MemoryFailureJournal implements FailureJournal {
  private failures: OwedFailure[] = []

  async append(failure: OwedFailure): Promise<void> {
    this.failures.push(structuredClone(failure))
  }

  async readAll(): Promise<OwedFailure[]> {
    return structuredClone(this.failures)
  }

  async clear(): Promise<void> {
    this.failures = []
  }
}
