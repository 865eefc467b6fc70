// The durable small-file cycle with Node's own fs calls, run as its own process: the physical limit per write.
// Usage: node bench/fsync-cycle.mjs <dir> <concurrency> <seconds> <bytes> [cycle|contract]; prints one JSON line.
//
// `cycle` (the default) is one file: temp, write, fsync, rename, fsync dir. `contract` is the least any
// implementation of the service's durability contract must do for a one-artifact commit, with no HTTP,
// no validation and no bookkeeping: a pending row made durable, then the object and the plain file each
// through that cycle and read back, side by side, then a committed row made durable.
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import Database from 'better-sqlite3'

const [dir, concurrencyArg, secondsArg, bytesArg, mode = 'cycle'] = process.argv.slice(2)
const concurrency = Number(concurrencyArg)
const seconds = Number(secondsArg)
const payload = randomBytes(Number(bytesArg))

/** temp beside target, write, fsync, rename, fsync dir: the steps the service's verified writer takes. */
async function fileCycle(folder, n) {
  const temp = join(folder, `.tmp-${process.pid}-${n}`)
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
  try {
    await handle.write(payload, 0, payload.byteLength)
    await handle.sync()
  } finally {
    await handle.close()
  }
  const target = join(folder, `f-${n}.bin`)
  await rename(temp, target)
  const dirHandle = await open(folder, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
  return target
}

await mkdir(dir, { recursive: true })
let cycle = (n) => fileCycle(dir, n)
if (mode === 'contract') {
  const db = new Database(join(dir, 'floor.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.exec('CREATE TABLE IF NOT EXISTS commits (seq INTEGER PRIMARY KEY, state TEXT NOT NULL)')
  const insertPending = db.prepare("INSERT INTO commits (state) VALUES ('pending')")
  const markCommitted = db.prepare("UPDATE commits SET state = 'committed' WHERE seq = ?")
  const objects = join(dir, 'objects')
  const plain = join(dir, 'sessions')
  await Promise.all([mkdir(objects, { recursive: true }), mkdir(plain, { recursive: true })])
  const expected = createHash('sha256').update(payload).digest('hex')
  const readBack = async (path) => {
    if (createHash('sha256').update(await readFile(path)).digest('hex') !== expected) throw new Error(`${path} read back wrong`)
  }
  cycle = async (n) => {
    const seq = insertPending.run().lastInsertRowid
    await Promise.all([fileCycle(objects, n).then(readBack), fileCycle(plain, n).then(readBack)])
    markCommitted.run(seq)
  }
}

const latencies = []
let next = 0
const started = performance.now()
const deadline = started + seconds * 1000
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < deadline) {
    const t0 = performance.now()
    await cycle(next++)
    latencies.push(performance.now() - t0)
  }
}))
const wallSeconds = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({ latencies, wallSeconds, cpu: process.cpuUsage() })}\n`)
