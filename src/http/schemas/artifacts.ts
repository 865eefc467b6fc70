// Artifact version, listing and history schemas.
import { Type } from '@sinclair/typebox'

export const ArtifactVersion = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  sha256: Type.String(),
  size: Type.Integer(),
  mediaType: Type.String(),
  commitId: Type.String(),
  seq: Type.Integer(),
  committedAt: Type.String({ format: 'date-time' }),
}, { title: 'ArtifactVersion', description: 'one committed version of an artifact' })

export const ArtifactList = Type.Object({
  sessionId: Type.String(),
  headSeq: Type.Integer(),
  etag: Type.String(),
  atSeq: Type.Union([Type.Integer(), Type.Null()]),
  artifacts: Type.Array(ArtifactVersion),
}, { title: 'ArtifactList' })

export const VersionHistory = Type.Object({
  sessionId: Type.String(),
  name: Type.String(),
  versions: Type.Array(ArtifactVersion),
}, { title: 'VersionHistory', description: 'every version of one artifact, oldest first (GET …/artifacts/{name}?versions)' })

export const ArtifactQuery = Type.Object({
  version: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'a version number' })),
  at: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'read as of this commit seq' })),
  versions: Type.Optional(Type.String({ description: 'present: return the version history as JSON' })),
}, { additionalProperties: false })

export const ListQuery = Type.Object({
  at: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'read as of this commit seq' })),
}, { additionalProperties: false })

export const PutHeaders = Type.Object({
  'content-type': Type.Optional(Type.String()),
  'content-digest': Type.Optional(Type.String({ description: 'RFC 9530, e.g. sha-256=:<base64>:' })),
  'if-none-match': Type.Optional(Type.String()),
  'if-match': Type.Optional(Type.String()),
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
})
