// The service version, read once from package.json so status and OpenAPI never disagree with npm.
import { readFileSync } from 'node:fs'

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }

export const SERVICE_VERSION: string = packageJson.version
