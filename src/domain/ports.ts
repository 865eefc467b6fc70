// What the ledger needs from storage and coordination, and the rules every adapter keeps. The ledger
// imports these interfaces, never SQLite or fs; main.ts and storage/open-storage.ts choose adapters.
//
// Rules, as Litestream writes its replica-client contract:
//
// 1. Ordering. The log hands out `seq` in the order entries are appended, and an entry is visible to
//    readers only together with every entry of a smaller seq: a reader paging by seq never skips one
//    that shows up later. Within a session, entries are committed in seq order (coordination.ts,
//    SessionLocks), so versions, the session head and the plain files move in seq order too.
//
// 2. One writer per data dir. Exactly one ledger process writes a log, its objects and its plain view
//    at a time; storage/data-dir-lock.ts takes the data dir before anything is opened. The in-process
//    coordination (locks, idempotency waits, object claims) and start-up recovery, which ends every
//    pending entry it finds, are correct only under this rule. Several replicas need all of
//    Coordination replaced together, and the log's seq to keep rule 1 across them.
//
// 3. Durable when resolved. A write resolves (or returns) only once what it wrote survives a crash of
//    the process and of the machine; a write that rejects may have written nothing, or part of what
//    each method's comment allows, and never more. A crash between two methods leaves what the
//    earlier one wrote. Each method's comment says what a crash in the middle of it can leave.
//
// 4. Errors are the domain's. An adapter turns its own failures into LedgerError subclasses
//    (domain/errors.ts) at its edge: no space → InsufficientStorage, an I/O failure of a write or of
//    the log → StorageFault, an absent object → ObjectMissing. Nothing above the adapter looks at an
//    errno or a backend's code; whatever an adapter lets through untranslated is reported as an
//    unexpected error (a 500 `internal`).
import type { StorageBookkeeping } from './ports/bookkeeping.js'
import type { Coordination } from './ports/coordination.js'
import type { FailureJournal } from './ports/failure-journal.js'
import type { CommitLog } from './ports/log.js'
import type { ObjectStore } from './ports/objects.js'
import type { PlainView } from './ports/plain-view.js'
import type { StorageProbes } from './ports/probes.js'
import type { SessionStore } from './ports/sessions.js'

export type * from './ports/bookkeeping.js'
export type * from './ports/coordination.js'
export type * from './ports/failure-journal.js'
export type * from './ports/log.js'
export type * from './ports/objects.js'
export * from './ports/observer.js'
export type * from './ports/plain-view.js'
export type * from './ports/probes.js'
export type * from './ports/sessions.js'

/** Everything a ledger runs on: one adapter per port, chosen in one wiring place (storage/open-storage.ts). */
export interface LedgerPorts {
  log: CommitLog
  sessions: SessionStore
  bookkeeping: StorageBookkeeping
  objects: ObjectStore
  view: PlainView
  probes: StorageProbes
  failureJournal: FailureJournal
  coordination: Coordination
}
