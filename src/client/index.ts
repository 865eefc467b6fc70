// The package's library entry: `import { LedgerClient } from 'artifact-ledger'`.
export {
  DEFAULT_URL, hashFile, LedgerClient,
  type ArtifactContent, type ArtifactList, type ArtifactVersion, type CommitOptions, type CommitPage, type CommitRecord,
  type CommitState, type CommitWithTransitions, type EntryKind, type FetchedArtifact, type LedgerClientOptions, type PutFileOptions, type ReadOptions,
  type SessionChanges, type SessionPage, type SessionRecord, type SessionState, type StatusReport, type VerifyReport, type VersionHistory, type WriterFailure,
} from './client.js'
export {
  ContractMismatch, DigestMismatch, isGone, LedgerClientError, LedgerProblem, LedgerUnavailable, REMOVAL_CODES, type Problem, type RemovalCode,
} from './errors.js'
export { DEFAULT_STREAM_OVER_BYTES, SessionIncomplete, SessionWriter, type SessionRunOptions } from './session-writer.js'
export type { EventsOptions } from './events.js'
export { DEFAULT_RETRY_POLICY, type RetryEvent, type RetryPolicy } from './retry.js'
