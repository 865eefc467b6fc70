// Which ledger the HTTP suites run against: in-process (the default) or, with LEDGER_TARGET=cluster
// (npm run test:cluster), a fresh cluster of built replicas behind nginx (test/support/cluster-ledger.ts).
import { it } from 'vitest'

export const isClusterTarget = process.env['LEDGER_TARGET'] === 'cluster'

/** What the cluster's globalSetup hands every test file: where PostgreSQL and RGW listen. */
export interface ClusterBacking {
  postgresAdminUrl: string
  rgw: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string }
}

declare module 'vitest' {
  export interface ProvidedContext {
    clusterBacking: ClusterBacking
  }
}

type TestBody = () => Promise<void>

/**
 * A test that needs in-process parts (the data dir, fault seams, a restart of the same process): it runs
 * in-process and is skipped against a cluster, with `reason` in the skipped test's name.
 */
export function itInProcess(reason: string): (name: string, body: TestBody, timeout?: number) => void {
  return (name, body, timeout) => {
    if (isClusterTarget) it.skip(`${name} [in-process only: ${reason}]`, body)
    else it(name, body, timeout)
  }
}

