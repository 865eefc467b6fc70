// kill -9 in a loop: at random moments of the writes, in the middle of large streamed uploads and during
// recovery itself, with and without the canary; after each restart SPEC's invariants 1–3 hold.
//
// The loop's size comes from the environment, with CI defaults: CRASH_CYCLES (12), CRASH_WRITERS (4),
// CRASH_UPLOAD_MIB (4: the large uploads are 1–2× that), CRASH_SEED, and CRASH_RECHECK (100: acknowledged
// commits whose bytes are re-read at each restart besides the new ones; all of them are at the end).
// `npm run crash-loop` runs the long version.
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import canonicalizeModule from 'canonicalize'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { killAllServers, startServer, type ReadinessAnswer, type ServerProcess } from '../support/server-process.js'
import { walk } from '../support/walk.js'
import { envInt } from '../support/env-int.js'

// canonicalize is CommonJS with an ESM-style d.ts: its default import is the function itself.
const canonicalize = canonicalizeModule as unknown as (input: unknown) => string


const CYCLES = envInt('CRASH_CYCLES', 12, 1, 100_000)
const WRITERS = envInt('CRASH_WRITERS', 4, 1, 64)
const UPLOAD_BYTES = envInt('CRASH_UPLOAD_MIB', 4, 1, 1024) * 1024 * 1024
const RECHECK = envInt('CRASH_RECHECK', 100, 0, 1_000_000)
const CANARY_SESSION = 'artifact-ledger.canary'
const SESSIONS = ['run-alpha', 'run-beta', 'run-gamma']
// No name is a folder of another, so every commit is valid; most names are reused so versions grow.
const JSON_NAMES = ['quality_metrics.json', 'session_summary.json', 'metrics/loss.json']
const TEXT_NAMES = ['manuscript/draft.md', 'notes/feedback.txt']
const BINARY_NAMES = ['bin/weights.bin']
const UPLOAD_NAMES = ['uploads/big-0.bin', 'uploads/big-1.bin']
const LARGE_UPLOAD_NAMES = ['checkpoints/model-0.bin', 'checkpoints/model-1.bin']
/** Sent by several writers to several sessions: one object shared by commits that may crash. */
const SHARED_TEXT = 'shared feedback: the same bytes in many sessions\n'
const REQUEST_TIMEOUT_MS = 30_000
/**
 * The checks run against a quiet server: no canary commits or background scrub, whose writes would race
 * the exact plain-view and verify checks. Writes run with the canary on in some cycles.
 */
const QUIET_ENV = { CANARY_INTERVAL_MS: '0', SCRUB_INTERVAL_MS: '0' }

interface Sent {
  name: string
  sha256: string
  size: number
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
  kind: string
  state: string
  metadata: { op?: string } | null
  artifacts: { name: string; version: number | null; sha256: string | null }[]
}

/** Everything the writers know: acknowledged commits, every digest ever sent, and what went wrong. */
class History {
  readonly acked: Acked[] = []
  /** How many of `acked` the last restart has re-read byte for byte. */
  checkedUpTo = 0
  /** `${sid}\0${name}\0${sha256}` of every artifact ever sent, acknowledged or not. */
  readonly sent = new Set<string>()
  /** The artifacts of each tagged POST, by its metadata.op. */
  readonly sentByOp = new Map<string, Sent[]>()
  readonly problems: string[] = []
  /** Acknowledged commits found not committed, or not returning their bytes, after a restart. */
  readonly lost: string[] = []
  attempted = 0
  unknownOutcomes = 0
}

