// What each argument and option accepts. Every check runs before the first request, so a typo is a
// usage error (exit 2) naming the option and the value, never a request the service has to refuse.
import { constants } from 'node:fs'
import { access, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isValidSessionId, nameProblem } from '../domain/names.js'
import { UsageError } from './failures.js'

/** Each retry backs off up to 5 s: 100 attempts is minutes of retrying; a larger number is a typo, not a plan. */
export const MAX_ATTEMPTS = 100
/** The service's own bounds (http/schemas): checked here so the service never has to refuse them. */
export const MAX_PAGE = 1000
/** Seqs and versions are sent as at most 15 digits. */
export const MAX_SEQ = 999_999_999_999_999
export const MAX_MESSAGE_CHARS = 4096
export const MAX_ERROR_MESSAGE_CHARS = 65_536
export const MAX_ERROR_TYPE_CHARS = 256
/**
 * Inline files travel base64-encoded in one JSON body; past this a body could not even be built (V8
 * strings end near 512 MiB) and no service default would take it. Larger files are streamed anyway.
 */
export const MAX_STREAM_OVER_BYTES = 256 * 1024 ** 2
/** A streamed file's key is this key plus `/` and the name (or its sha256): 128 keeps that within the service's 255. */
export const MAX_IDEMPOTENCY_KEY_CHARS = 128

/** A value as it can be shown on one line: as typed when plain, JSON-quoted when it holds spaces or control characters. */
export function quote(value: string): string {
  const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value
  return /^[\x21-\x7e]+$/.test(shown) ? shown : JSON.stringify(shown)
}

/** Digits only: '1.5', '1e3', '0x10', ' 5' and '' are refused instead of being rounded, converted or read as 0. */
export function wholeNumber(flag: string, min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = /^\d{1,16}$/.test(value) ? Number(value) : NaN
    if (!(parsed >= min && parsed <= max)) {
      throw new UsageError(`${flag} ${quote(value)}: expected a whole number from ${min} to ${max}`)
    }
    return parsed
  }
}

export function sizeInBytes(flag: string): (value: string) => number {
  return (value) => {
    const match = /^(\d{1,16})\s*(|k|ki|kib|m|mi|mib|g|gi|gib)$/i.exec(value.trim())
    const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match?.[2] ?? '').charAt(0).toLowerCase() as '' | 'k' | 'm' | 'g']
    const size = match === null ? NaN : Number(match[1]) * scale
    if (!(size >= 0 && size <= MAX_STREAM_OVER_BYTES)) {
      throw new UsageError(`${flag} ${quote(value)}: expected a size from 0 to 256MiB, like 8388608, 512KiB or 8MiB`)
    }
    return size
  }
}

export function jsonObject(flag: string): (value: string) => Record<string, unknown> {
  return (value) => {
    let parsed: unknown
    try {
      parsed = JSON.parse(value)
    } catch (error) {
      throw new UsageError(`${flag} ${quote(value)}: not JSON (${(error as Error).message})`)
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`${flag} ${quote(value)}: expected a JSON object`)
    return parsed as Record<string, unknown>
  }
}

/** Text the service caps in code points (its schemas' maxLength), counted the same way. */
export function text(flag: string, min: number, max: number): (value: string) => string {
  return (value) => {
    const length = [...value].length
    if (length < min) throw new UsageError(`${flag} must not be empty`)
    if (length > max) throw new UsageError(`${flag} is ${length} characters long; the service accepts at most ${max}`)
    return value
  }
}

export function sessionId(value: string): string {
  if (!isValidSessionId(value)) {
    throw new UsageError(`session id ${quote(value)}: expected a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens`)
  }
  return value
}

/** Why `name` is not an artifact name, as a usage error about `what` (how the user gave it), or undefined when it is one. */
export function nameError(what: string, name: string, remedy = ''): UsageError | undefined {
  const problem = nameProblem(name)
  return problem === undefined ? undefined : new UsageError(`${what} is not an artifact name: ${problem}${remedy}`)
}

export function artifactName(value: string): string {
  const error = nameError(`name ${quote(value)}`, value)
  if (error !== undefined) throw error
  return value
}

