import Database from 'better-sqlite3'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { migrate, openLedgerDb } from '../../src/storage/sqlite/ledger-db.js'
import { makeDataDir, removeDataDirsMade } from '../support/start-ledger.js'

afterAll(removeDataDirsMade)

describe('the removals migration', () => {
  it('widens the kind CHECK in place and adds the removal columns, keeping every row and a clean integrity check', async () => {
    const path = join(await makeDataDir(), 'ledger.db')
    const old = new Database(path)
    migrate(old, 5)
    old.prepare("INSERT INTO sessions (id, created_at, updated_at) VALUES ('s1', 'now', 'now')").run()
    old.prepare("INSERT INTO commits (id, session_id, state, created_at, kind) VALUES ('c1', 's1', 'committed', 'now', 'artifacts')").run()
    old.prepare("INSERT INTO commit_artifacts (commit_seq, position, session_id, name, version, sha256, size, media_type) VALUES (1, 0, 's1', 'a.txt', 1, 'ab', 1, 'text/plain')").run()
    old.prepare("INSERT INTO objects (sha256, size, created_at) VALUES ('ab', 1, 'now')").run()
    expect(() => old.prepare("INSERT INTO commits (id, session_id, state, created_at, kind) VALUES ('c2', 's1', 'committed', 'now', 'delete')").run()).toThrow(/CHECK/)
    old.close()

    const db = openLedgerDb(path)
    expect(db.pragma('user_version', { simple: true })).toBe(7)
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.prepare("INSERT INTO commits (id, session_id, state, created_at, kind) VALUES ('c2', 's1', 'committed', 'now', 'delete')").run()
    db.prepare("INSERT INTO commits (id, session_id, state, created_at, kind) VALUES ('c3', 's1', 'committed', 'now', 'expire')").run()
    expect(() => db.prepare("INSERT INTO commits (id, session_id, state, created_at, kind) VALUES ('c4', 's1', 'committed', 'now', 'bogus')").run()).toThrow(/CHECK/)
    expect(db.prepare('SELECT removed_seq FROM commit_artifacts').get()).toEqual({ removed_seq: null })
    expect(db.prepare('SELECT released_at FROM objects').get()).toEqual({ released_at: null })
    expect(db.prepare('SELECT retention, hold FROM sessions').get()).toEqual({ retention: null, hold: 0 })
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    db.close()
  })
})