/** What the loop did, for the summary line. */
interface Tally {
  killsDuringWrites: number
  /** Kills that landed while a large upload's body was still being sent, and the fraction sent. */
  killsMidUpload: number[]
  uploadKillsMissed: number
  recoveryKills: number
  recoveryPhases: (string | undefined)[]
  canaryCycles: number
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

function sent(name: string, bytes: Uint8Array): Sent {
  return { name, sha256: sha256(bytes), size: bytes.byteLength }
}

function jsonArtifact(name: string, op: string): { input: Record<string, unknown>; sent: Sent } {
  const value = { op, score: between(0, 1000), tags: ['crash', 'kill-9', op], note: 'ünïcödé ✓', nested: { b: [1, 2, 3], a: null } }
  const bytes = Buffer.from(canonicalize(value), 'utf8')
  return { input: { name, json: value, sha256: sha256(bytes) }, sent: sent(name, bytes) }
}

function textArtifact(name: string, op: string): { input: Record<string, unknown>; sent: Sent } {
  const text = random() < 0.3 ? SHARED_TEXT : `${op}: ${'réécriture ✍ '.repeat(between(1, 400))}\n`
  const bytes = Buffer.from(text, 'utf8')
  return { input: { name, text, sha256: sha256(bytes) }, sent: sent(name, bytes) }
}

function binaryArtifact(name: string): { input: Record<string, unknown>; sent: Sent } {
  const bytes = randomBytes(between(1, 8192))
  return { input: { name, base64: bytes.toString('base64') }, sent: sent(name, bytes) }
}

function recordAck(history: History, sessionId: string, sentArtifacts: Sent[], record: CommitRecord): void {
  const artifacts = sentArtifacts.map((s, i) => ({ ...s, version: record.artifacts[i]?.version ?? -1 }))
  const agrees = record.state === 'committed' && record.sessionId === sessionId && record.artifacts.length === sentArtifacts.length &&
    record.artifacts.every((a, i) => a.name === sentArtifacts[i]?.name && a.sha256 === sentArtifacts[i]?.sha256 && typeof a.version === 'number')
  if (!agrees) history.problems.push(`2xx record disagrees with the request: ${JSON.stringify(record)}`)
  else history.acked.push({ id: record.id, seq: record.seq, sessionId, artifacts })
}

/** Sends one request; a connection error is an unknown outcome, any answer but 201 a problem. */
async function send(history: History, url: string, init: RequestInit, onCreated: (record: CommitRecord) => void): Promise<void> {
  history.attempted++
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
  const sentArtifacts = parts.map((p) => p.sent)
  for (const s of sentArtifacts) history.sent.add(`${sessionId}\0${s.name}\0${s.sha256}`)
  history.sentByOp.set(op, sentArtifacts)
  await send(history, `${base}/v1/sessions/${sessionId}/commits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ artifacts: parts.map((p) => p.input), message: `writer op ${op}`, metadata: { op } }),
  }, (record) => recordAck(history, sessionId, sentArtifacts, record))
}

/**
 * A streamed PUT in 64 KiB chunks with a pause after each, so a kill can land mid-body. `progress`
 * hears how many bytes have been handed to the connection so far.
 */
async function putUpload(history: History, base: string, name: string, size: number, progress?: (sentBytes: number, total: number) => void): Promise<void> {
  const sessionId = pick(SESSIONS)
  const bytes = randomBytes(size)
  const upload = sent(name, bytes)
  history.sent.add(`${sessionId}\0${name}\0${upload.sha256}`)
  let offset = 0
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close()
        return
      }
      await sleep(1)
      controller.enqueue(bytes.subarray(offset, offset + 64 * 1024))
      offset = Math.min(offset + 64 * 1024, bytes.byteLength)
      progress?.(offset, bytes.byteLength)
    },
  })
  const digest = `sha-256=:${createHash('sha256').update(bytes).digest('base64')}:`
  await send(history, `${base}/v1/sessions/${sessionId}/artifacts/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-digest': digest },
    body,
    duplex: 'half',
  }, (record) => recordAck(history, sessionId, [upload], record))
}

async function writerLoop(history: History, base: string, writer: number, cycle: number, crashed: () => boolean): Promise<void> {
  for (let n = 0; !crashed(); n++) {
    const op = `c${cycle}-w${writer}-${n}`
    if (random() < 0.3) await putUpload(history, base, pick(UPLOAD_NAMES), between(100, 400) * 1024)
    else await postCommit(history, base, op, `logs/${op}.log`)
  }
}

type KillPoint = 'writes' | 'mid-upload'

