// Counters kept in the same transactions as the data, so status, metrics and health read a handful of
// rows whatever the size of the log. Triggers keep them: no code path that writes a commit, a session or
// an object can forget one, and a rollback takes the counter back with the row.
import { CANARY_SESSION_ID } from '../../domain/session.js'
import { COUNTER_FAMILIES } from '../counter-families.js'

export { COUNTER_FAMILIES }

const CANARY = `'${CANARY_SESSION_ID}'`

/** Adds `delta` to one counter, creating it at first use: a state nobody has seen yet just works. */
function bump(family: string, key: string, delta: string, when: string): string {
  return `INSERT INTO counters (family, key, n) SELECT '${family}', ${key}, ${delta} WHERE ${when}
    ON CONFLICT (family, key) DO UPDATE SET n = n + excluded.n;`
}

const {
  commitsByState: COMMITS, sessionsByState: SESSIONS, sessionsByCloser: CLOSERS, objects: OBJECTS, newest: NEWEST, commitsPruned: PRUNED, history: HISTORY,
  plainView: PLAIN_VIEW,
} = COUNTER_FAMILIES
const isCountedCommit = (row: 'NEW' | 'OLD'): string => `${row}.kind = 'artifacts' AND ${row}.session_id != ${CANARY}`
/** Which entries the two `newest` seqs follow, as a condition on a row of commits (bare, NEW or OLD). */
const NEWEST_OF = {
  committed: (row: string): string => `${row}kind = 'artifacts' AND ${row}state = 'committed' AND ${row}session_id != ${CANARY}`,
  failed: (row: string): string => `${row}state IN ('failed', 'aborted') AND ${row}session_id != ${CANARY}`,
} as const

/** Moves a `newest` seq up to NEW.seq when the row now qualifies. */
function advance(key: keyof typeof NEWEST_OF): string {
  return `INSERT INTO counters (family, key, n) SELECT '${NEWEST}', '${key}', NEW.seq WHERE ${NEWEST_OF[key]('NEW.')}
    ON CONFLICT (family, key) DO UPDATE SET n = MAX(n, excluded.n);`
}

/**
 * When the row a `newest` seq names leaves (deleted, or no longer qualifying), finds the next newest:
 * a walk back from the end of the log, which only the deletion of that very entry pays. In the update
 * trigger it runs before advance(), so a row that becomes the newest never triggers it.
 */
function retreat(key: keyof typeof NEWEST_OF): string {
  return `UPDATE counters SET n = COALESCE((SELECT seq FROM commits WHERE ${NEWEST_OF[key]('')} ORDER BY seq DESC LIMIT 1), 0)
    WHERE family = '${NEWEST}' AND key = '${key}' AND n = OLD.seq;`
}
const isCountedSession = (row: 'NEW' | 'OLD'): string => `${row}.id != ${CANARY}`

/**
 * The counters table, its triggers and the indexes status reads through. Part of the counters migration (see
 * ledger-db.ts): change it only by appending a new migration, never in place.
 */
