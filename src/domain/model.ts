// The records the ledger keeps and returns: commits, their transitions, artifact versions, sessions.
import type { CommitState } from './commit-state.js'

export interface ArtifactVersion {
  name: string
  version: number
  sha256: string
  size: number
  mediaType: string
  commitId: string
  seq: number
  committedAt: string
}

export interface CommitArtifact {
  name: string
  /** Assigned when the commit is committed; null for pending, failed and aborted commits. */
  version: number | null
  sha256: string | null
  size: number | null
  mediaType: string | null
}

export interface CommitError {
  code: string
  detail: string
  facts?: Record<string, unknown>
}

export interface CommitRecord {
  id: string
  seq: number
  sessionId: string
  state: CommitState
  message: string | null
  metadata: Record<string, unknown> | null
  createdAt: string
  finishedAt: string | null
  artifacts: CommitArtifact[]
  error: CommitError | null
}

export interface Transition {
  from: CommitState | null
  to: CommitState
  at: string
  reason: string | null
}

export interface CommitWithTransitions extends CommitRecord {
  transitions: Transition[]
}

export interface SessionHead {
  sessionId: string
  headSeq: number
  etag: string
}

/** The session's head ETag: it changes with every committed commit, so If-Match detects lost updates. */
export function headEtag(headSeq: number): string {
  return `"${headSeq}"`
}
