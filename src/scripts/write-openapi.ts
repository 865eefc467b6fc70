// Writes openapi.yaml from the served route schemas, so the checked-in contract is never hand-edited.
import { writeFile } from 'node:fs/promises'
import pino from 'pino'
import { buildApp } from '../app.js'
import { Ledger } from '../ledger/ledger.js'
import { openMemoryStorage } from '../storage/open-storage.js'
import { SERVICE_VERSION } from '../version.js'

/** The document describes the routes, not the data: a ledger on memory storage serves it. */
export async function renderOpenApiYaml(): Promise<string> {
  const ledger = new Ledger(openMemoryStorage(), {
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
}

const target = new URL('../../openapi.yaml', import.meta.url)
await writeFile(target, await renderOpenApiYaml())
process.stdout.write(`wrote ${target.pathname}\n`)
