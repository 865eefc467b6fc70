// The one place that maps failures to HTTP: code → status, and RFC 9457 problem+json bodies.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import { contentKind } from '../domain/content.js'
import { InvalidContent, LedgerError, recordedAs } from '../domain/errors.js'
import { assertArtifactName, assertSessionId } from '../domain/names.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

const STATUS_BY_CODE: Record<string, number> = {
  validation_failed: 400,
  invalid_json: 400,
  invalid_content: 400,
  invalid_query: 400,
  invalid_header: 400,
  invalid_url: 400,
  malformed_request: 400,
  duplicate_artifact_name: 400,
  duplicate_member_name: 400,
  invalid_utf8: 400,
  lone_surrogate: 400,
  inexact_number: 400,
  client_disconnected: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  session_not_found: 404,
  artifact_not_found: 404,
  version_not_found: 404,
  commit_not_found: 404,
  method_not_allowed: 405,
  client_timeout: 408,
  name_conflict: 409,
  idempotency_key_reused: 409,
  session_closed: 409,
  session_deleted: 409,
  held: 409,
  artifact_deleted: 410,
  version_expired: 410,
  history_pruned: 410,
  precondition_failed: 412,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  unsupported_content_encoding: 415,
  unsupported_charset: 415,
  range_not_satisfiable: 416,
  digest_mismatch: 422,
  invalid_name: 422,
  invalid_session_id: 422,
  deadline_passed: 422,
  headers_too_large: 431,
  internal: 500,
  storage_fault: 500,
  read_back_mismatch: 500,
  object_corrupt: 500,
  object_missing: 500,
  not_ready: 503,
  shutting_down: 503,
  too_many_open_files: 503,
  too_many_uploads: 503,
  too_many_subscribers: 503,
  idempotency_key_in_flight: 503,
  insufficient_storage: 507,
}

const TITLES: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout',
  409: 'Conflict', 410: 'Gone', 412: 'Precondition Failed', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable', 422: 'Unprocessable Content', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable', 507: 'Insufficient Storage',
}

export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: string
  instance?: string
  requestId?: string
  commitId?: string
  [extra: string]: unknown
}

export function statusOf(code: string): number {
  return STATUS_BY_CODE[code] ?? 500
}

export function problemType(code: string): string {
  return `urn:artifact-ledger:problem:${code.replaceAll('_', '-')}`
}

export function problem(code: string, detail: string, extra: Record<string, unknown> = {}): Problem {
  const status = statusOf(code)
  return { ...extra, type: problemType(code), title: TITLES[status] ?? 'Error', status, detail, code }
}

interface AjvIssue {
  instancePath: string
  schemaPath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
  /** With Ajv's `verbose`: the schema holding the failed keyword, and the value that failed it. */
  parentSchema?: { title?: unknown }
  data?: unknown
}

/**
 * Rules the contract states and the domain owns: a request breaking only these gets the domain's own
 * problem (422 invalid_name, 422 invalid_session_id, 400 invalid_content), whichever layer saw it first.
 */
const DOMAIN_RULES: Record<string, { keywords: readonly string[]; check: (value: unknown, field: string) => void }> = {
  ArtifactName: { keywords: ['pattern', 'minLength', 'maxLength'], check: (value, field) => assertArtifactName(String(value), field) },
  SessionId: { keywords: ['pattern', 'maxLength'], check: (value) => assertSessionId(String(value)) },
  ArtifactInput: {
    keywords: ['oneOf'],
    check: (value, field) => {
      contentKind({ name: '', ...(value as object) })
      throw new InvalidContent(`${field} must have exactly one of json, text or base64`, { field })
    },
  },
}

function domainRuleOf(issue: AjvIssue): string | undefined {
  const title = issue.parentSchema?.title
  if (typeof title !== 'string') return undefined
  return DOMAIN_RULES[title]?.keywords.includes(issue.keyword) === true ? title : undefined
}

