import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger
beforeAll(async () => {
  t = await startLedger()
})
afterAll(async () => {
  await t.cleanup()
})

describe('the OpenAPI contract', () => {
  it('serves /openapi.json equal to the checked-in openapi.yaml (run `npm run openapi` after changing a route)', async () => {
    const served = (await t.app.inject('/openapi.json')).json()
    const checkedIn = parse(await readFile(new URL('../../openapi.yaml', import.meta.url), 'utf8')) as unknown
    // The test ledger reports version 'test'; the document's version comes from package.json either way.
    expect(served).toEqual(checkedIn)
  })

  it('documents every route the service answers', async () => {
    const served = (await t.app.inject('/openapi.json')).json()
    expect(served.openapi).toBe('3.1.0')
    expect(Object.keys(served.paths)).toEqual(expect.arrayContaining([
      '/v1/sessions/{sid}/commits', '/v1/sessions/{sid}/artifacts/{name}', '/v1/sessions/{sid}/artifacts',
      '/v1/commits', '/v1/commits/{id}', '/v1/verify', '/health/live', '/health/ready',
    ]))
  })
})
