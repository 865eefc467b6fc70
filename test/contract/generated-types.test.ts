// The client types of generated-client.test.ts come from openapi.yaml alone, by openapi-typescript; this
// test keeps the checked-in file byte-identical to what the generator makes of openapi.yaml today.
import openapiTS, { astToString } from 'openapi-typescript'
import { describe, expect, it } from 'vitest'

const HEADER = `// Generated from openapi.yaml by openapi-typescript: do not edit. Regenerate with \`npm run openapi:types\`
// (\`npm run openapi\` runs it too); test/contract/generated-types.test.ts fails while this file is stale.
/* eslint-disable */
`

/** What openapi-typescript, with its default options, makes of the checked-in contract. */
async function renderLedgerApiTypes(): Promise<string> {
  const ast = await openapiTS(new URL('../../openapi.yaml', import.meta.url))
  return `${HEADER}${astToString(ast)}`
}

describe('the generated client types', () => {
  it('are what openapi-typescript makes of openapi.yaml (run `npm run openapi:types` after `npm run openapi`)', async () => {
    await expect(await renderLedgerApiTypes()).toMatchFileSnapshot('./generated/ledger-api.ts')
  })
})
