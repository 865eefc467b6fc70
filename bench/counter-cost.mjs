// What the monitoring counters cost a commit: the log's own writes (insertPending + markCommitted, one
// artifact) through the built SQLite adapter, on the schema before the counters (5), with them (6), and
// with their triggers dropped, each with synchronous=OFF so the CPU cost is not lost in fsync noise.
// `npm run build && node bench/counter-cost.mjs [commits]`
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { SqliteCommitLog } from '../dist/storage/sqlite/commit-log.js'
import { LEDGER_SCHEMA_VERSION, openLedgerDb } from '../dist/storage/sqlite/ledger-db.js'
import { SqliteSessionStore } from '../dist/storage/sqlite/session-store.js'
import { SqlRunner } from '../dist/storage/sqlite/sql-runner.js'

const commits = Number(process.argv[2] ?? 20_000)
const variants = [
  ['schema 5 (no counters)', LEDGER_SCHEMA_VERSION - 1, false],
  ['schema 6 (counters, triggers, indexes)', LEDGER_SCHEMA_VERSION, false],
  ['schema 6, triggers dropped', LEDGER_SCHEMA_VERSION, true],
]

async function measure(version, dropTriggers) {
  const dir = mkdtempSync(join(tmpdir(), 'counter-cost-'))
  try {
    const db = openLedgerDb(join(dir, 'ledger.db'), version)
    db.pragma('synchronous = OFF')
    if (dropTriggers) for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all()) db.exec(`DROP TRIGGER "${name}"`)
    const run = new SqlRunner(db)
    const log = new SqliteCommitLog(run, new SqliteSessionStore(run))
    const started = performance.now()
    for (let n = 0; n < commits; n++) {
      const text = `artifact ${n}`
      const seq = await log.insertPending({
        id: `01900000-0000-7000-8000-${String(n).padStart(12, '0')}`, sessionId: `s${n % 50}`, message: null, metadata: null, newSessionDeadline: null,
        artifacts: [{ name: `n-${n}.bin`, sha256: createHash('sha256').update(text).digest('hex'), size: text.length, mediaType: 'application/octet-stream' }],
      })
      await log.markCommitted(seq)
    }
    const microseconds = ((performance.now() - started) * 1000) / commits
    await log.close()
    return microseconds
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const rounds = 3
const results = new Map(variants.map(([label]) => [label, []]))
// Interleaved rounds, so a noisy neighbour on the machine touches every variant alike.
for (let round = 0; round < rounds; round++) {
  for (const [label, version, drop] of variants) results.get(label).push(await measure(version, drop))
}
for (const [label, values] of results) {
  const sorted = [...values].sort((a, b) => a - b)
  process.stdout.write(`${label}: median ${sorted[1].toFixed(1)} µs per commit (runs ${values.map((v) => v.toFixed(1)).join(', ')})\n`)
}
