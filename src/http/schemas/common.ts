// Schemas shared by every route: path parameters, problem details, identifiers.
import { Type } from '@sinclair/typebox'
import { SESSION_ID_PATTERN } from '../../domain/names.js'

// The pattern is checked in the domain too, where a bad id is a 422 rather than a schema error.
export const SessionId = Type.String({ description: `session id, ${SESSION_ID_PATTERN}`, examples: ['run-2026-11-25'] })

export const SessionParams = Type.Object({ sid: SessionId })

export const ArtifactParams = Type.Object({
  sid: SessionId,
  '*': Type.String({ description: 'artifact name: 1–8 slash-separated segments' }),
})

export const Sha256Hex = Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 as 64 hex digits' })

export const ProblemDetails = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: 'stable machine-readable error code' }),
  instance: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  commitId: Type.Optional(Type.String({ description: 'the failed commit recorded for this request' })),
  field: Type.Optional(Type.String({ description: 'the request field at fault' })),
}, { additionalProperties: true, description: 'RFC 9457 problem details' })

/** Error responses documented for a route: every 4xx/5xx is problem+json; 401/403 wherever tokens apply. */
export function problemResponses(...statuses: number[]): Record<number, typeof ProblemDetails> {
  return Object.fromEntries([...new Set([...statuses, 401, 403])].map((status) => [status, ProblemDetails]))
}
