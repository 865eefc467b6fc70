// Artifact version, listing and history schemas, and the headers of artifact reads.
import { Type } from '@sinclair/typebox'
import { responseHeader, type ResponseHeader } from './common.js'

export const VersionRemoval = Type.Object({
  seq: Type.Integer({ description: 'the delete or expire log entry that removed the version' }),
  // An enum, not a union of literals: this schema is also rendered outside any route (VersionHistory), unconverted.
  kind: Type.Unsafe<'delete' | 'expire'>({ type: 'string', enum: ['delete', 'expire'] }),
  at: Type.String({ format: 'date-time' }),
}, { title: 'VersionRemoval', description: 'how a version stopped being readable; reading it answers 410' })

export const ArtifactVersion = Type.Object({
  name: Type.String(),
  version: Type.Integer(),
  sha256: Type.String(),
  size: Type.Integer(),
  mediaType: Type.String(),
  commitId: Type.String(),
  seq: Type.Integer(),
  committedAt: Type.String({ format: 'date-time' }),
  removed: Type.Optional(VersionRemoval),
}, { title: 'ArtifactVersion', description: 'one committed version of an artifact; `removed` only on a removed one (in a history, or a snapshot from before the removal)' })

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
}, { title: 'VersionHistory', description: 'every version of one artifact, oldest first, removed ones included and marked (GET …/artifacts/{name}?versions)' })

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

/** Conditional and range requests on GET/HEAD …/artifacts/{name}. */
export const ReadHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ description: 'entity tags (or *): 304 Not Modified when one matches the artifact’s ETag' })),
  range: Type.Optional(Type.String({ description: 'one byte range, bytes=<first>-<last>, bytes=<first>- or bytes=-<suffix>: 206, or 416 when it starts past the end' })),
  'if-range': Type.Optional(Type.String({ description: 'the ETag the Range is for: when the artifact’s differs, the whole artifact is sent (200)' })),
})

const SHA256_DIGEST = '^sha-256=:[A-Za-z0-9+/]{43}=:$'

/**
 * The headers of an answer about one artifact version (the bytes, a range or a 304). `always`: every
 * answer of the status carries them; a 200 does not when it is the ?versions history instead.
 */
export function artifactHeaders(always: boolean, extra: Record<string, ResponseHeader> = {}): Record<string, ResponseHeader> {
  const note = always ? '' : ' (not with ?versions)'
  return {
    ETag: responseHeader(`the version's quoted sha256: send it as If-None-Match to revalidate${note}`, always, { type: 'string', pattern: '^"[0-9a-f]{64}"$' }),
    'Repr-Digest': responseHeader(`RFC 9530: the SHA-256 of the whole artifact, whatever part is sent${note}`, always, { type: 'string', pattern: SHA256_DIGEST }),
    'Artifact-Version': responseHeader(`the version number${note}`, always, { type: 'integer' }),
    'Last-Modified': responseHeader(`when the version was committed${note}`, always),
    'Accept-Ranges': responseHeader(`bytes${note}`, always, { type: 'string', pattern: '^bytes$' }),
    'Cache-Control': responseHeader(`immutable for ?version=N, no-cache (revalidate by ETag) for the latest${note}`, always),
    ...extra,
  }
}

/** RFC 9530 Content-Digest: the SHA-256 of the bytes of this answer, sent when they were verified before sending. */
export function contentDigestHeader(description: string): Record<string, ResponseHeader> {
  return { 'Content-Digest': responseHeader(description, false, { type: 'string', pattern: SHA256_DIGEST }) }
}

export const ContentRangeHeader = {
  'Content-Range': responseHeader('bytes <first>-<last>/<size>', true, { type: 'string', pattern: '^bytes [0-9]+-[0-9]+/[0-9]+$' }),
}
