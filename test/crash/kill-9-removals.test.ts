// kill -9 while deletions, expiry, garbage collection and history pruning run: after each restart no live version is
// lost (it reads back whole), every removed version answers 410 with the code of what removed it (history_pruned once
// its history is pruned), every acknowledged delete is in the log, the plain view equals the live versions, and
// verify is clean.
//
// CRASH_REMOVAL_CYCLES (6) and CRASH_SEED size and replay the loop.
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAllServers, startServer, type ServerProcess } from '../support/server-process.js'
import { walk } from '../support/walk.js'

const CYCLES = Number(process.env['CRASH_REMOVAL_CYCLES'] ?? 6)
const SEED = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000)
const NAMES = ['a.txt', 'b/c.txt', 'd.json']
/**
 * Writes run with a fast expiry sweep (keep the newest 2) and garbage collection every 50 ms with a 1 s
 * grace, so kills land in the middle of both.
 */
const BUSY_ENV = {
  CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0', RETENTION_KEEP_VERSIONS: '2', EXPIRY_INTERVAL_MS: '5', EXPIRY_BATCH_SIZE: '3',
  GC_INTERVAL_MS: '50', GC_GRACE_SECONDS: '1', HISTORY_RETENTION_SECONDS: '1',
}
/** Bytes that many commits send: a released object a new commit needs again while collection runs. */
const SHARED_TEXTS = ['shared one', 'shared two', 'shared three']
/** Checks run against a quiet server: nothing removes versions while they look. */
const QUIET_ENV = { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0', RETENTION_KEEP_VERSIONS: '2', EXPIRY_INTERVAL_MS: '0', HISTORY_RETENTION_SECONDS: '0' }

interface Version {
  version: number
  sha256: string
  removed?: { seq: number; kind: 'delete' | 'expire' }
}

function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = prng(SEED)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex')

/** What the clients were told: versions acknowledged (by session, name and version) and deletes acknowledged. */
class History {
  readonly versions = new Map<string, string>()
  readonly deletes: { id: string; sessionId: string }[] = []
  readonly sessions = new Set<string>()
  /** Removed versions the last check saw, by what removed them. */
  removedSeen = { delete: 0, expire: 0 }
  /** Objects garbage collection had reclaimed by the last check. */
  reclaimed = 0
  /** Acknowledged versions whose history was pruned by the last check, and entries pruned by then. */
  prunedSeen = 0
  prunedEntries = 0
}

async function request(url: string, init: RequestInit = {}): Promise<Response | undefined> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) })
  } catch {
    // The server died under the request: its outcome is unknown, and only acknowledged work is checked.
    return undefined
  }
}

async function writer(base: string, history: History, cycle: number, alive: () => boolean): Promise<void> {
  for (let i = 0; alive(); i++) {
    const sessionId = `s${cycle % 3}-${Math.floor(random() * 2)}`
    const name = pick(NAMES)
    const text = random() < 0.3 ? pick(SHARED_TEXTS) : `cycle ${cycle} op ${i} ${random()}`
    const res = await request(`${base}/v1/sessions/${sessionId}/commits`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: [{ name, text }] }),
    })
    history.sessions.add(sessionId)
    if (res?.status === 201) {
      const record = (await res.json()) as { artifacts: { version: number }[] }
      history.versions.set(`${sessionId}\0${name}\0${record.artifacts[0]?.version ?? 0}`, sha256(text))
    }
  }
}

async function deleter(base: string, history: History, cycle: number, alive: () => boolean): Promise<void> {
  for (let i = 0; alive(); i++) {
    await sleep(Math.floor(random() * 20))
    // Mostly artifacts; now and then a whole session, which the writers may still be writing to.
    const sessionId = `s${cycle % 3}-${Math.floor(random() * 2)}`
    const url = random() < 0.15 ? `${base}/v1/sessions/${sessionId}` : `${base}/v1/sessions/${sessionId}/artifacts/${pick(NAMES)}`
    const res = await request(url, { method: 'DELETE' })
    if (res?.status === 200) history.deletes.push({ id: ((await res.json()) as { id: string }).id, sessionId })
  }
}

async function json<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, init)
  expect(res.ok, `${url} → ${res.status}`).toBe(true)
  return (await res.json()) as T
}

