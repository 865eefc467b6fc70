// Schemas shared by every route: path parameters, problem details, identifiers, and how error
// responses are documented. A schema's `title` is its name in the contract (components.schemas).
import { Type, type TSchema } from '@sinclair/typebox'
import { ARTIFACT_NAME_PATTERN, MAX_NAME_BYTES, SESSION_ID_PATTERN } from '../../domain/names.js'

// Both patterns are the domain's own rules: a request that breaks them is refused with the domain's
// 422 (invalid_session_id, invalid_name), see problem.ts, whether the schema or the domain notices first.
export const SessionId = Type.String({
  title: 'SessionId', pattern: SESSION_ID_PATTERN, maxLength: 128,
  description: 'a session id: a letter or digit, then up to 127 letters, digits, dots, underscores or hyphens', examples: ['run-2026-11-25'],
})

export const ArtifactName = Type.String({
  title: 'ArtifactName', pattern: ARTIFACT_NAME_PATTERN, minLength: 1, maxLength: MAX_NAME_BYTES,
  description: 'an artifact name: 1–8 segments separated by `/`, each a letter or digit then up to 127 letters, digits, dots, underscores or hyphens',
  examples: ['quality_metrics.json', 'notes/session_summary.txt'],
})

export const SessionParams = Type.Object({ sid: SessionId })

/** Entries per page when a listing does not say (the query schema fills it in; handlers fall back to it too). */
export const DEFAULT_PAGE_LIMIT = 100
export const PageLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: DEFAULT_PAGE_LIMIT, description: `entries per page (default ${DEFAULT_PAGE_LIMIT})` }))

export const ArtifactParams = Type.Object({
  sid: SessionId,
  '*': ArtifactName,
})

export const Sha256Hex = Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 as 64 hex digits' })

export const ProblemDetails = Type.Object({
  type: Type.String({ description: 'urn:artifact-ledger:problem:<code with hyphens>' }),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'stable machine-readable error code' }),
  instance: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  commitId: Type.Optional(Type.String({ description: 'the failed or aborted log entry recorded for this request' })),
  field: Type.Optional(Type.String({ description: 'the request field at fault, e.g. artifacts[0].json.score or Content-Type' })),
}, { additionalProperties: true, title: 'Problem', description: 'RFC 9457 problem details; more members carry the facts of the error' })

/** What each status means on this service, for the contract's response descriptions. */
const STATUS_MEANINGS: Record<number, string> = {
  400: 'the request is malformed: a body, query or header the contract refuses (the problem names the field)',
  401: 'tokens are configured and the request has none, or an unknown one',
  403: 'the token lacks the scope this operation needs',
  404: 'no such session, artifact, version or commit',
  408: 'the request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled (an aborted entry is recorded)',
  409: 'conflict: an Idempotency-Key reused with another body, a name that would be a folder of another, a closed or deleted session (session_deleted), or a hold (held)',
  410: 'gone: the artifact was deleted (artifact_deleted) or the version expired by retention (version_expired); its history stays in the log ' +
    'until HISTORY_RETENTION_SECONDS after the removal, and a version or snapshot (?at=) older than what was pruned since answers history_pruned',
  412: 'a precondition (If-Match, If-None-Match) does not hold',
  413: 'the body is larger than the configured limit',
  415: 'the body is not JSON in UTF-8, or it has a Content-Encoding the service does not decode',
  416: 'the range lies outside the artifact',
  422: 'a value the contract refuses: an invalid session id or artifact name, a digest that does not match, a deadline already past',
  500: 'a fault of the service or its storage; a write is then recorded as a failed entry',
  503: 'not ready (recovering, stopping), every upload slot or file handle is in use, or a duplicate Idempotency-Key waited too long for ' +
    'the attempt holding the key on another replica (idempotency_key_in_flight): retry after Retry-After',
  507: 'the disk is full: nothing was stored',
}

/** Marks a response header every answer of its status carries; openapi.ts makes it the header's `required: true`. */
export const ALWAYS_SENT = 'x-always-sent'

export interface ResponseHeader {
  type: 'string' | 'integer'
  description: string
  pattern?: string
  [ALWAYS_SENT]?: true
}

/** A response header as the contract documents it: `always` when every answer of that status carries it. */
export function responseHeader(description: string, always: boolean, schema: Pick<ResponseHeader, 'type' | 'pattern'> = { type: 'string' }): ResponseHeader {
  return { ...schema, description, ...(always ? { [ALWAYS_SENT]: true as const } : {}) }
}

/** Headers of error answers that callers act on; every other problem carries only its body. */
const PROBLEM_HEADERS: Record<number, Record<string, ResponseHeader>> = {
  415: { 'Accept-Encoding': responseHeader('`identity` when the body had a Content-Encoding the service does not decode', false) },
  416: { 'Content-Range': responseHeader('`bytes */<size>`: the size of the whole artifact', true, { type: 'string', pattern: '^bytes \\*/[0-9]+$' }) },
  503: { 'Retry-After': responseHeader('seconds to wait before retrying', true, { type: 'integer' }) },
}

export interface ProblemResponse {
  description: string
  headers?: Record<string, ResponseHeader>
  content: { 'application/problem+json': { schema: typeof ProblemDetails } }
}

/**
 * Error responses documented for a route: every 4xx/5xx is problem+json, and any route may fault (500).
 * 401 and 403 are added by openapi.ts to the operations that take a token, and only to those.
 */
export function problemResponses(...statuses: number[]): Record<number, ProblemResponse> {
  return Object.fromEntries([...new Set([...statuses, 500])].sort().map((status) => {
    const headers = PROBLEM_HEADERS[status]
    return [status, {
      description: STATUS_MEANINGS[status] ?? 'an error',
      ...(headers === undefined ? {} : { headers }),
      content: { 'application/problem+json': { schema: ProblemDetails } },
    }]
  }))
}

/** A 2xx answer documented with its meaning, as JSON. */
export function jsonResponse<T extends TSchema>(description: string, schema: T): { description: string; content: { 'application/json': { schema: T } } } {
  return { description, content: { 'application/json': { schema } } }
}

/** The session head ETag that answers about a session carry: what a later If-Match sends. */
export const SessionEtagHeader = { ETag: responseHeader('the session head ETag (the quoted head seq): send it as If-Match to change the session only if nothing changed since', true, { type: 'string', pattern: '^"[0-9]+"$' }) }

/** A 2xx JSON answer about a session, with its head ETag. */
export function sessionResponse<T extends TSchema>(description: string, schema: T): ReturnType<typeof jsonResponse<T>> & { headers: typeof SessionEtagHeader } {
  return { ...jsonResponse(description, schema), headers: SessionEtagHeader }
}