interface CyclePlan {
  killPoint: KillPoint
  /** Kill the next start-ups too, at a random moment and at their first readiness answers. */
  killDuringRecovery: boolean
  env: Record<string, string>
}

/** Kill points and the canary rotate, so even a short run meets each of them; the timings are random. */
function planCycle(cycle: number): CyclePlan {
  const canary = cycle % 2 === 1
  return {
    killPoint: cycle % 3 === 1 ? 'mid-upload' : 'writes',
    killDuringRecovery: cycle % 3 === 2,
    // The canary commits every few ms, and prunes its history, while the writers run and the kill lands.
    env: canary ? { CANARY_INTERVAL_MS: String(between(5, 50)), SCRUB_INTERVAL_MS: '0' } : QUIET_ENV,
  }
}

/**
 * Runs the writers against `server` and SIGKILLs it at the plan's kill point: after a random delay, or
 * once a large upload has sent a random share of its body. Resolves once every writer has stopped.
 */
async function writeThenKill(history: History, server: ServerProcess, cycle: number, plan: CyclePlan, tally: Tally): Promise<void> {
  let crashed = false
  const writers = Array.from({ length: WRITERS }, (_, w) => writerLoop(history, server.baseUrl, w, cycle, () => crashed))
  if (plan.killPoint === 'writes') {
    await sleep(between(150, 1200))
    tally.killsDuringWrites++
  } else {
    // The large upload starts once the writers are busy; the kill comes at 5–95% of its body.
    await sleep(between(20, 300))
    const killAt = 0.05 + random() * 0.9
    let share = 0
    let reached: () => void = () => undefined
    const midBody = new Promise<void>((resolve) => {
      reached = resolve
    })
    const size = between(UPLOAD_BYTES, 2 * UPLOAD_BYTES)
    writers.push(putUpload(history, server.baseUrl, pick(LARGE_UPLOAD_NAMES), size, (sentBytes, total) => {
      share = sentBytes / total
      if (share >= killAt && sentBytes < total) reached()
    }))
    const outcome = await Promise.race([midBody.then(() => 'mid-body' as const), sleep(15_000, 'timeout' as const)])
    if (outcome === 'mid-body') tally.killsMidUpload.push(share)
    else tally.uploadKillsMissed++
  }
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

/** The transaction log, oldest first; the canary's commits only when asked for by `session`. */
async function allCommits(base: string, session?: string): Promise<CommitRecord[]> {
  const commits: CommitRecord[] = []
  const filter = session === undefined ? '' : `&session=${session}`
  for (let cursor: string | null = ''; cursor !== null;) {
    const page: { commits: CommitRecord[]; nextCursor: string | null } =
      await getJson(`${base}/v1/commits?limit=1000${filter}${cursor === '' ? '' : `&cursor=${cursor}`}`)
    commits.push(...page.commits)
    cursor = page.nextCursor
  }
  return commits
}

/** The acknowledged commits to re-read byte for byte now: the new ones, a random sample of the rest, or all. */
function toReread(history: History, all: boolean): Acked[] {
  if (all) return history.acked
  const older = history.acked.slice(0, history.checkedUpTo)
  const sample = older.length <= RECHECK ? older : Array.from({ length: RECHECK }, () => pick(older))
  return [...new Set([...sample, ...history.acked.slice(history.checkedUpTo)])]
}

/**
 * Invariant 1: every acknowledged commit is committed in the log with the same seq and versions, and the
 * re-read ones return exactly the acknowledged bytes. Violations are collected in `history.lost`.
 */
async function checkAcknowledged(base: string, history: History, commits: CommitRecord[], all: boolean): Promise<void> {
  const bySeq = new Map(commits.map((c) => [c.seq, c]))
  for (const ack of history.acked) {
    const logged = bySeq.get(ack.seq)
    const agrees = logged?.id === ack.id && logged.state === 'committed' &&
      ack.artifacts.every((a, i) => logged.artifacts[i]?.name === a.name && logged.artifacts[i]?.sha256 === a.sha256 && logged.artifacts[i]?.version === a.version)
    if (!agrees) history.lost.push(`commit ${ack.id} (seq ${ack.seq}) is ${JSON.stringify(logged ?? 'missing from the log')}`)
  }
  await inBatches(toReread(history, all), 8, async (ack) => {
    const logged = await getJson<{ transitions: { to: string }[] }>(`${base}/v1/commits/${ack.id}`)
    const path = logged.transitions.map((t) => t.to).join('→')
    if (path !== 'pending→committed') history.lost.push(`commit ${ack.id} went ${path}`)
    for (const artifact of ack.artifacts) {
      const url = `${base}/v1/sessions/${ack.sessionId}/artifacts/${artifact.name}?version=${artifact.version}`
      const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
      const bytes = Buffer.from(await res.arrayBuffer())
      if (res.status !== 200 || bytes.byteLength !== artifact.size || sha256(bytes) !== artifact.sha256) {
        history.lost.push(`${url} answered ${res.status} with ${bytes.byteLength} bytes hashing to ${sha256(bytes)}, acknowledged ${artifact.size} bytes ${artifact.sha256}`)
      }
    }
  })
  history.checkedUpTo = history.acked.length
}

/** The log as a whole: nothing pending or failed, only bytes a writer sent, versions 1..N in seq order. */
function checkLog(commits: CommitRecord[], history: History): void {
  expect(commits.filter((c) => c.state === 'pending' || c.state === 'failed'), `seed ${SEED}`).toEqual([])
  const lastVersion = new Map<string, number>()
  for (const commit of commits) {
    expect(commit.sessionId, 'the canary is listed only when asked for').not.toBe(CANARY_SESSION)
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
      const sentArtifacts = history.sentByOp.get(op) ?? []
      expect(commit.artifacts.map((a) => [a.name, a.sha256]), `commit ${op}`).toEqual(sentArtifacts.map((s) => [s.name, s.sha256]))
    }
  }
}

