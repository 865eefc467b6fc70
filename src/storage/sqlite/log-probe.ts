// Readiness probes of the log: a durable write, and whether a write transaction can start at all.
import type { SqlRunner } from './sql-runner.js'

export class SqliteLogProbe {
  constructor(private readonly run: SqlRunner) {}

  /** One durable row rewritten: after a fault, the log must take writes again. */
  probeWrite(at: string): Promise<void> {
    return this.run.write('probe-database', () => {
      this.run.sql('INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at').run(at)
    })
  }

  checkWritable(): Promise<void> {
    // BEGIN IMMEDIATE takes the write lock: it fails when the file is read-only, locked or broken.
    return this.run.read('check-database', () => {
      this.run.db.exec('BEGIN IMMEDIATE; ROLLBACK')
    })
  }
}