export const COUNTERS_SCHEMA = `
  CREATE TABLE counters (
    family TEXT NOT NULL,
    key    TEXT NOT NULL,
    n      INTEGER NOT NULL,
    PRIMARY KEY (family, key)
  ) WITHOUT ROWID;

  CREATE TRIGGER count_commit_insert AFTER INSERT ON commits BEGIN
    ${bump(COMMITS, 'NEW.state', '1', isCountedCommit('NEW'))}
    ${advance('committed')}
    ${advance('failed')}
  END;
  CREATE TRIGGER count_commit_update AFTER UPDATE OF state, kind, session_id ON commits
    WHEN OLD.state IS NOT NEW.state OR OLD.kind IS NOT NEW.kind OR OLD.session_id IS NOT NEW.session_id BEGIN
    ${bump(COMMITS, 'OLD.state', '-1', isCountedCommit('OLD'))}
    ${bump(COMMITS, 'NEW.state', '1', isCountedCommit('NEW'))}
    ${retreat('committed')}
    ${retreat('failed')}
    ${advance('committed')}
    ${advance('failed')}
  END;
  CREATE TRIGGER count_commit_delete AFTER DELETE ON commits BEGIN
    ${bump(COMMITS, 'OLD.state', '-1', isCountedCommit('OLD'))}
    ${retreat('committed')}
    ${retreat('failed')}
  END;

  CREATE TRIGGER count_session_insert AFTER INSERT ON sessions BEGIN
    ${bump(SESSIONS, 'NEW.state', '1', isCountedSession('NEW'))}
    ${bump(CLOSERS, 'NEW.closed_by', '1', `${isCountedSession('NEW')} AND NEW.closed_by IS NOT NULL`)}
  END;
  CREATE TRIGGER count_session_update AFTER UPDATE OF state, closed_by, id ON sessions
    WHEN OLD.state IS NOT NEW.state OR OLD.closed_by IS NOT NEW.closed_by OR OLD.id IS NOT NEW.id BEGIN
    ${bump(SESSIONS, 'OLD.state', '-1', isCountedSession('OLD'))}
    ${bump(CLOSERS, 'OLD.closed_by', '-1', `${isCountedSession('OLD')} AND OLD.closed_by IS NOT NULL`)}
    ${bump(SESSIONS, 'NEW.state', '1', isCountedSession('NEW'))}
    ${bump(CLOSERS, 'NEW.closed_by', '1', `${isCountedSession('NEW')} AND NEW.closed_by IS NOT NULL`)}
  END;
  CREATE TRIGGER count_session_delete AFTER DELETE ON sessions BEGIN
    ${bump(SESSIONS, 'OLD.state', '-1', isCountedSession('OLD'))}
    ${bump(CLOSERS, 'OLD.closed_by', '-1', `${isCountedSession('OLD')} AND OLD.closed_by IS NOT NULL`)}
  END;

  CREATE TRIGGER count_object_insert AFTER INSERT ON objects BEGIN
    ${bump(OBJECTS, "'count'", '1', 'true')}
    ${bump(OBJECTS, "'bytes'", 'NEW.size', 'true')}
  END;
  CREATE TRIGGER count_object_update AFTER UPDATE OF size ON objects WHEN OLD.size IS NOT NEW.size BEGIN
    ${bump(OBJECTS, "'bytes'", 'NEW.size - OLD.size', 'true')}
  END;
  CREATE TRIGGER count_object_delete AFTER DELETE ON objects BEGIN
    ${bump(OBJECTS, "'count'", '-1', 'true')}
    ${bump(OBJECTS, "'bytes'", '-OLD.size', 'true')}
  END;

  -- The most recently changed closed sessions by state; open ones (whose updated_at moves with every
  -- commit) stay out of it, so commits to open sessions do not maintain it.
  CREATE INDEX sessions_recently_closed ON sessions (state, updated_at) WHERE state != 'open';
  -- Appending an entry (and deleting one) checks the keys that refer to it: without this, a scan.
  CREATE INDEX idempotency_keys_by_commit ON idempotency_keys (commit_seq);
`

/**
 * History pruning (a migration after the counters one): deleting an entry, which only pruning does, moves
 * it from the live rows to the pruned counts instead of taking it out of the counts.
 */
export const HISTORY_PRUNING_SCHEMA = `
  DROP TRIGGER count_commit_delete;
  CREATE TRIGGER count_commit_delete AFTER DELETE ON commits BEGIN
    ${bump(PRUNED, 'OLD.state', '1', isCountedCommit('OLD'))}
    ${bump(HISTORY, "'prunedEntries'", '1', 'true')}
    ${retreat('committed')}
    ${retreat('failed')}
  END;
`

/**
 * Every counter, counted again from the rows: the counters migration fills the table with it (and
 * bench/big-log.mjs after a bulk load). What pruning deleted cannot be counted again: its counts stay; nor
 * can the plain view's checkpoint, which is no count at all.
 */
export const COUNTERS_RECOUNT = `
  DELETE FROM counters WHERE family NOT IN ('${PRUNED}', '${HISTORY}', '${PLAIN_VIEW}');
  INSERT INTO counters (family, key, n)
    SELECT '${COMMITS}', state, SUM(n) FROM (
      SELECT state, COUNT(*) AS n FROM commits WHERE kind = 'artifacts' AND session_id != ${CANARY} GROUP BY state
      UNION ALL SELECT key AS state, n FROM counters WHERE family = '${PRUNED}'
    ) GROUP BY state;
  INSERT INTO counters (family, key, n)
    SELECT '${SESSIONS}', state, COUNT(*) FROM sessions WHERE id != ${CANARY} GROUP BY state;
  INSERT INTO counters (family, key, n)
    SELECT '${CLOSERS}', closed_by, COUNT(*) FROM sessions WHERE id != ${CANARY} AND closed_by IS NOT NULL GROUP BY closed_by;
  INSERT INTO counters (family, key, n)
    VALUES ('${OBJECTS}', 'count', (SELECT COUNT(*) FROM objects)), ('${OBJECTS}', 'bytes', (SELECT COALESCE(SUM(size), 0) FROM objects));
  INSERT INTO counters (family, key, n)
    SELECT '${NEWEST}', 'committed', MAX(seq) FROM commits WHERE ${NEWEST_OF.committed('')} HAVING MAX(seq) IS NOT NULL;
  INSERT INTO counters (family, key, n)
    SELECT '${NEWEST}', 'failed', MAX(seq) FROM commits WHERE ${NEWEST_OF.failed('')} HAVING MAX(seq) IS NOT NULL;
`

/** The canary's id as an SQL literal, for conditions a partial index must recognise as its own. */
export const CANARY_LITERAL = CANARY