/** The domain's problem for a value that broke only domain rules, or undefined if the domain would take it. */
function domainProblem(part: string | undefined, issue: AjvIssue): Problem | undefined {
  const rule = domainRuleOf(issue)
  if (rule === undefined) return undefined
  try {
    // The artifact name in a path is the route's wildcard: the domain calls that field `name`.
    DOMAIN_RULES[rule]?.check(issue.data, part === 'params' ? 'name' : fieldName(part, issue.instancePath))
  } catch (error) {
    if (error instanceof LedgerError) return toProblem(error).problem
    throw error
  }
  return undefined
}

/** Turns a JSON pointer plus a property into the dotted field name a caller wrote: artifacts[0].sha. */
function fieldName(part: string | undefined, pointer: string, property?: unknown): string {
  const segments = pointer.split('/').slice(1).map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
  if (typeof property === 'string') segments.push(property)
  let name = ''
  for (const segment of segments) name += /^\d+$/.test(segment) ? `[${segment}]` : name === '' ? segment : `.${segment}`
  const where = part === undefined || part === 'body' ? '' : `${part}${name === '' ? '' : '.'}`
  return `${where}${name}` || (part ?? 'body')
}

function describeIssue(part: string | undefined, issue: AjvIssue): { field: string; message: string } {
  if (issue.keyword === 'additionalProperties') {
    const field = fieldName(part, issue.instancePath, issue.params['additionalProperty'])
    return { field, message: `unknown field ${field}` }
  }
  if (issue.keyword === 'required') {
    const field = fieldName(part, issue.instancePath, issue.params['missingProperty'])
    return { field, message: `missing required field ${field}` }
  }
  const field = fieldName(part, issue.instancePath)
  return { field, message: `${field} ${issue.message ?? 'is invalid'}` }
}

/** Maps framework errors (validation, body parsing, limits) to our stable codes. */
function fromFrameworkError(error: FastifyError): Problem | undefined {
  if (error.validation !== undefined) {
    const part = error.validationContext
    // A oneOf's failing branches say nothing the oneOf itself does not.
    const raw = (error.validation as AjvIssue[]).filter((issue) => !issue.schemaPath.includes('/oneOf/'))
    if (raw.length > 0 && raw.every((issue) => domainRuleOf(issue) !== undefined)) {
      for (const issue of raw) {
        const answer = domainProblem(part, issue)
        if (answer !== undefined) return answer
      }
    }
    const issues = raw.map((issue) => describeIssue(part, issue))
    const first = issues[0]
    return problem(part === 'querystring' ? 'invalid_query' : part === 'headers' ? 'invalid_header' : 'validation_failed',
      issues.map((i) => i.message).join('; '), { field: first?.field, errors: issues })
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('invalid_json', `the body is not valid JSON: ${error.message}`)
    case 'FST_ERR_BAD_URL':
      return problem('invalid_url', `the request URL cannot be read: ${error.message}`)
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return problem('uri_too_long', error.message)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload_too_large', 'the request body is larger than the configured limit')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'unsupported_media_type' : 'validation_failed', error.message)
    default:
      break
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    return problem('invalid_json', `the body could not be parsed: ${error.message}`)
  }
  if (error.statusCode === 413) return problem('payload_too_large', 'the request body is larger than the configured limit')
  if (error.statusCode === 415) return problem('unsupported_media_type', error.message)
  return undefined
}

export function toProblem(error: unknown): { problem: Problem; unexpected: boolean } {
  const commitId = recordedAs(error)
  const recorded = commitId === undefined ? {} : { commitId }
  if (error instanceof LedgerError) {
    return { problem: problem(error.code, error.message, { ...error.facts, ...recorded }), unexpected: false }
  }
  const mapped = fromFrameworkError(error as FastifyError)
  if (mapped !== undefined) return { problem: mapped, unexpected: false }
  return { problem: problem('internal', 'an unexpected internal error occurred; it has been logged', recorded), unexpected: true }
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, body: Problem): FastifyReply {
  return reply
    .code(body.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...body, instance: request.url, requestId: String(request.id) })
}
