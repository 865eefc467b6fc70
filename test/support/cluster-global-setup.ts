// globalSetup of vitest.cluster.config.ts: one PostgreSQL and one RGW for the whole run; each
// startLedger() then gets a fresh database and bucket prefix on them, and replicas of its own.
import type { TestProject } from 'vitest/node'
import { startBackingServices } from '../../scripts/cluster.mjs'
import './cluster-target.js'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now()
  const backing = await startBackingServices()
  const { endpoint, region, accessKeyId, secretAccessKey, bucket } = backing.rgw
  project.provide('clusterBacking', { postgresAdminUrl: backing.postgres.adminUrl, rgw: { endpoint, region, accessKeyId, secretAccessKey, bucket } })
  console.log(`cluster suites: PostgreSQL and RGW up in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return () => backing.stop()
}
