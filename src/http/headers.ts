// Parsing of the conditional, digest and range headers (RFC 9110, RFC 9530).
import { LedgerError } from '../domain/errors.js'

export class InvalidHeader extends LedgerError {
  readonly code = 'invalid_header'
}

/** Entity tags from If-Match / If-None-Match; `*` stays `*`, weak tags keep their W/ prefix. */
export function parseEntityTags(header: string | undefined, field: string): string[] | undefined {
  if (header === undefined) return undefined
  const trimmed = header.trim()
  if (trimmed === '*') return ['*']
  const tags = trimmed.split(',').map((t) => t.trim()).filter((t) => t !== '')
  for (const tag of tags) {
    if (!/^(W\/)?"[^"]*"$/.test(tag)) throw new InvalidHeader(`${field} must be * or a list of quoted entity tags`, { field })
  }
  return tags
}

/** Strong comparison: W/ tags never match. Returns the bare contents of the strong tags. */
export function strongTagValues(tags: string[]): string[] {
  return tags.filter((t) => t === '*' || t.startsWith('"')).map((t) => (t === '*' ? '*' : t.slice(1, -1)))
}

/** Weak comparison, as If-None-Match uses: W/"x" matches "x". */
export function weakMatch(tags: string[], etag: string): boolean {
  return tags.some((t) => t === '*' || t.replace(/^W\//, '') === etag)
}

export function sha256Base64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64')
}

export function digestHeader(sha256Hex: string): string {
  return `sha-256=:${sha256Base64(sha256Hex)}:`
}

/**
 * The sha-256 member of a Content-Digest dictionary as hex, or undefined when the client sent only
 * algorithms we do not check. A malformed sha-256 member is an error, never silently skipped.
 */
export function parseContentDigest(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  for (const member of header.split(',')) {
    const match = /^\s*([a-z0-9-]+)\s*=\s*(.*?)\s*$/.exec(member)
    if (match === null) throw new InvalidHeader('Content-Digest must be a structured-field dictionary like sha-256=:<base64>:', { field: 'Content-Digest' })
    if (match[1] !== 'sha-256') continue
    const value = /^:([A-Za-z0-9+/]+={0,2}):$/.exec(match[2] ?? '')
    const bytes = value?.[1] === undefined ? undefined : Buffer.from(value[1], 'base64')
    if (bytes?.byteLength !== 32) throw new InvalidHeader('Content-Digest sha-256 must be :<base64 of 32 bytes>:', { field: 'Content-Digest' })
    return bytes.toString('hex')
  }
  return undefined
}

export type RangeRequest = { start: number; end: number } | 'unsatisfiable' | undefined

/** A single byte range (multiple ranges are answered with the whole body, as RFC 9110 allows). */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return undefined
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (match === null) return undefined
  const [, first = '', last = ''] = match
  if (first === '' && last === '') return undefined
  if (first === '') {
    const suffix = Number(last)
    if (suffix === 0) return 'unsatisfiable'
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(first)
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1)
  if (last !== '' && Number(last) < start) return undefined
  if (start >= size) return 'unsatisfiable'
  return { start, end }
}
