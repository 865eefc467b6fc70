// What a change of a session does, decided from the session as it is: which fields change, and which
// log entry records it (one per request, none when nothing changes). Log adapters apply the plan.
import type { CloseChange, EntryChange, ExpectChange, SessionChange } from './model.js'
import type { SessionUpdate } from './ports.js'
import { closedState, missingArtifacts, type CloseRequest, type Retention, type SessionRow } from './session.js'

export interface SessionChangePlan {
  /** The expected list to store (the session's state is then re-derived). */
  expected?: string[]
  metadata?: Record<string, unknown>
  deadline?: string
  retention?: Retention
  hold?: boolean
  /** The entry that records the change: an expectation change is an `expect` entry, any other a `session` one. */
  entry?: { kind: 'expect' | 'session'; change: EntryChange }
}

/** What changed between two expected sets, or undefined when nothing did. */
export function diffExpected(before: readonly string[], after: readonly string[]): ExpectChange | undefined {
  const had = new Set(before)
  const has = new Set(after)
  const add = after.filter((name) => !had.has(name))
  const remove = before.filter((name) => !has.has(name))
  return add.length === 0 && remove.length === 0 ? undefined : { add, remove }
}

function entryFor(expect: ExpectChange | undefined, session: SessionChange | undefined): SessionChangePlan['entry'] {
  if (expect !== undefined) return { kind: 'expect', change: { expect, ...(session === undefined ? {} : { session }) } }
  return session === undefined ? undefined : { kind: 'session', change: { session } }
}

/** Retention as stored: its members in one order, so the same rules compare equal. */
function sameRetention(a: Retention | null, b: Retention): boolean {
  return a?.keepVersions === b.keepVersions && a?.deleteAfterDays === b.deleteAfterDays
}

/** PUT /v1/sessions/{sid}: the expected list replaced, metadata, deadline, retention and hold set; `created` when this write made the session. */
export function planUpdate(current: SessionRow, created: boolean, update: SessionUpdate): SessionChangePlan {
  const expect = update.expectedArtifacts === undefined ? undefined : diffExpected(current.expectedArtifacts, update.expectedArtifacts)
  const metadataChanged = update.metadata !== undefined && JSON.stringify(update.metadata) !== JSON.stringify(current.metadata)
  const deadlineChanged = update.deadline !== undefined && update.deadline !== current.deadline
  const retention = update.retention !== undefined && !sameRetention(current.retention, update.retention) ? update.retention : undefined
  const hold = update.hold !== undefined && update.hold !== current.hold ? update.hold : undefined
  // The same names in another order is no change of the set, and no entry; the list is stored as given.
  const reordered = update.expectedArtifacts !== undefined && update.expectedArtifacts.join('\0') !== current.expectedArtifacts.join('\0')
  const session: SessionChange | undefined = created || metadataChanged || deadlineChanged || retention !== undefined || hold !== undefined ? {
    created,
    deadline: created || deadlineChanged ? (deadlineChanged ? (update.deadline ?? null) : current.deadline) : null,
    metadata: metadataChanged ? (update.metadata ?? null) : null,
    ...(retention === undefined ? {} : { retention }),
    ...(hold === undefined ? {} : { hold }),
  } : undefined
  const entry = entryFor(expect, session)
  return {
    ...(expect !== undefined || reordered ? { expected: update.expectedArtifacts ?? [] } : {}),
    ...(metadataChanged && update.metadata !== undefined ? { metadata: update.metadata } : {}),
    ...(deadlineChanged && update.deadline !== undefined ? { deadline: update.deadline } : {}),
    ...(retention === undefined ? {} : { retention }),
    ...(hold === undefined ? {} : { hold }),
    ...(entry === undefined ? {} : { entry }),
  }
}

/** POST /v1/sessions/{sid}/expected: names removed, then added. */
export function planExpectChange(current: SessionRow, created: boolean, change: ExpectChange): SessionChangePlan {
  const removing = new Set(change.remove)
  const next = [...new Set([...current.expectedArtifacts.filter((name) => !removing.has(name)), ...change.add])]
  const expect = diffExpected(current.expectedArtifacts, next)
  const entry = entryFor(expect, created ? { created, deadline: current.deadline, metadata: null } : undefined)
  return { ...(expect === undefined ? {} : { expected: next }), ...(entry === undefined ? {} : { entry }) }
}

/** A close by the writer or the deadline, given the names the session has; undefined when it changes nothing. */
export function planClose(current: SessionRow, request: CloseRequest, present: Iterable<string>): CloseChange | undefined {
  const missing = missingArtifacts(current.expectedArtifacts, present)
  const state = closedState(current.state, request, missing)
  return state === undefined ? undefined : { state, closedBy: request.by, missing, error: request.error ?? null }
}
