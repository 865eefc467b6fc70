// Writes openapi.yaml from the served route schemas, so the checked-in contract is never hand-edited.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import pino from 'pino'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../app.js'
import { Ledger } from '../ledger/ledger.js'
import { openStorage } from '../storage/open-storage.js'
import { SERVICE_VERSION } from '../version.js'

export async function renderOpenApiYaml(): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'artifact-ledger-openapi-'))
  try {
    const ledger = new Ledger(openStorage(dataDir), {
      version: SERVICE_VERSION, maxArtifactBytes: 1, disk: { hardReserveBytes: 0, softReserveBytes: 0 },
      // Never recovered, so no background work runs that could have anything to report.
      logger: pino({ level: 'silent' }),
    })
    const app = await buildApp({ ledger, bodyLimitBytes: 1024, maxArtifactBytes: 1 })
    await app.ready()
    const yaml = app.swagger({ yaml: true })
    await app.close()
    await ledger.close()
    return yaml
  } finally {
    await rm(dataDir, { recursive: true, force: true })
  }
}

const target = new URL('../../openapi.yaml', import.meta.url)
await writeFile(target, await renderOpenApiYaml())
process.stdout.write(`wrote ${target.pathname}\n`)
