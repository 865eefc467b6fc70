// Readiness probes of memory storage: it cannot fail the way a disk does; free space is the machine's memory.
import { freemem, totalmem } from 'node:os'
import type { StorageProbes } from '../../domain/ports.js'

export class MemoryProbes implements StorageProbes {
  async removeLeftovers(): Promise<number> {
    return 0
  }

  async probeWrite(): Promise<void> {}

  async checkDatabase(): Promise<void> {}

  async checkDataDir(): Promise<void> {}

  async diskSpace(): Promise<{ freeBytes: number; totalBytes: number }> {
    return { freeBytes: freemem(), totalBytes: totalmem() }
  }
}