/** The service mints commit ids as UUIDs (v7); `log` prints them. */
export function commitId(value: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
    throw new UsageError(`--commit ${quote(value)}: expected a commit id, a UUID as \`log\` prints it`)
  }
  return value
}

/** The service's rule for `since`: a commit seq, or a date-time that starts like RFC 3339 and parses. */
export function since(value: string): string {
  const isSeq = /^\d{1,15}$/.test(value)
  const isTime = /^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value))
  if (!isSeq && !isTime) throw new UsageError(`--since ${quote(value)}: expected a commit seq or an RFC 3339 time, e.g. 2026-11-25T00:00:00Z`)
  return value
}

/** Sent as a header: printable ASCII without leading or trailing spaces, which HTTP would drop. */
export function idempotencyKey(value: string): string {
  if (!/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) || value.length > MAX_IDEMPOTENCY_KEY_CHARS) {
    throw new UsageError(`--idempotency-key ${quote(value)}: expected 1 to ${MAX_IDEMPOTENCY_KEY_CHARS} printable ASCII characters`)
  }
  return value
}

/**
 * --url or ARTIFACT_LEDGER_URL: http or https only, and nothing the client would drop on the way (a
 * query, a fragment) or send where it does not belong (credentials go in the token).
 */
export function serviceUrl(value: string, source: 'option' | 'env'): URL {
  const where = source === 'env' ? `ARTIFACT_LEDGER_URL=${quote(value)}` : `--url ${quote(value)}`
  // An empty variable is more likely a script's unset $VAR than a wish for the default service.
  if (value === '') throw new UsageError(`${source === 'env' ? 'ARTIFACT_LEDGER_URL' : '--url'} is empty; leave it unset for http://127.0.0.1:8080`)
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new UsageError(`${where}: not a URL; expected one like http://127.0.0.1:8080`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${where}: only http: and https: URLs are served, like http://127.0.0.1:8080`)
  if (url.search !== '' || url.hash !== '') throw new UsageError(`${where}: a service URL has no query or fragment`)
  if (url.username !== '' || url.password !== '') throw new UsageError(`${where}: no credentials in the URL; pass a token with --token or ARTIFACT_LEDGER_TOKEN`)
  return url
}

/**
 * --token or ARTIFACT_LEDGER_TOKEN, never echoed: it is a secret. An empty variable means no token,
 * as it does for the clients. The characters are RFC 6750's, the only ones the service configures.
 */
export function bearerToken(value: string, source: 'option' | 'env'): string | undefined {
  const where = source === 'env' ? 'ARTIFACT_LEDGER_TOKEN' : '--token'
  if (value === '' && source === 'env') return undefined
  if (value === '') throw new UsageError('--token is empty; leave it out to send no token')
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(value)) {
    throw new UsageError(`${where} is not a bearer token: only A-Z a-z 0-9 - . _ ~ + / and trailing = (check for a stray space or newline)`)
  }
  return value
}

/**
 * The destination of `get -o`, checked before the download so the error names the path the user gave
 * (the download itself writes a temp file beside it, whose name would mean nothing to them).
 */
export async function checkOutputPath(path: string): Promise<void> {
  if (path === '') throw new UsageError('--output is empty; name the file to write')
  const folder = dirname(path)
  const cannot = (why: string): UsageError => new UsageError(`cannot write ${path}: ${why}`)
  try {
    const info = await stat(folder)
    if (!info.isDirectory()) throw cannot(`${folder} is not a folder`)
    await access(folder, constants.W_OK)
  } catch (error) {
    if (error instanceof UsageError) throw error
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw cannot(`the folder ${folder} does not exist`)
    if (code === 'ENOTDIR') throw cannot(`the folder ${folder} does not exist (part of that path is a file)`)
    if (code === 'EACCES' || code === 'EPERM') throw cannot(`the folder ${folder} is not writable`)
    if (code === 'EROFS') throw cannot(`the folder ${folder} is on a read-only file system`)
    throw error
  }
  const existing = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (existing?.isDirectory() === true) throw cannot('it is a folder; name the file to write')
}