/** The canary's own commits (its older versions expired by retention): none left pending, each the one canary.json. */
function checkCanaryLog(commits: CommitRecord[]): void {
  expect(commits.filter((c) => c.state === 'pending' || c.state === 'failed'), `canary commits (seed ${SEED})`).toEqual([])
  for (const commit of commits.filter((c) => c.state === 'committed' && c.kind === 'artifacts')) {
    expect(commit.artifacts.map((a) => a.name), `canary commit ${commit.id}`).toEqual(['canary.json'])
  }
}

/**
 * Invariant 2: each plain file is the latest committed version, and no file exists for a name the log
 * lacks, in every session folder on disk (the canary's included).
 */
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

/** Invariants 1–3 and a clean verify, against a freshly recovered quiet server. */
async function checkInvariants(server: ServerProcess, history: History, all: boolean): Promise<void> {
  const base = server.baseUrl
  expect(history.problems, `seed ${SEED}`).toEqual([])
  const commits = await allCommits(base)
  await checkAcknowledged(base, history, commits, all)
  if (history.lost.length > 0) return
  checkLog(commits, history)
  checkCanaryLog(await allCommits(base, CANARY_SESSION))
  await checkPlainView(base, server.dataDir, commits, history)
  const pending = await getJson<{ commits: unknown[] }>(`${base}/v1/commits?state=pending&limit=1000`)
  expect(pending.commits).toEqual([])
  expect((await walk(server.dataDir)).filter((p) => p.split('/').some((s) => s.startsWith('.tmp-'))), `temp files (seed ${SEED})`).toEqual([])
  const verify = await getJson<{ ok: boolean }>(`${base}/v1/verify`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ repair: false }),
  })
  expect(verify, `POST /v1/verify (seed ${SEED})`).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [], repaired: [] })
}

