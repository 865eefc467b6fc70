// Counters kept in the same transactions as the data, as SQLite's (../sqlite/counters.ts, whose families
// and meaning these are): status, metrics and health read a handful of rows whatever the size of the log.
// Row triggers keep them, so no code path can forget one and a rollback takes the counter back with the row.
// Every write transaction holds the log's write lock (pg-runner.ts), so these hot rows never deadlock.
import { CANARY_SESSION_ID } from '../../domain/session.js'
import { COUNTER_FAMILIES } from '../counter-families.js'

export { COUNTER_FAMILIES }

export const CANARY_LITERAL = `'${CANARY_SESSION_ID}'`
const F = COUNTER_FAMILIES

const committedNewest = (row: string): string => `${row}.kind = 'artifacts' AND ${row}.state = 'committed' AND ${row}.session_id <> ${CANARY_LITERAL}`
const failedNewest = (row: string): string => `${row}.state IN ('failed', 'aborted') AND ${row}.session_id <> ${CANARY_LITERAL}`
const countedCommit = (row: string): string => `${row}.kind = 'artifacts' AND ${row}.session_id <> ${CANARY_LITERAL}`

/** When the entry a `newest` seq names leaves (deleted or no longer qualifying), the next newest: a walk back from the end. */
function retreat(key: 'committed' | 'failed', condition: (row: string) => string): string {
  return `UPDATE counters SET n = COALESCE((SELECT c.seq FROM commits c WHERE ${condition('c')} ORDER BY c.seq DESC LIMIT 1), 0)
      WHERE family = '${F.newest}' AND key = '${key}' AND n = OLD.seq;`
}

function advance(key: 'committed' | 'failed', condition: (row: string) => string): string {
  return `IF ${condition('NEW')} THEN
      INSERT INTO counters (family, key, n) VALUES ('${F.newest}', '${key}', NEW.seq)
        ON CONFLICT (family, key) DO UPDATE SET n = GREATEST(counters.n, EXCLUDED.n);
    END IF;`
}

/** The counters table, its functions and triggers: part of the first migration (pg-schema.ts). */
export const COUNTERS_SCHEMA = `
  CREATE TABLE counters (
    family TEXT COLLATE "C" NOT NULL,
    key    TEXT COLLATE "C" NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (family, key)
  );

  -- Adds delta to one counter, creating it at first use: a state nobody has seen yet just works.
  CREATE FUNCTION bump_counter(f TEXT, k TEXT, delta BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO counters (family, key, n) VALUES (f, k, delta)
      ON CONFLICT (family, key) DO UPDATE SET n = counters.n + EXCLUDED.n
  $$;

  CREATE FUNCTION count_commits() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'UPDATE' THEN
      IF ${countedCommit('OLD')} THEN PERFORM bump_counter('${F.commitsByState}', OLD.state, -1); END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
      -- Only pruning deletes an entry: it moves from the live rows to the pruned counts, never out of the counts.
      IF ${countedCommit('OLD')} THEN PERFORM bump_counter('${F.commitsPruned}', OLD.state, 1); END IF;
      PERFORM bump_counter('${F.history}', 'prunedEntries', 1);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      ${retreat('committed', committedNewest)}
      ${retreat('failed', failedNewest)}
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
      IF ${countedCommit('NEW')} THEN PERFORM bump_counter('${F.commitsByState}', NEW.state, 1); END IF;
      ${advance('committed', committedNewest)}
      ${advance('failed', failedNewest)}
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER count_commit_insert_delete AFTER INSERT OR DELETE ON commits FOR EACH ROW EXECUTE FUNCTION count_commits();
  CREATE TRIGGER count_commit_update AFTER UPDATE OF state, kind, session_id ON commits FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.session_id IS DISTINCT FROM NEW.session_id)
    EXECUTE FUNCTION count_commits();

  CREATE FUNCTION count_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.id <> ${CANARY_LITERAL} THEN
      PERFORM bump_counter('${F.sessionsByState}', OLD.state, -1);
      IF OLD.closed_by IS NOT NULL THEN PERFORM bump_counter('${F.sessionsByCloser}', OLD.closed_by, -1); END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.id <> ${CANARY_LITERAL} THEN
      PERFORM bump_counter('${F.sessionsByState}', NEW.state, 1);
      IF NEW.closed_by IS NOT NULL THEN PERFORM bump_counter('${F.sessionsByCloser}', NEW.closed_by, 1); END IF;
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER count_session_insert_delete AFTER INSERT OR DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION count_sessions();
  CREATE TRIGGER count_session_update AFTER UPDATE OF state, closed_by, id ON sessions FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.closed_by IS DISTINCT FROM NEW.closed_by OR OLD.id IS DISTINCT FROM NEW.id)
    EXECUTE FUNCTION count_sessions();

  CREATE FUNCTION count_objects() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN
      PERFORM bump_counter('${F.objects}', 'count', 1);
      PERFORM bump_counter('${F.objects}', 'bytes', NEW.size);
    ELSIF TG_OP = 'DELETE' THEN
      PERFORM bump_counter('${F.objects}', 'count', -1);
      PERFORM bump_counter('${F.objects}', 'bytes', -OLD.size);
    ELSE
      PERFORM bump_counter('${F.objects}', 'bytes', NEW.size - OLD.size);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER count_object_insert_delete AFTER INSERT OR DELETE ON objects FOR EACH ROW EXECUTE FUNCTION count_objects();
  CREATE TRIGGER count_object_update AFTER UPDATE OF size ON objects FOR EACH ROW
    WHEN (OLD.size IS DISTINCT FROM NEW.size) EXECUTE FUNCTION count_objects();
`
