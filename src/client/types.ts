// Types the client's modules share without importing one another: what a writer sends and reports,
// and the records a session block gets back (the route schemas themselves, as in client.ts).
import type { Static } from '@sinclair/typebox'
import type { CommitRecord as CommitRecordSchema } from '../http/schemas/commits.js'
import type { SessionRecord as SessionRecordSchema, SessionRequest } from '../http/schemas/sessions.js'

export type CommitRecord = Static<typeof CommitRecordSchema>
export type SessionRecord = Static<typeof SessionRecordSchema>
export type SessionChanges = Static<typeof SessionRequest>

/** A writer's failure as it reports it: an Error (its name and message are sent), or the two given. */
export type WriterFailure = Error | { type: string; message: string }

/** An artifact to commit: exactly one of json, text or bytes. */
export type ArtifactContent = { name: string; mediaType?: string } & (
  | { json: unknown; text?: never; bytes?: never }
  | { text: string; json?: never; bytes?: never }
  | { bytes: Uint8Array; json?: never; text?: never }
)
