// Small builders for request bodies and digests used across tests.
import { createHash } from 'node:crypto'

export function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function contentDigest(bytes: string | Uint8Array): string {
  return `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`
}

export function textArtifact(name: string, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, text, ...extra }
}

export function commitBody(...artifacts: Record<string, unknown>[]): { artifacts: Record<string, unknown>[] } {
  return { artifacts }
}
