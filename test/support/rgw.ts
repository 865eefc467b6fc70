// Ceph RADOS Gateway for tests (scripts/rgw.mjs): one throwaway cluster per test file, started in
// beforeAll. Skipped where the Debian packages are not installed, a failure when REQUIRE_RGW=1, as in CI.
import { afterAll, beforeAll } from 'vitest'
import { rgwUnavailable, startRgw, type Rgw } from '../../scripts/rgw.mjs'

export const requireRgw = process.env['REQUIRE_RGW'] === '1'
export const rgwMissing = rgwUnavailable()
/** For `describe.skipIf(skipWithoutRgw)`: only a machine without RGW and without the CI flag skips. */
export const skipWithoutRgw = rgwMissing !== undefined && !requireRgw
export const skipReason = `RGW tests skipped: ${rgwMissing ?? ''}; set REQUIRE_RGW=1 to make this a failure`

/** Starts one cluster for the file (about 15 s) and stops it after; the getter throws before it is up. */
export function useRgw(): () => Rgw {
  let rgw: Rgw | undefined
  beforeAll(async () => {
    if (skipWithoutRgw) return
    rgw = await startRgw()
  }, 150_000)
  afterAll(async () => {
    await rgw?.stop()
  })
  return () => {
    if (rgw === undefined) throw new Error('RGW is not running')
    return rgw
  }
}