async function checkInvariants(server: ServerProcess, history: History): Promise<void> {
  const base = server.baseUrl
  const where = `(seed ${SEED})`
  history.removedSeen = { delete: 0, expire: 0 }
  history.prunedSeen = 0
  for (const { id } of history.deletes) expect((await json<{ kind: string }>(`${base}/v1/commits/${id}`)).kind, `delete ${id} ${where}`).toBe('delete')
  for (const sessionId of history.sessions) {
    const session = await fetch(`${base}/v1/sessions/${sessionId}`)
    if (session.status === 404) continue
    for (const name of NAMES) {
      const res = await fetch(`${base}/v1/sessions/${sessionId}/artifacts/${name}?versions`)
      if (res.status === 404) continue
      const versions = ((await res.json()) as { versions: Version[] }).versions
      for (const v of versions) {
        const read = await fetch(`${base}/v1/sessions/${sessionId}/artifacts/${name}?version=${v.version}`)
        const body = Buffer.from(await read.arrayBuffer())
        if (v.removed === undefined) {
          // A live version reads back whole.
          expect(read.status, `${sessionId}/${name} v${v.version} ${where}`).toBe(200)
          expect(sha256(body), `${sessionId}/${name} v${v.version} ${where}`).toBe(v.sha256)
        } else {
          history.removedSeen[v.removed.kind]++
          expect(read.status, `${sessionId}/${name} v${v.version} removed ${where}`).toBe(410)
          expect(JSON.parse(body.toString()).code).toBe(v.removed.kind === 'delete' ? 'artifact_deleted' : 'version_expired')
        }
      }
      // No acknowledged version is missing from the history, and none changed its bytes.
      for (const v of versions) {
        const acked = history.versions.get(`${sessionId}\0${name}\0${v.version}`)
        if (acked !== undefined) expect(v.sha256, `${sessionId}/${name} v${v.version} ${where}`).toBe(acked)
      }
      // An acknowledged version is in the history, or below its highest with its history pruned, and says so.
      const numbers = new Set(versions.map((v) => v.version))
      const highest = Math.max(0, ...numbers)
      for (const key of history.versions.keys()) {
        const [sid, n, version] = key.split('\0')
        if (sid !== sessionId || n !== name || numbers.has(Number(version))) continue
        expect(Number(version), `acknowledged ${key} missing from the history is below the highest ${where}`).toBeLessThan(highest)
        const read = await fetch(`${base}/v1/sessions/${sessionId}/artifacts/${name}?version=${version}`)
        expect([read.status, ((await read.json()) as { code: string }).code], `acknowledged ${key} pruned ${where}`).toEqual([410, 'history_pruned'])
        history.prunedSeen++
      }
    }
    // The plain view holds exactly the live latest versions.
    const listing = await json<{ artifacts: { name: string; sha256: string }[] }>(`${base}/v1/sessions/${sessionId}/artifacts`)
    const files = await walk(join(server.dataDir, 'sessions', sessionId)).catch(() => [] as string[])
    expect(files.sort(), `plain files of ${sessionId} ${where}`).toEqual(listing.artifacts.map((a) => a.name).sort())
    for (const a of listing.artifacts) expect(sha256(await readFile(join(server.dataDir, 'sessions', sessionId, a.name)))).toBe(a.sha256)
  }
  const report = await json<{ ok: boolean; missing: unknown[]; corrupt: unknown[]; orphaned: unknown[] }>(`${base}/v1/verify`, { method: 'POST' })
  expect(report, `verify ${where}`).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
  const status = await json<{ gc: { reclaimedObjects: number }; history: { prunedEntries: number } }>(`${base}/v1/status`)
  history.reclaimed = status.gc.reclaimedObjects
  history.prunedEntries = status.history.prunedEntries
}

describe('kill -9 during deletions, expiry, garbage collection and history pruning', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'artifact-ledger-kill9-removals-'))
  })
  afterAll(async () => {
    await killAllServers()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('loses no live version, answers 410 for every removed one, keeps every acknowledged delete, and verifies clean', async () => {
    const history = new History()
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const busy = await startServer({ dataDir, env: BUSY_ENV })
      await busy.waitReady()
      let alive = true
      const work = Promise.all([
        writer(busy.baseUrl, history, cycle, () => alive), writer(busy.baseUrl, history, cycle, () => alive),
        deleter(busy.baseUrl, history, cycle, () => alive),
      ])
      await sleep(300 + Math.floor(random() * 700))
      await busy.kill('SIGKILL')
      alive = false
      await work
      const quiet = await startServer({ dataDir, env: QUIET_ENV })
      await quiet.waitReady()
      await checkInvariants(quiet, history)
      await quiet.kill('SIGKILL')
    }
    const { delete: deleted, expire: expired } = history.removedSeen
    console.log(`kill -9 removals: ${CYCLES} cycles, ${history.versions.size} versions and ${history.deletes.length} deletes acknowledged; ` +
      `${deleted} versions deleted and ${expired} expired, ${history.reclaimed} objects reclaimed, ${history.prunedEntries} entries pruned ` +
      `(${history.prunedSeen} acknowledged versions) at the end (seed ${SEED})`)
    expect(history.deletes.length, `seed ${SEED}`).toBeGreaterThan(0)
    // Expired versions whose history was pruned since are counted among the pruned.
    expect(expired + history.prunedSeen, `versions expired by the sweep, or removed and pruned since (seed ${SEED})`).toBeGreaterThan(0)
    expect(history.reclaimed, `objects reclaimed by garbage collection (seed ${SEED})`).toBeGreaterThan(0)
    expect(history.prunedEntries, `entries pruned by history retention (seed ${SEED})`).toBeGreaterThan(0)
  }, 60_000 + CYCLES * 20_000)
})
