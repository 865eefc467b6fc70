// kill -9 at random moments (and during recovery itself): after each restart the durability invariants hold.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative, sep } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import canonicalizeModule from 'canonicalize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAllServers, startServer, type ReadinessAnswer, type ServerProcess } from '../support/server-process.js'

// canonicalize is CommonJS with an ESM-style d.ts: its default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string

const CYCLES = 5
const WRITERS = 4
const SESSIONS = ['run-alpha', 'run-beta', 'run-gamma']
// No name is a folder of another, so every commit is valid; most names are reused so versions grow.
const JSON_NAMES = ['quality_metrics.json', 'session_summary.json', 'metrics/loss.json']
const TEXT_NAMES = ['manuscript/draft.md', 'notes/feedback.txt']
const BINARY_NAMES = ['bin/weights.bin']
const UPLOAD_NAMES = ['uploads/big-0.bin', 'uploads/big-1.bin']
/** Sent by several writers to several sessions: one object shared by commits that may crash. */
const SHARED_TEXT = 'shared feedback: the same bytes in many sessions\n'
const REQUEST_TIMEOUT_MS = 10_000
/**
 * No canary commits or background scrub: their writes would race the exact plain-view and verify
 * checks, and every commit in the log must be one a writer sent.
 */
const QUIET_ENV = { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0' }

interface Sent {
  name: string
  bytes: Buffer
  sha256: string
}

interface Acked {
  id: string
  seq: number
  sessionId: string
  artifacts: (Sent & { version: number })[]
}

interface CommitRecord {
  id: string
  seq: number
  sessionId: string
  state: string
  metadata: { op?: string } | null
  artifacts: { name: string; version: number | null; sha256: string | null }[]
}

/** Everything the writers know: acknowledged commits, every digest ever sent, and what went wrong. */
class History {
  readonly acked: Acked[] = []
  /** `${sid}\0${name}\0${sha256}` of every artifact ever sent, acknowledged or not. */
  readonly sent = new Set<string>()
  /** The artifacts of each tagged POST, by its metadata.op. */
  readonly sentByOp = new Map<string, Sent[]>()
  readonly problems: string[] = []
  unknownOutcomes = 0
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** mulberry32: the workload's choices are reproducible from the seed in failure messages. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEED = Number(process.env['CRASH_SEED'] ?? Date.now() % 1_000_000)
const random = prng(SEED)
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T
const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1))

function jsonArtifact(name: string, op: string): { input: Record<string, unknown>; sent: Sent } {
  const value = { op, score: between(0, 1000), tags: ['crash', 'kill-9', op], note: 'ünïcödé ✓', nested: { b: [1, 2, 3], a: null } }
  const bytes = Buffer.from(canonicalize(value), 'utf8')
  return { input: { name, json: value, sha256: sha256(bytes) }, sent: { name, bytes, sha256: sha256(bytes) } }
}

function textArtifact(name: string, op: string): { input: Record<string, unknown>; sent: Sent } {
  const text = random() < 0.3 ? SHARED_TEXT : `${op}: ${'réécriture ✍ '.repeat(between(1, 400))}\n`
  const bytes = Buffer.from(text, 'utf8')
  return { input: { name, text, sha256: sha256(bytes) }, sent: { name, bytes, sha256: sha256(bytes) } }
}

function binaryArtifact(name: string): { input: Record<string, unknown>; sent: Sent } {
  const bytes = randomBytes(between(1, 8192))
  return { input: { name, base64: bytes.toString('base64') }, sent: { name, bytes, sha256: sha256(bytes) } }
}

function recordAck(history: History, sessionId: string, sent: Sent[], record: CommitRecord): void {
  const artifacts = sent.map((s, i) => ({ ...s, version: record.artifacts[i]?.version ?? -1 }))
  const agrees = record.state === 'committed' && record.sessionId === sessionId && record.artifacts.length === sent.length &&
    record.artifacts.every((a, i) => a.name === sent[i]?.name && a.sha256 === sent[i]?.sha256 && typeof a.version === 'number')
  if (!agrees) history.problems.push(`2xx record disagrees with the request: ${JSON.stringify(record)}`)
  else history.acked.push({ id: record.id, seq: record.seq, sessionId, artifacts })
}

