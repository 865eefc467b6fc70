// Session schemas: expectations in, state and missing names out.
import { Type } from '@sinclair/typebox'
import { SESSION_STATES } from '../../domain/session.js'
import { ArtifactVersion } from './artifacts.js'

export const SessionState = Type.Union(SESSION_STATES.map((s) => Type.Literal(s)))

export const SessionRequest = Type.Object({
  expectedArtifacts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 512 }), { maxItems: 10_000, description: 'names the session must produce before it is complete' })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: false })

export const SessionRecord = Type.Object({
  id: Type.String(),
  state: SessionState,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  headSeq: Type.Integer(),
  etag: Type.String({ description: 'the session head ETag, for If-Match on commits' }),
  metadata: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  expectedArtifacts: Type.Array(Type.String()),
  missing: Type.Array(Type.String(), { description: 'expected artifacts that have no committed version' }),
  artifacts: Type.Array(ArtifactVersion),
})

export const SessionPage = Type.Object({
  sessions: Type.Array(SessionRecord),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
})

export const SessionListQuery = Type.Object({
  state: Type.Optional(SessionState),
  cursor: Type.Optional(Type.String()),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
}, { additionalProperties: false })
