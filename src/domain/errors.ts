// Domain failures: a stable snake_case code plus the facts. HTTP status lives only in http/problem.ts.

export type ErrorFacts = Record<string, unknown>

export abstract class LedgerError extends Error {
  abstract readonly code: string
  /** Extra members for the problem body (field names, expected digests…). */
  readonly facts: ErrorFacts
  /** Set once the failure is recorded as a `failed` commit, so it is recorded only once. */
  commitId: string | undefined

  constructor(message: string, facts: ErrorFacts = {}, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.facts = facts
  }
}

export class InvalidContent extends LedgerError {
  readonly code = 'invalid_content'
}
export class InvalidQuery extends LedgerError {
  readonly code = 'invalid_query'
}
export class DuplicateArtifactName extends LedgerError {
  readonly code = 'duplicate_artifact_name'
}
export class InvalidName extends LedgerError {
  readonly code = 'invalid_name'
}
export class InvalidSessionId extends LedgerError {
  readonly code = 'invalid_session_id'
}
export class DigestMismatch extends LedgerError {
  readonly code = 'digest_mismatch'
}
export class NameConflict extends LedgerError {
  readonly code = 'name_conflict'
}
export class IdempotencyKeyReused extends LedgerError {
  readonly code = 'idempotency_key_reused'
}
export class PreconditionFailed extends LedgerError {
  readonly code = 'precondition_failed'
}
export class PayloadTooLarge extends LedgerError {
  readonly code = 'payload_too_large'
}
export class UnsupportedMediaType extends LedgerError {
  readonly code = 'unsupported_media_type'
}
export class RangeNotSatisfiable extends LedgerError {
  readonly code = 'range_not_satisfiable'
}
export class SessionNotFound extends LedgerError {
  readonly code = 'session_not_found'
}
export class ArtifactNotFound extends LedgerError {
  readonly code = 'artifact_not_found'
}
export class VersionNotFound extends LedgerError {
  readonly code = 'version_not_found'
}
export class CommitNotFound extends LedgerError {
  readonly code = 'commit_not_found'
}
/** The client stopped sending the body before it was complete. */
export class RequestAborted extends LedgerError {
  readonly code = 'request_aborted'
}
export class NotReady extends LedgerError {
  readonly code = 'not_ready'
}
export class ShuttingDown extends LedgerError {
  readonly code = 'shutting_down'
}
/** The disk (or the database file) has no room left: ENOSPC, EDQUOT, SQLITE_FULL. */
export class InsufficientStorage extends LedgerError {
  readonly code = 'insufficient_storage'
}
/** A write, fsync, rename or read-back step failed: the bytes are not known to be durable. */
export class StorageFault extends LedgerError {
  readonly code = 'storage_fault'
}
/** Bytes read back after a write do not hash to what was written. */
export class ReadBackMismatch extends LedgerError {
  readonly code = 'read_back_mismatch'
}
/** A stored object no longer hashes to its name: it is never served as good. */
export class ObjectCorrupt extends LedgerError {
  readonly code = 'object_corrupt'
}
export class ObjectMissing extends LedgerError {
  readonly code = 'object_missing'
}
/** No bearer token, a malformed one, or one that matches no configured token. */
export class Unauthorized extends LedgerError {
  readonly code = 'unauthorized'
}
/** A valid token without the scope the request needs. */
export class Forbidden extends LedgerError {
  readonly code = 'forbidden'
}