/** Starts the server and SIGKILLs it at its first answer to /health/ready: while it recovers, if it still is. */
async function killAtFirstAnswer(dataDir: string, env: Record<string, string>): Promise<ReadinessAnswer | undefined> {
  const server = await startServer({ dataDir, env })
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
async function killDuringRecovery(dataDir: string, env: Record<string, string>, tally: Tally): Promise<void> {
  const early = await startServer({ dataDir, env })
  await sleep(between(5, 400))
  await early.kill('SIGKILL')
  tally.recoveryKills++
  // Once at the first readiness answer, and once more until one answer has said 'recovering'.
  for (let attempt = 0; attempt < 2 && (attempt === 0 || !tally.recoveryPhases.includes('recovering')); attempt++) {
    tally.recoveryPhases.push((await killAtFirstAnswer(dataDir, env))?.phase)
    tally.recoveryKills++
  }
}

function summary(history: History, tally: Tally, cycles: number, startedAt: number): string {
  const shares = tally.killsMidUpload.map((s) => Math.round(s * 100))
  const [low, high] = [Math.min(...shares), Math.max(...shares)]
  const range = shares.length === 0 ? '-' : low === high ? `${low}%` : `${low}–${high}%`
  return `crash loop (seed ${SEED}): ${cycles} cycles, ${history.attempted} commits attempted, ${history.acked.length} acknowledged, ` +
    `${history.lost.length} lost, ${history.unknownOutcomes} unanswered at a kill; kills: ${tally.killsDuringWrites} during writes, ` +
    `${tally.killsMidUpload.length} mid-upload (at ${range} of the body${tally.uploadKillsMissed > 0 ? `, ${tally.uploadKillsMissed} missed` : ''}), ` +
    `${tally.recoveryKills} during start-up/recovery (${tally.recoveryPhases.filter((p) => p === 'recovering').length} while 'recovering'); ` +
    `canary on in ${tally.canaryCycles} cycles; ${Math.round((Date.now() - startedAt) / 1000)} s`
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

  it('keeps every acknowledged commit and a plain view equal to the log across kill -9 cycles, mid-upload and during recovery', async () => {
    const startedAt = Date.now()
    const history = new History()
    const tally: Tally = { killsDuringWrites: 0, killsMidUpload: [], uploadKillsMissed: 0, recoveryKills: 0, recoveryPhases: [], canaryCycles: 0 }
    let cycles = 0
    // A ready quiet server whose checks passed, reused for the next cycle's writes when that one is quiet.
    let quiet: ServerProcess | undefined
    try {
      for (; cycles < CYCLES && history.lost.length === 0; cycles++) {
        const plan = planCycle(cycles)
        let server = quiet
        if (server === undefined || plan.env !== QUIET_ENV) {
          await quiet?.kill('SIGKILL')
          if (plan.env !== QUIET_ENV) tally.canaryCycles++
          server = await startServer({ dataDir, env: plan.env })
          await server.waitReady()
        }
        quiet = undefined
        await writeThenKill(history, server, cycles, plan, tally)
        // Until one kill has landed mid-recovery; recovery is quick when a crash left little to undo.
        if (plan.killDuringRecovery || !tally.recoveryPhases.includes('recovering')) await killDuringRecovery(dataDir, plan.env, tally)
        quiet = await startServer({ dataDir, env: QUIET_ENV })
        await quiet.waitReady()
        await checkInvariants(quiet, history, false)
      }
      const final = quiet ?? await startServer({ dataDir, env: QUIET_ENV })
      await final.waitReady()
      // The last restart re-reads every acknowledged commit, unless some are already known lost.
      if (history.lost.length === 0) await checkInvariants(final, history, true)
      console.log(summary(history, tally, cycles, startedAt))
      expect(history.lost, `acknowledged commits lost (seed ${SEED})`).toEqual([])
      expect(history.acked.length, `seed ${SEED}, ${history.unknownOutcomes} unknown outcomes`).toBeGreaterThan(CYCLES)
      expect(tally.recoveryPhases, `a kill at a readiness answer of 'recovering' (seed ${SEED})`).toContain('recovering')
      if (CYCLES >= 2) expect(tally.killsMidUpload.length, `a kill in the middle of a large upload (seed ${SEED})`).toBeGreaterThan(0)
      const exit = await final.stop()
      expect(exit, 'a clean SIGTERM stop').toEqual({ code: 0, signal: null })
    } catch (error) {
      console.log(`${summary(history, tally, cycles, startedAt)} — FAILED`)
      throw error
    } finally {
      await killAllServers()
    }
  }, 60_000 + CYCLES * 12_000)
})
