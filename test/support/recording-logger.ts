// A LedgerLogger that keeps what it is told, so tests can assert that background errors are logged.
import type { LedgerLogger } from '../../src/ledger/background-errors.js'

export interface LogEntry {
  level: 'error' | 'warn' | 'info'
  fields: Record<string, unknown>
  message: string
}

export class RecordingLogger implements LedgerLogger {
  readonly entries: LogEntry[] = []

  error(fields: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'error', fields, message })
  }

  warn(fields: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'warn', fields, message })
  }

  info(fields: Record<string, unknown>, message: string): void {
    this.entries.push({ level: 'info', fields, message })
  }
}
