// Readiness probes of the log: a durable write, and whether a write transaction can run at all.
import type { PgRunner } from './pg-runner.js'

export class PgLogProbe {
  constructor(private readonly run: PgRunner) {}

  /** One durable row rewritten: after a fault, the log must take writes again. */
  probeWrite(at: string): Promise<void> {
    return this.run.write('probe-database', async (tx) => {
      await tx`INSERT INTO health_probe (id, at) VALUES (1, ${at}) ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at`
    })
  }

  /** A read-write transaction that takes no lock: fails when the server is gone, read-only (a standby) or refuses connections. */
  checkWritable(): Promise<void> {
    return this.run.read('check-database', async (q) => {
      const [row] = await q<{ read_only: string }[]>`SELECT current_setting('transaction_read_only') AS read_only`
      if (row?.read_only !== 'off') throw new Error('the log database is read-only')
    })
  }
}
