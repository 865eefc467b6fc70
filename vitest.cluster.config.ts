// npm run test:cluster: the HTTP suites that use only the API, against three built replicas behind nginx
// (LEDGER_TARGET=cluster; test/support/cluster-ledger.ts). One PostgreSQL and one RGW for the run, a
// fresh database, bucket prefix and replicas per startLedger(). Without nginx, PostgreSQL or RGW the run
// skips, saying why, unless REQUIRE_CLUSTER=1 (CI) makes that a failure.
import { defineConfig } from 'vitest/config'
import { clusterUnavailable } from './scripts/cluster.mjs'

export const clusterSuites = [
  'test/http/idempotency.test.ts',
  'test/http/sessions.test.ts',
  'test/http/commit.test.ts',
  'test/http/put.test.ts',
  'test/http/reads.test.ts',
  'test/http/expectations.test.ts',
]

const unavailable = clusterUnavailable()
if (unavailable !== undefined) {
  if (process.env['REQUIRE_CLUSTER'] === '1') throw new Error(`REQUIRE_CLUSTER=1 but a cluster cannot start here: ${unavailable}`)
  console.warn(`skipping the cluster suites: ${unavailable}; set REQUIRE_CLUSTER=1 to make this a failure`)
}

export default defineConfig({
  test: {
    include: unavailable === undefined ? clusterSuites : [],
    passWithNoTests: unavailable !== undefined,
    env: { LEDGER_TARGET: 'cluster' },
    globalSetup: unavailable === undefined ? ['test/support/cluster-global-setup.ts'] : [],
    setupFiles: ['test/support/remove-data-dirs.ts'],
    // Each file starts replicas of its own per test; two cores are shared by PostgreSQL, RGW, nginx and them.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
