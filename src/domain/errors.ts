// Domain failures: a stable snake_case code plus the facts. HTTP status lives only in http/problem.ts.

import type { StoredIdempotencyKey } from './ports/log.js'

export type ErrorFacts = Record<string, unknown>

/**
 * Notes on a failure that it is recorded as the log entry `commitId`, so it is recorded only once and
 * the caller is told which entry it is; also on errors that are not the domain's (a bug's TypeError).
 */
export function markRecorded(error: unknown, commitId: string): void {
  if (error instanceof Error) Object.assign(error, { commitId })
}

/** The log entry a failure is recorded as, if it is. */
export function recordedAs(error: unknown): string | undefined {
  const commitId = error instanceof Error ? (error as { commitId?: unknown }).commitId : undefined
  return typeof commitId === 'string' ? commitId : undefined
}

/**
 * A fault of the storage underneath (disk, database, object store), as opposed to a caller's mistake:
 * readiness fails until a probe write passes again. Adapters raise these at their edge.
 */
export function isStorageFault(error: unknown): boolean {
  return error instanceof StorageFault || error instanceof InsufficientStorage || error instanceof ReadBackMismatch || error instanceof ObjectCorrupt
}

export abstract class LedgerError extends Error {
  abstract readonly code: string
  /** Extra members for the problem body (field names, expected digests…). */
  readonly facts: ErrorFacts

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
/**
 * The log refused a pending entry because another entry holds its Idempotency-Key; nothing was written.
 * Not an answer: the idempotency gate replays the holder, waits for it, or answers 409.
 */
export class IdempotencyKeyHeld extends LedgerError {
  readonly code = 'idempotency_key_held'

  constructor(message: string, readonly holder: StoredIdempotencyKey) {
    super(message, { holderSeq: holder.commitSeq, holderState: holder.state })
  }
}
/** A duplicate waited for the attempt holding its Idempotency-Key (on another replica) past its bound: retry after Retry-After. */
export class IdempotencyKeyInFlight extends LedgerError {
  readonly code = 'idempotency_key_in_flight'
}
export class PreconditionFailed extends LedgerError {
  readonly code = 'precondition_failed'
}
export class PayloadTooLarge extends LedgerError {
  readonly code = 'payload_too_large'
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
/** Every version of the artifact was deleted (DELETE, or its session's): 410, never served again. */
export class ArtifactDeleted extends LedgerError {
  readonly code = 'artifact_deleted'
}
/** The version was removed by retention (keepVersions or deleteAfterDays): 410. */
export class VersionExpired extends LedgerError {
  readonly code = 'version_expired'
}
/** What was asked for was removed long enough ago that its history is pruned (a snapshot, a version). */
export class HistoryPruned extends LedgerError {
  readonly code = 'history_pruned'
}
/** The session was deleted: its record stays, and it takes no further change. */
export class SessionDeleted extends LedgerError {
  readonly code = 'session_deleted'
}
/** The session is under a hold: nothing of it is deleted or expired until the hold is lifted. */
export class Held extends LedgerError {
  readonly code = 'held'
}
export class CommitNotFound extends LedgerError {
  readonly code = 'commit_not_found'
}
/** The client went away (closed or reset the connection) before its request body was complete. */
export class ClientDisconnected extends LedgerError {
  readonly code = 'client_disconnected'
}
/** The request body made no progress for BODY_IDLE_TIMEOUT_MS: the client stalled. */
export class ClientTimeout extends LedgerError {
  readonly code = 'client_timeout'
}
/** The body is not JSON at all (a syntax error). */
export class InvalidJson extends LedgerError {
  readonly code = 'invalid_json'
}
/** An object has the same member name twice (RFC 7493 §2.3): one of the values would be dropped. */
export class DuplicateMemberName extends LedgerError {
  readonly code = 'duplicate_member_name'
}
/** The body is not well-formed UTF-8: a decoder would replace bytes with U+FFFD. */
export class InvalidUtf8 extends LedgerError {
  readonly code = 'invalid_utf8'
}
/** A string escapes half of a UTF-16 surrogate pair: it has no UTF-8 form. */
export class LoneSurrogate extends LedgerError {
  readonly code = 'lone_surrogate'
}
/** A number that would be stored with another value (beyond double precision or range). */
export class InexactNumber extends LedgerError {
  readonly code = 'inexact_number'
}
/** A Content-Encoding the service does not decode: storing the bytes would store something else. */
export class UnsupportedContentEncoding extends LedgerError {
  readonly code = 'unsupported_content_encoding'
}
/** A JSON body declared in a charset other than UTF-8. */
export class UnsupportedCharset extends LedgerError {
  readonly code = 'unsupported_charset'
}
/** A deadline that has already passed: the session would close the moment it was set. */
export class DeadlinePassed extends LedgerError {
  readonly code = 'deadline_passed'
}
/** The change only makes sense for an open session, and this one is closed. */
export class SessionClosed extends LedgerError {
  readonly code = 'session_closed'
}
/** The process is out of file descriptors: the request can be retried, nothing is wrong with the disk. */
export class TooManyOpenFiles extends LedgerError {
  readonly code = 'too_many_open_files'
}
/** Every upload slot (MAX_CONCURRENT_UPLOADS) is taken: retry after Retry-After. */
export class TooManyUploads extends LedgerError {
  readonly code = 'too_many_uploads'
}
/** Every event stream slot (MAX_EVENT_SUBSCRIBERS) is taken: retry after Retry-After. */
export class TooManySubscribers extends LedgerError {
  readonly code = 'too_many_subscribers'
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
