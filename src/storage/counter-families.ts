// The counters the log keeps with its data, by family, for every SQL log (SQLite's counters.ts keeps them
// by triggers, PostgreSQL's pg-counters.ts by PL/pgSQL triggers): the same names, so status reads both alike.
/** What the counters count; each family is keyed by a state (or another column's value), so a new state needs no schema change. */
export const COUNTER_FAMILIES = {
  /** Entries of kind `artifacts` (commits of bytes) by state, the canary's left out. */
  commitsByState: 'commits.state',
  /** Sessions by state, the canary's left out. */
  sessionsByState: 'sessions.state',
  /** Sessions by who closed them (writer, deadline), the canary's left out. */
  sessionsByCloser: 'sessions.closed_by',
  /** Keys `count` and `bytes` of every object recorded. */
  objects: 'objects',
  /**
   * Seqs, not counts: `committed`, the newest committed commit of bytes, and `failed`, the newest failed
   * or aborted entry, the canary's left out. On the page the counters dirty anyway, so they cost the
   * write path nothing (a partial index per row would cost a page per transaction).
   */
  newest: 'newest',
  /**
   * Commits of bytes pruned from history, by the state they ended in: pruning deletes rows, never counts,
   * so commitsByState keeps every commit ever made, and a recount adds these back.
   */
  commitsPruned: 'commits.pruned',
  /** `prunedEntries` (entries of every kind pruned, ever) and `completeSnapshotsFrom` (see HistoryHorizon). */
  history: 'history',
  /** Key `flushed_seq`: the plain view's durable checkpoint (StorageBookkeeping.plainViewCheckpoint), set by the ledger, not a trigger. */
  plainView: 'plain_view',
} as const