/** Sends one request; a connection error is an unknown outcome, any answer but 201 a problem. */
async function send(history: History, url: string, init: RequestInit, onCreated: (record: CommitRecord) => void): Promise<void> {
  let status: number
  let body: string
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    status = res.status
    body = await res.text()
  } catch {
    // Killed mid-request: the commit may or may not have happened, and was never acknowledged.
    history.unknownOutcomes++
    return
  }
  if (status === 201) onCreated(JSON.parse(body) as CommitRecord)
  else history.problems.push(`${init.method ?? 'GET'} ${url} answered ${status}: ${body.slice(0, 500)}`)
}

async function postCommit(history: History, base: string, op: string, fresh: string): Promise<void> {
  const sessionId = pick(SESSIONS)
  const names = [...JSON_NAMES, ...TEXT_NAMES, ...BINARY_NAMES].filter(() => random() < 0.4)
  if (names.length === 0 || random() < 0.2) names.push(fresh)
  const parts = names.map((name) =>
    JSON_NAMES.includes(name) ? jsonArtifact(name, op) : BINARY_NAMES.includes(name) ? binaryArtifact(name) : textArtifact(name, op))
  const sent = parts.map((p) => p.sent)
  for (const s of sent) history.sent.add(`${sessionId}\0${s.name}\0${s.sha256}`)
  history.sentByOp.set(op, sent)
  await send(history, `${base}/v1/sessions/${sessionId}/commits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifacts: parts.map((p) => p.input), message: `writer op ${op}`, metadata: { op } }),
  }, (record) => recordAck(history, sessionId, sent, record))
}

/** A streamed PUT of a few hundred KiB, in chunks with pauses, so a kill can land mid-body. */
async function putUpload(history: History, base: string): Promise<void> {
  const sessionId = pick(SESSIONS)
  const name = pick(UPLOAD_NAMES)
  const bytes = randomBytes(between(100, 400) * 1024)
  const sent: Sent = { name, bytes, sha256: sha256(bytes) }
  history.sent.add(`${sessionId}\0${name}\0${sent.sha256}`)
  let offset = 0
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close()
        return
      }
      await sleep(1)
      controller.enqueue(bytes.subarray(offset, offset + 32 * 1024))
      offset += 32 * 1024
    },
  })
  const digest = `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`
  await send(history, `${base}/v1/sessions/${sessionId}/artifacts/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-digest': digest },
    body,
    duplex: 'half',
  }, (record) => recordAck(history, sessionId, [sent], record))
}

async function writerLoop(history: History, base: string, writer: number, cycle: number, crashed: () => boolean): Promise<void> {
  for (let n = 0; !crashed(); n++) {
    const op = `c${cycle}-w${writer}-${n}`
    if (random() < 0.3) await putUpload(history, base)
    else await postCommit(history, base, op, `logs/${op}.log`)
  }
}

/** Runs the writers against `server` and SIGKILLs it after `killAfterMs`; resolves once all writers stop. */
async function writeThenKill(history: History, server: ServerProcess, cycle: number, killAfterMs: number): Promise<void> {
  let crashed = false
  const writers = Array.from({ length: WRITERS }, (_, w) => writerLoop(history, server.baseUrl, w, cycle, () => crashed))
  await sleep(killAfterMs)
  crashed = true
  const exit = await server.kill('SIGKILL')
  expect(exit.signal, `seed ${SEED}`).toBe('SIGKILL')
  await Promise.all(writers)
}

