// Turns an artifact's json/text/base64 content into the exact bytes that are stored and hashed.
import { createHash } from 'node:crypto'
import canonicalizeModule from 'canonicalize'
import { DigestMismatch, InvalidContent } from './errors.js'

export type ContentKind = 'json' | 'text' | 'base64'

export interface ArtifactInput {
  name: string
  json?: unknown
  text?: string
  base64?: string
  mediaType?: string
  sha256?: string
}

export const DEFAULT_MEDIA_TYPE: Record<ContentKind, string> = {
  json: 'application/json',
  text: 'text/plain; charset=utf-8',
  base64: 'application/octet-stream',
}

// canonicalize is CommonJS with an ESM-style d.ts: its default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string | undefined

/**
 * Decodes padded base64 (RFC 4648 §4), or returns undefined when the text is not exactly that.
 * Node's decoder is lenient (it skips foreign characters and takes the URL-safe alphabet), so the
 * text is accepted only when it decodes to the byte count its length and padding promise. This is
 * the same test as /^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=)?$/, which
 * took 7 ms per MiB on the event loop; this takes well under one.
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (text.length % 4 !== 0 || text.includes('-') || text.includes('_')) return undefined
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const bytes = Buffer.from(text, 'base64')
  return bytes.byteLength === (text.length / 4) * 3 - padding ? bytes : undefined
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

export function contentKind(input: ArtifactInput): ContentKind {
  const kinds = (['json', 'text', 'base64'] as const).filter((k) => input[k] !== undefined)
  if (kinds.length !== 1 || kinds[0] === undefined) {
    throw new InvalidContent(
      `artifact ${JSON.stringify(input.name)} must have exactly one of json, text or base64 (has ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
      { field: 'artifacts[].json|text|base64', name: input.name },
    )
  }
  return kinds[0]
}

/**
 * JSON numbers that JavaScript cannot represent (1e400 parses to Infinity) and strings with lone
 * surrogates have no RFC 8785 form: storing them would silently change the data, so they are refused.
 */
function findUnrepresentable(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} is not a finite number`
  if (typeof value === 'string') return value.isWellFormed() ? undefined : `${path} has a lone UTF-16 surrogate`
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const problem = findUnrepresentable(item, `${path}[${i}]`)
      if (problem !== undefined) return problem
    }
    return undefined
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (!key.isWellFormed()) return `${path} has a key with a lone UTF-16 surrogate`
      const problem = findUnrepresentable(item, `${path}.${key}`)
      if (problem !== undefined) return problem
    }
  }
  return undefined
}

/** Deeper JSON than this is refused: the canonical form is built recursively, and artifacts this deep are a mistake. */
export const MAX_JSON_DEPTH = 256

/** Measures nesting without recursion, so hostile depth cannot overflow the stack. */
function depthOf(value: unknown): number {
  let deepest = 0
  const pending: [unknown, number][] = [[value, 1]]
  while (pending.length > 0) {
    const [item, depth] = pending.pop() ?? [undefined, 0]
    if (item === null || typeof item !== 'object') continue
    deepest = Math.max(deepest, depth)
    if (deepest > 4 * MAX_JSON_DEPTH) return deepest
    for (const child of Object.values(item)) pending.push([child, depth + 1])
  }
  return deepest
}

/** RFC 8785 (JCS) canonical text of a JSON value, refusing values that have none. */
export function canonicalJson(value: unknown, path = 'json', maxDepth = MAX_JSON_DEPTH): string {
  if (depthOf(value) > maxDepth) {
    throw new InvalidContent(`${path} is nested more than ${maxDepth} levels deep`, { field: path, maxDepth })
  }
  const problem = findUnrepresentable(value, path)
  if (problem !== undefined) throw new InvalidContent(`${problem}: it has no canonical JSON form`, { field: path })
  const text = canonicalize(value)
  if (text === undefined) throw new InvalidContent(`${path} has no canonical JSON form`, { field: path })
  return text
}

export interface PreparedContent {
  bytes: Buffer
  sha256: string
  mediaType: string
}

export function prepareContent(input: ArtifactInput, index: number): PreparedContent {
  const kind = contentKind(input)
  const field = `artifacts[${index}].${kind}`
  let bytes: Buffer
  if (kind === 'json') {
    bytes = Buffer.from(canonicalJson(input.json, field), 'utf8')
  } else if (kind === 'text') {
    const text = input.text ?? ''
    if (!text.isWellFormed()) throw new InvalidContent(`${field} has a lone UTF-16 surrogate: it cannot be stored as UTF-8 unchanged`, { field })
    bytes = Buffer.from(text, 'utf8')
  } else {
    const decoded = decodeBase64(input.base64 ?? '')
    if (decoded === undefined) throw new InvalidContent(`${field} is not canonical padded base64 (RFC 4648)`, { field })
    bytes = decoded
  }
  const mediaType = input.mediaType ?? DEFAULT_MEDIA_TYPE[kind]
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(mediaType)?.[1]
  if (kind !== 'base64' && charset !== undefined && !/^utf-?8$/i.test(charset)) {
    // The bytes are UTF-8 whatever the label says: a reader trusting the label would decode something else.
    throw new InvalidContent(`artifacts[${index}].mediaType says charset=${charset}, but ${kind} is stored as UTF-8`, { field: `artifacts[${index}].mediaType` })
  }
  const sha256 = sha256Hex(bytes)
  if (input.sha256 !== undefined && input.sha256.toLowerCase() !== sha256) {
    throw new DigestMismatch(
      `artifacts[${index}] (${JSON.stringify(input.name)}): stored bytes hash to ${sha256}, the request said ${input.sha256}`,
      { field: `artifacts[${index}].sha256`, name: input.name, expected: input.sha256.toLowerCase(), actual: sha256 },
    )
  }
  return { bytes, sha256, mediaType }
}
