// Commit request and record schemas: strict, so contract drift is a 400 naming the field.
import { Type } from '@sinclair/typebox'
import { COMMIT_STATES } from '../../domain/commit-state.js'
import { ENTRY_KINDS } from '../../domain/model.js'
import { CLOSED_BY, CLOSED_STATES } from '../../domain/session.js'
import { Retention } from './sessions.js'
import { ArtifactName, jsonResponse, PageLimit, responseHeader, Sha256Hex } from './common.js'

const MediaType = Type.String({ minLength: 3, maxLength: 255, pattern: '^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\\s*;.*)?$' })
const Metadata = Type.Record(Type.String(), Type.Unknown(), { description: 'free-form JSON object' })

export const ArtifactInput = Type.Object({
  name: ArtifactName,
  json: Type.Optional(Type.Unknown({ description: 'any JSON value; stored in RFC 8785 canonical form' })),
  text: Type.Optional(Type.String({ description: 'stored as UTF-8' })),
  base64: Type.Optional(Type.String({ description: 'stored as the decoded bytes' })),
  mediaType: Type.Optional(MediaType),
  sha256: Type.Optional(Sha256Hex),
}, {
  additionalProperties: false,
  title: 'ArtifactInput',
  description: 'one artifact: its name and exactly one of json, text or base64',
  // Exactly one content member: checked here so the contract says it, with the domain's own error (invalid_content).
  oneOf: [{ required: ['json'] }, { required: ['text'] }, { required: ['base64'] }],
})

export const CommitRequest = Type.Object({
  artifacts: Type.Array(ArtifactInput, { minItems: 1, maxItems: 1000 }),
  message: Type.Optional(Type.String({ maxLength: 4096 })),
  metadata: Type.Optional(Metadata),
  expect: Type.Optional(Type.Array(ArtifactName, {
    maxItems: 10_000, description: "names added to the session's expected artifacts in the same transaction as the commit",
  })),
}, { additionalProperties: false, title: 'CommitRequest' })

export const CommitHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  'if-match': Type.Optional(Type.String({ description: "the session's head ETag" })),
})

export const CommitState = Type.Union(COMMIT_STATES.map((s) => Type.Literal(s)), { title: 'CommitState' })
export const EntryKind = Type.Union(ENTRY_KINDS.map((k) => Type.Literal(k)), {
  title: 'EntryKind',
  description: 'artifacts: a commit of bytes; expect: the expected set changed; close: the session closed; session: created, deadline, metadata, ' +
    'retention or hold changed; delete: an artifact or the session deleted (admin); expire: versions removed by retention',
})

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()])

export const CommitArtifact = Type.Object({
  name: Type.String(),
  version: Type.Union([Type.Integer(), Type.Null()]),
  sha256: Nullable(Type.String()),
  size: Type.Union([Type.Integer(), Type.Null()]),
  mediaType: Nullable(Type.String()),
}, { title: 'CommitArtifact' })