async function getJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
  const text = await res.text()
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${text.slice(0, 500)}`)
  return JSON.parse(text) as T
}

async function inBatches<T>(items: readonly T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each))
}

/** Every file below `dir`, as paths relative to it with '/' separators; none when `dir` does not exist. */
async function walk(dir: string): Promise<string[]> {
  const found: string[] = []
  const visit = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true }).catch((error: unknown) => {
      if ((error as { code?: string }).code === 'ENOENT') return []
      throw error
    })
    for (const entry of entries) {
      const full = join(current, entry.name)
      if (entry.isDirectory()) await visit(full)
      else found.push(relative(dir, full).split(sep).join('/'))
    }
  }
  await visit(dir)
  return found
}

async function allCommits(base: string): Promise<CommitRecord[]> {
  const commits: CommitRecord[] = []
  for (let cursor: string | null = ''; cursor !== null;) {
    const page: { commits: CommitRecord[]; nextCursor: string | null } =
      await getJson(`${base}/v1/commits?limit=1000${cursor === '' ? '' : `&cursor=${cursor}`}`)
    commits.push(...page.commits)
    cursor = page.nextCursor
  }
  return commits
}

/** Invariant 1: every acknowledged commit is committed, and each version returns exactly the bytes sent. */
async function checkAcknowledged(base: string, history: History): Promise<void> {
  await inBatches(history.acked, 8, async (ack) => {
    const logged = await getJson<CommitRecord & { transitions: { to: string }[] }>(`${base}/v1/commits/${ack.id}`)
    expect(logged.state, `commit ${ack.id} (seed ${SEED})`).toBe('committed')
    expect(logged.seq).toBe(ack.seq)
    expect(logged.transitions.map((t) => t.to)).toEqual(['pending', 'committed'])
    for (const artifact of ack.artifacts) {
      const url = `${base}/v1/sessions/${ack.sessionId}/artifacts/${artifact.name}?version=${artifact.version}`
      const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
      expect(res.status, url).toBe(200)
      const bytes = Buffer.from(await res.arrayBuffer())
      expect(bytes.equals(artifact.bytes), `${url} returned other bytes than were acknowledged (seed ${SEED})`).toBe(true)
    }
  })
}

/** The log as a whole: nothing pending or failed, only bytes a writer sent, versions 1..N in seq order. */
function checkLog(commits: CommitRecord[], history: History): void {
  expect(commits.filter((c) => c.state === 'pending' || c.state === 'failed'), `seed ${SEED}`).toEqual([])
  const lastVersion = new Map<string, number>()
  for (const commit of commits) {
    if (commit.state !== 'committed') {
      expect(commit.artifacts.every((a) => a.version === null), `aborted ${commit.id} has versions`).toBe(true)
      continue
    }
    for (const a of commit.artifacts) {
      const key = `${commit.sessionId}\0${a.name}`
      expect(history.sent.has(`${key}\0${a.sha256 ?? ''}`), `${commit.id} ${a.name}: bytes no writer sent`).toBe(true)
      expect(a.version, `${commit.id} ${a.name}: versions must grow by one`).toBe((lastVersion.get(key) ?? 0) + 1)
      lastVersion.set(key, a.version ?? 0)
    }
    const op = commit.metadata?.op
    if (op !== undefined) {
      // All or nothing: a committed POST holds exactly the artifacts its writer sent, even if never acknowledged.
      const sent = history.sentByOp.get(op) ?? []
      expect(commit.artifacts.map((a) => [a.name, a.sha256]), `commit ${op}`).toEqual(sent.map((s) => [s.name, s.sha256]))
    }
  }
}

/** Invariant 2: each plain file is the latest committed version, and no file exists for a name the log lacks. */
async function checkPlainView(base: string, dataDir: string, commits: CommitRecord[], history: History): Promise<void> {
  const sessionsDir = join(dataDir, 'sessions')
  const onDisk = await readdir(sessionsDir).catch(() => [] as string[])
  for (const sessionId of new Set([...onDisk, ...commits.map((c) => c.sessionId)])) {
    const listing = await getJson<{ artifacts: { name: string; version: number; sha256: string }[] }>(`${base}/v1/sessions/${sessionId}/artifacts`)
    const latest = new Map(listing.artifacts.map((a) => [a.name, a]))
    const files = await walk(join(sessionsDir, sessionId))
    expect(files.sort(), `plain files of ${sessionId} (seed ${SEED})`).toEqual([...latest.keys()].sort())
    for (const file of files) {
      const bytes = await readFile(join(sessionsDir, sessionId, ...file.split('/')))
      expect(sha256(bytes), `sessions/${sessionId}/${file} (seed ${SEED})`).toBe(latest.get(file)?.sha256)
    }
    for (const ack of history.acked.filter((a) => a.sessionId === sessionId)) {
      for (const artifact of ack.artifacts) {
        expect(latest.get(artifact.name)?.version ?? 0, `${sessionId}/${artifact.name}`).toBeGreaterThanOrEqual(artifact.version)
      }
    }
  }
}

/** Invariants 1–3 and a clean verify, against a freshly recovered server. */
async function checkInvariants(server: ServerProcess, history: History): Promise<void> {
  const base = server.baseUrl
  expect(history.problems, `seed ${SEED}`).toEqual([])
  await checkAcknowledged(base, history)
  const commits = await allCommits(base)
  checkLog(commits, history)
  await checkPlainView(base, server.dataDir, commits, history)
  const pending = await getJson<{ commits: unknown[] }>(`${base}/v1/commits?state=pending&limit=1000`)
  expect(pending.commits).toEqual([])
  expect((await walk(server.dataDir)).filter((p) => p.split('/').some((s) => s.startsWith('.tmp-'))), `temp files (seed ${SEED})`).toEqual([])
  const verify = await getJson<{ ok: boolean }>(`${base}/v1/verify`, { method: 'POST' })
  expect(verify, `POST /v1/verify (seed ${SEED})`).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
}

/** Starts the server and SIGKILLs it at its first answer to /health/ready: while it recovers, if it still is. */
async function killAtFirstAnswer(dataDir: string): Promise<ReadinessAnswer | undefined> {
  const server = await startServer({ dataDir, env: QUIET_ENV })
  try {
    const deadline = Date.now() + 10_000
    let answer: ReadinessAnswer | undefined
    while (answer === undefined && server.isRunning() && Date.now() < deadline) {
      answer = await server.readiness()
      if (answer === undefined) await sleep(1)
    }
    return answer
  } finally {
    await server.kill('SIGKILL')
  }
}

/**
 * Kills the server once at a random moment of start-up (loading, opening the log, listening), then at
 * its first readiness answers. Returns the phases those answers reported: 'recovering' means the kill
 * landed mid-recovery, after pending commits were aborted and before their files were settled.
 */
async function killDuringRecovery(dataDir: string): Promise<(string | undefined)[]> {
  const early = await startServer({ dataDir, env: QUIET_ENV })
  await sleep(between(5, 400))
  await early.kill('SIGKILL')
  const phases: (string | undefined)[] = []
  for (let attempt = 0; attempt < 2 && !phases.includes('recovering'); attempt++) {
    phases.push((await killAtFirstAnswer(dataDir))?.phase)
  }
  return phases
}

describe('kill -9 against the built server', () => {
  let dataDir: string
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'artifact-ledger-kill9-'))
  })
  afterAll(async () => {
    await killAllServers()
    await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps every acknowledged commit and a plain view equal to the log across kill -9 cycles, also during recovery', async () => {
    const history = new History()
    const recoveryPhases: (string | undefined)[] = []
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const server = await startServer({ dataDir, env: QUIET_ENV })
      try {
        await server.waitReady()
        if (cycle > 0) await checkInvariants(server, history)
        await writeThenKill(history, server, cycle, between(150, 1200))
      } finally {
        await server.kill('SIGKILL')
      }
      // Until one kill has landed mid-recovery; recovery is quick when a crash left little to undo.
      if (!recoveryPhases.includes('recovering')) recoveryPhases.push(...(await killDuringRecovery(dataDir)))
    }

    const final = await startServer({ dataDir, env: QUIET_ENV })
    try {
      await final.waitReady()
      await checkInvariants(final, history)
      expect(history.acked.length, `seed ${SEED}, ${history.unknownOutcomes} unknown outcomes`).toBeGreaterThan(CYCLES)
      expect(recoveryPhases, `a kill at a readiness answer of 'recovering' (seed ${SEED})`).toContain('recovering')
      const exit = await final.stop()
      expect(exit, 'a clean SIGTERM stop').toEqual({ code: 0, signal: null })
    } finally {
      await final.kill('SIGKILL')
    }
  }, 55_000)
})
