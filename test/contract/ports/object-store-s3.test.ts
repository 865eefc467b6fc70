// The ObjectStore contract on S3: Ceph's RADOS Gateway on loopback (scripts/rgw.mjs), a real S3 server
// with conditional writes. One cluster for the file; each test a fresh prefix of its bucket.
import { describe, it } from 'vitest'
import { useRgw, skipReason, skipWithoutRgw } from '../../support/rgw.js'
import { contentKeyOf, flipLastByteOf, s3StoreOn } from '../../support/s3.js'
import { objectStoreContract } from './object-store.suite.js'

const rgw = useRgw()

describe.skipIf(skipWithoutRgw)('S3 adapter on RGW', () => {
  objectStoreContract('s3 (RADOS Gateway)', async () => {
    const s3 = s3StoreOn(rgw())
    return { store: s3.store, damage: (sha256) => flipLastByteOf(s3, contentKeyOf(s3, sha256)), close: () => s3.close() }
  })
})

if (skipWithoutRgw) {
  describe('S3 adapter on RGW', () => {
    it.skip(skipReason, () => {})
  })
}