export const CommitErrorSchema = Type.Object({
  code: Type.String(),
  detail: Type.String(),
  facts: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { title: 'EntryError', description: 'why a failed or aborted entry ended: a stable code, a detail, and the facts (step, errno, field…)' })

const Names = Type.Array(Type.String())
export const ExpectChange = Type.Object({ add: Names, remove: Names }, { title: 'ExpectChange', description: 'names added to and removed from the expected artifacts' })
export const CloseChange = Type.Object({
  state: Type.Union(CLOSED_STATES.map((s) => Type.Literal(s))),
  closedBy: Type.Union(CLOSED_BY.map((b) => Type.Literal(b))),
  missing: Names,
  error: Type.Union([Type.Object({ type: Type.String(), message: Type.String() }), Type.Null()]),
}, { title: 'CloseChange', description: 'how the session closed' })
export const SessionChange = Type.Object({
  created: Type.Boolean(),
  deadline: Nullable(Type.String({ format: 'date-time' })),
  metadata: Type.Union([Metadata, Type.Null()]),
  retention: Type.Optional(Retention),
  hold: Type.Optional(Type.Boolean()),
}, { title: 'SessionChange', description: 'what changed about the session itself; null (or absent) members did not change' })
const VersionRef = Type.Object({ name: Type.String(), version: Type.Integer() }, { title: 'VersionRef' })
export const DeleteChange = Type.Object({
  by: Type.String({ description: 'the name of the token that asked, or anonymous when auth is off' }),
  target: Type.Union([Type.Literal('artifact'), Type.Literal('session')]),
  name: Nullable(Type.String()),
  removedVersions: Type.Integer({ description: 'how many versions it made unreadable (each marked removed by this entry)' }),
}, { title: 'DeleteChange', description: 'what a delete entry removed, and who asked' })
export const ExpireChange = Type.Object({
  retention: Retention,
  versions: Type.Array(VersionRef),
}, { title: 'ExpireChange', description: 'the versions an expire entry removed, and the retention that said so' })

export const CommitRecord = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  sessionId: Type.String(),
  kind: EntryKind,
  state: CommitState,
  message: Nullable(Type.String()),
  metadata: Type.Union([Metadata, Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Nullable(Type.String({ format: 'date-time' })),
  artifacts: Type.Array(CommitArtifact),
  error: Type.Union([CommitErrorSchema, Type.Null()]),
  expect: Type.Union([ExpectChange, Type.Null()]),
  close: Type.Union([CloseChange, Type.Null()]),
  session: Type.Union([SessionChange, Type.Null()]),
  delete: Type.Union([DeleteChange, Type.Null()]),
  expire: Type.Union([ExpireChange, Type.Null()]),
}, { title: 'CommitRecord', description: 'a log entry: a commit of artifacts, or a change of the session (expect, close, session, delete, expire)' })

export const Transition = Type.Object({
  from: Type.Union([CommitState, Type.Null()]),
  to: CommitState,
  at: Type.String({ format: 'date-time' }),
  reason: Nullable(Type.String()),
}, { title: 'Transition' })

export const CommitWithTransitions = Type.Composite([CommitRecord, Type.Object({ transitions: Type.Array(Transition) })], {
  title: 'CommitWithTransitions', description: 'a log entry with every state it went through',
})

export const CommitPage = Type.Object({
  commits: Type.Array(CommitRecord),
  nextCursor: Nullable(Type.String()),
}, { title: 'CommitPage' })

export const CommitListQuery = Type.Object({
  session: Type.Optional(Type.String()),
  state: Type.Optional(CommitState),
  kind: Type.Optional(EntryKind),
  since: Type.Optional(Type.String({ description: 'a commit seq (commits after it) or an RFC 3339 time (commits created at or after it)' })),
  cursor: Type.Optional(Type.String({ description: 'nextCursor from the previous page' })),
  limit: PageLimit,
}, { additionalProperties: false })

export const CommitIdParams = Type.Object({ id: Type.String() })

/** The 200 of a log entry made by a request (a delete), as JSON. */
export function commitRecordResponse(description: string): ReturnType<typeof jsonResponse<typeof CommitRecord>> {
  return jsonResponse(description, CommitRecord)
}

/** The 201 of a commit, first time or replayed: the record, where the log keeps it, and the new session head. */
export function commitCreatedResponse(description: string): ReturnType<typeof jsonResponse<typeof CommitRecord>> & { headers: Record<string, ReturnType<typeof responseHeader>> } {
  return {
    ...jsonResponse(description, CommitRecord),
    headers: {
      Location: responseHeader('the log entry of this commit, /v1/commits/{id}', true, { type: 'string', pattern: '^/v1/commits/[^/]+$' }),
      ETag: responseHeader('the session head as this commit left it (the quoted seq): what a follow-up If-Match carries', true, { type: 'string', pattern: '^"[0-9]+"$' }),
      'Idempotent-Replayed': responseHeader('true when this is the stored answer to an earlier request with the same Idempotency-Key', false, { type: 'string', pattern: '^true$' }),
    },
  }
}
