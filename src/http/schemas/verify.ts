// Verify request and report schemas, shared by the route and the client.
import { Type } from '@sinclair/typebox'

const Finding = Type.Object({
  kind: Type.Union([Type.Literal('object'), Type.Literal('plain'), Type.Literal('temp')]),
  path: Type.String({ description: 'relative to DATA_DIR' }),
  sha256: Type.Optional(Type.String()),
  sessionId: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  actualSha256: Type.Optional(Type.String()),
  repaired: Type.Optional(Type.Literal(true)),
}, { title: 'VerifyFinding' })

export const VerifyReport = Type.Object({
  scope: Type.Object({ sessionId: Type.Union([Type.String(), Type.Null()]) }),
  ok: Type.Boolean({ description: 'true when nothing was found missing, corrupt or orphaned (repaired findings count: run again to confirm)' }),
  repair: Type.Boolean(),
  checked: Type.Object({ objects: Type.Integer(), plainFiles: Type.Integer(), bytes: Type.Integer() }),
  missing: Type.Array(Finding),
  corrupt: Type.Array(Finding),
  orphaned: Type.Array(Finding),
  repaired: Type.Array(Finding, { description: 'findings fixed by this run (also listed in missing/corrupt): plain files rewritten from intact objects' }),
  removed: Type.Object({
    deletedVersions: Type.Integer({ minimum: 0 }),
    expiredVersions: Type.Integer({ minimum: 0 }),
  }, { description: 'versions made unreadable by a deletion or by retention: not checked, and their objects, once garbage collection has reclaimed them, are not missing' }),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
}, { title: 'VerifyReport' })

export const VerifyRequest = Type.Object({
  sessionId: Type.Optional(Type.String({ description: 'verify only this session' })),
  session: Type.Optional(Type.String({ description: 'alias of sessionId' })),
  repair: Type.Optional(Type.Boolean({ default: true, description: 'rewrite plain files that differ from an intact object; false only reports' })),
  repairObjects: Type.Optional(Type.Boolean({ default: false, description: 'also rebuild a corrupt or missing object from a plain copy that still hashes right' })),
}, { additionalProperties: false, title: 'VerifyRequest' })

export const VerifyQuery = Type.Object({
  session: Type.Optional(Type.String({ description: 'verify only this session' })),
  repair: Type.Optional(Type.Boolean()),
}, { additionalProperties: false })
