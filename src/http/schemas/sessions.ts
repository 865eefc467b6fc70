// Session schemas: expectations in, state and missing names out.
import { Type } from '@sinclair/typebox'
import { CLOSED_BY, SESSION_STATES } from '../../domain/session.js'
import { ArtifactVersion } from './artifacts.js'
import { ArtifactName, PageLimit } from './common.js'

export const SessionState = Type.Union(SESSION_STATES.map((s) => Type.Literal(s)), { title: 'SessionState' })

const Names = (description: string) => Type.Array(ArtifactName, { maxItems: 10_000, description })

export const Retention = Type.Object({
  keepVersions: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000, description: 'only the newest N versions of each artifact stay; older ones expire' })),
  deleteAfterDays: Type.Optional(Type.Integer({
    minimum: 1, maximum: 1_000_000, description: 'versions committed more than D days ago expire, the latest included (as GitHub Actions artifact retention)',
  })),
}, {
  additionalProperties: false,
  title: 'Retention',
  description: 'how long versions are kept; a member left out takes the server default (RETENTION_KEEP_VERSIONS, RETENTION_DELETE_AFTER_DAYS; unset keeps all)',
})

export const SessionRequest = Type.Object({
  expectedArtifacts: Type.Optional(Names('names the session must produce before it is complete; replaces the list (POST …/expected adds and removes atomically)')),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  deadline: Type.Optional(Type.String({
    format: 'date-time',
    description: 'RFC 3339; when it passes, the service closes the session if its writer has not (default: SESSION_DEADLINE_SECONDS after creation). Must lie in the future.',
  })),
  // Replaces the session's retention; needs the admin scope, as it removes versions.
  retention: Type.Optional(Retention),
  hold: Type.Optional(Type.Boolean({ description: 'true stops deletion (409 held) and expiry of the session until set false (admin scope)' })),
}, { additionalProperties: false, title: 'SessionRequest' })

export const SessionHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'the session ETag: 412 when the session has changed since' })),
})

export const ExpectedChangeRequest = Type.Object({
  add: Type.Optional(Names('names to add to the expected artifacts')),
  remove: Type.Optional(Names('names to remove from the expected artifacts')),
}, { additionalProperties: false, title: 'ExpectedChangeRequest' })

export const WriterError = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 256, description: 'what kind of failure, e.g. the exception class' }),
  message: Type.String({ maxLength: 65_536, description: 'what went wrong, e.g. the exception text' }),
}, { additionalProperties: false, title: 'WriterError' })

export const CompleteRequest = Type.Object({
  error: Type.Optional(WriterError),
}, { additionalProperties: false, title: 'CompleteRequest', description: 'empty to close the session; with error, the writer reports that it failed' })

export const SessionRecord = Type.Object({
  id: Type.String(),
  state: SessionState,
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the session was closed' }),
  deadline: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'when the service closes the session if its writer has not' }),
  closedBy: Type.Union([...CLOSED_BY.map((b) => Type.Literal(b)), Type.Null()], { description: 'who closed the session: its writer, or the service at the deadline' }),
  error: Type.Union([WriterError, Type.Null()], { description: 'the failure the writer reported (state failed)' }),
  headSeq: Type.Integer(),
  etag: Type.String({ description: 'the session head ETag, for If-Match on commits' }),
  metadata: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  expectedArtifacts: Type.Array(Type.String()),
  missing: Type.Array(Type.String(), { description: 'expected artifacts that have no committed version' }),
  artifacts: Type.Array(ArtifactVersion),
  retention: Type.Union([Retention, Type.Null()], { description: 'the session\'s own retention; null takes the server defaults' }),
  hold: Type.Boolean({ description: 'true while deletion and expiry are stopped' }),
}, { title: 'Session' })

export const SessionPage = Type.Object({
  sessions: Type.Array(SessionRecord),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
}, { title: 'SessionPage' })

export const SessionListQuery = Type.Object({
  state: Type.Optional(SessionState),
  cursor: Type.Optional(Type.String()),
  limit: PageLimit,
}, { additionalProperties: false })
