// The built `artifact-ledger` command as a child process against a listening ledger: what it prints,
// its exit codes, and what the ledger holds afterwards (asked over plain HTTP, not through the client).
import { execFile, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CommitRecord, SessionRecord } from '../../src/client/index.js'
import { freePort } from '../support/server-process.js'
import { BIN_JS, runCli, type CliRun } from './cli-process.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')

let t: ListeningLedger
let work: string
beforeEach(async () => {
  t = await startListeningLedger()
  work = await mkdtemp(join(tmpdir(), 'artifact-ledger-cli-'))
})
afterEach(async () => {
  await t.cleanup()
  await rm(work, { recursive: true, force: true })
})

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { url: t.url, cwd: work })
}

async function getJson<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${t.url}${path}`)
  return { status: res.status, body: (await res.json()) as T }
}

async function commitsOf(sessionId: string): Promise<CommitRecord[]> {
  const { status, body } = await getJson<{ commits: CommitRecord[] }>(`/v1/commits?session=${sessionId}&kind=artifacts`)
  expect(status).toBe(200)
  return body.commits
}

/** Exit code and output together, so a failing assertion shows what the command said. */
function outcome(run: CliRun): { code: number | null; stdout: string; stderr: string } {
  return { code: run.code, stdout: run.stdout.toString('utf8'), stderr: run.stderr }
}

describe('artifact-ledger push (the acceptance scenario)', () => {
  it('commits both files once, reports the session incomplete with exit 3, and completes once feedback arrives', async () => {
    // Not canonical JSON on purpose: push stores the file's exact bytes.
    const metrics = Buffer.from('{ "score": 0.93,\n  "tokens": 18234 }\n')
    const summary = Buffer.from('{"summary": "all good", "ünïcödé": true}')
    await writeFile(join(work, 'quality_metrics.json'), metrics)
    await writeFile(join(work, 'session_summary.json'), summary)

    const pushed = await cli('push', 's1', 'quality_metrics.json', 'session_summary.json', '--expect', 'feedback.txt', '--complete')

    const log = await commitsOf('s1')
    expect(log).toHaveLength(1)
    const commit = log[0] as CommitRecord
    expect(outcome(pushed)).toMatchObject({ code: 3, stderr: '' })
    const stdout = pushed.stdout.toString('utf8')
    expect(stdout.match(/^commit /gm)).toHaveLength(1)
    expect(stdout).toContain(`commit ${commit.id} (seq ${commit.seq}) committed in s1`)
    expect(stdout).toMatch(/session s1: incomplete; missing: feedback\.txt/)
    expect(commit.state).toBe('committed')
    expect(commit.artifacts.map((a) => a.name).sort()).toEqual(['quality_metrics.json', 'session_summary.json'])
    const session = await getJson<SessionRecord>('/v1/sessions/s1')
    expect(session.body).toMatchObject({ state: 'incomplete', missing: ['feedback.txt'] })
    expect(await readFile(join(t.dataDir, 'sessions/s1/quality_metrics.json'))).toEqual(metrics)
    expect(await readFile(join(t.dataDir, 'sessions/s1/session_summary.json'))).toEqual(summary)

    await writeFile(join(work, 'feedback.txt'), 'looks right\n')
    expect(outcome(await cli('push', 's1', 'feedback.txt'))).toMatchObject({ code: 0 })
    const completed = await cli('complete', 's1')

    expect(outcome(completed)).toMatchObject({ code: 0, stdout: 'session s1: complete\n' })
    expect((await getJson<SessionRecord>('/v1/sessions/s1')).body).toMatchObject({ state: 'complete', missing: [] })
    expect(await readFile(join(t.dataDir, 'sessions/s1/feedback.txt'), 'utf8')).toBe('looks right\n')
    expect((await commitsOf('s1')).map((c) => c.state)).toEqual(['committed', 'committed'])
  })
})

describe('artifact-ledger push --expect from writers running side by side', () => {
  it('keeps every expected name when 64 pushes declare theirs at once', async () => {
    const writers = Array.from({ length: 64 }, (_, i) => i)
    for (const i of writers) await writeFile(join(work, `out-${i}.txt`), `output ${i}\n`)
    // Each writer declares the output of the next one too: expectations from different processes overlap.
    const runs = await Promise.all(writers.map((i) => runCli(
      ['push', 'shared', `out-${i}.txt`, '--expect', `out-${i}.txt`, `out-${(i + 1) % 64}.txt`], { url: t.url, cwd: work, timeoutMs: 120_000 },
    )))
    expect(runs.map((run) => run.code)).toEqual(writers.map(() => 0))
    const session = await getJson<SessionRecord>('/v1/sessions/shared')
    expect([...session.body.expectedArtifacts].sort()).toEqual(writers.map((i) => `out-${i}.txt`).sort())
    expect(session.body.missing).toEqual([])
  }, 180_000)

  it('reports a writer failure with complete --error, and the session is failed with exit 3', async () => {
    const run = await cli('complete', 'broken', '--error', 'CUDA out of memory', '--error-type', 'RuntimeError')
    expect(outcome(run)).toMatchObject({ code: 3, stdout: 'session broken: failed; RuntimeError: CUDA out of memory\n' })
    expect((await getJson<SessionRecord>('/v1/sessions/broken')).body).toMatchObject({ state: 'failed', error: { type: 'RuntimeError', message: 'CUDA out of memory' } })
  })
})

describe('artifact-ledger commands', () => {
  it('deletes an artifact and a session with rm, exit 3 when it was already deleted', async () => {
    await writeFile(join(work, 'a.txt'), 'one')
    await writeFile(join(work, 'b.txt'), 'two')
    expect((await cli('push', 'doomed', 'a.txt', 'b.txt')).code).toBe(0)
    expect(outcome(await cli('rm', 'doomed', 'a.txt'))).toMatchObject({ code: 0, stdout: expect.stringMatching(/^deleted doomed\/a\.txt: 1 versions, log entry seq \d+\n$/) })
    expect((await getJson('/v1/sessions/doomed/artifacts/a.txt')).status).toBe(410)
    expect(outcome(await cli('rm', 'doomed', 'a.txt'))).toMatchObject({ code: 3, stderr: expect.stringContaining('doomed/a.txt was already deleted') })
    expect(outcome(await cli('rm', 'doomed'))).toMatchObject({ code: 0, stdout: expect.stringContaining('deleted session doomed: 1 versions') })
    expect((await getJson<SessionRecord>('/v1/sessions/doomed')).body).toMatchObject({ state: 'deleted' })
  })

  it('prints push as JSON with --json, and reads the bytes back to stdout and to a file', async () => {
    const blob = randomBytes(1024 * 1024)
    await writeFile(join(work, 'weights.bin'), blob)

    const pushed = await cli('push', 's1', 'weights.bin', '--json')

    expect(outcome(pushed)).toMatchObject({ code: 0 })
    const result = JSON.parse(pushed.stdout.toString('utf8'))
    expect(result.commits).toHaveLength(1)
    expect(result.commits[0].artifacts[0]).toMatchObject({ name: 'weights.bin', sha256: sha256(blob), size: blob.byteLength })
    expect(result.session).toMatchObject({ id: 's1', state: 'open' })

    const toStdout = await cli('get', 's1', 'weights.bin')
    expect(toStdout.code).toBe(0)
    expect(sha256(toStdout.stdout)).toBe(sha256(blob))

    const toFile = await cli('get', 's1', 'weights.bin', '-o', 'copy.bin')
    expect(outcome(toFile)).toMatchObject({ code: 0, stdout: '' })
    expect(sha256(await readFile(join(work, 'copy.bin')))).toBe(sha256(blob))
  })

  it('lists, logs, reports status and verifies with exit 0, as tables and as JSON', async () => {
    await writeFile(join(work, 'a.txt'), 'alpha\n')
    expect((await cli('push', 's1', 'a.txt')).code).toBe(0)
    const commit = (await commitsOf('s1'))[0] as CommitRecord

    const ls = await cli('ls', 's1')
    expect(outcome(ls)).toMatchObject({ code: 0 })
    expect(ls.stdout.toString()).toMatch(/^a\.txt\s+1\s/m)
    const log = await cli('log', 's1')
    expect(outcome(log)).toMatchObject({ code: 0 })
    expect(log.stdout.toString()).toContain(commit.id)
    expect(outcome(await cli('status'))).toMatchObject({ code: 0 })
    expect(outcome(await cli('verify'))).toMatchObject({ code: 0 })

    const lsJson = await cli('ls', 's1', '--json')
    expect(JSON.parse(lsJson.stdout.toString()).artifacts.map((a: { name: string }) => a.name)).toEqual(['a.txt'])
    const logJson = await cli('log', 's1', '--json')
    expect(JSON.parse(logJson.stdout.toString()).commits.map((c: { id: string }) => c.id)).toEqual([commit.id])
    const statusJson = await cli('status', '--json')
    expect(JSON.parse(statusJson.stdout.toString()).commits.committed).toBe(1)
    const verifyJson = await cli('verify', '--json')
    expect(JSON.parse(verifyJson.stdout.toString())).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
    expect([lsJson.code, logJson.code, statusJson.code, verifyJson.code]).toEqual([0, 0, 0, 0])
  })

  it('exits 3 from verify when a plain file no longer matches its object', async () => {
    await writeFile(join(work, 'a.txt'), 'alpha\n')
    expect((await cli('push', 's1', 'a.txt')).code).toBe(0)
    await writeFile(join(t.dataDir, 'sessions/s1/a.txt'), 'tampered\n')

    const run = await cli('verify', '--no-repair')

    expect(outcome(run)).toMatchObject({ code: 3, stdout: expect.stringContaining('PROBLEMS FOUND') })
    expect(run.stdout.toString()).toMatch(/corrupt\s+\S*sessions\/s1\/a\.txt/)
  })

  it('exits 2 and commits nothing when --name-as does not give one name per file', async () => {
    await writeFile(join(work, 'a.txt'), 'a')
    await writeFile(join(work, 'b.txt'), 'b')

    const run = await cli('push', 's1', 'a.txt', 'b.txt', '--name-as', 'x.txt', '--expect', 'x.txt')

    expect(outcome(run)).toMatchObject({ code: 2, stdout: '' })
    expect(run.stderr).toContain('--name-as')
    expect(await commitsOf('s1')).toEqual([])
    expect((await getJson<SessionRecord>('/v1/sessions/s1')).status).toBe(404)
  })

  it('exits 2 and commits nothing when a .json file does not parse', async () => {
    await writeFile(join(work, 'good.json'), '{"ok": true}')
    await writeFile(join(work, 'quality_metrics.json'), '{"score": 0.9')

    const run = await cli('push', 's1', 'good.json', 'quality_metrics.json')

    expect(outcome(run)).toMatchObject({ code: 2, stdout: '' })
    expect(run.stderr).toContain('quality_metrics.json is not valid JSON')
    expect(await commitsOf('s1')).toEqual([])
  })

  it('exits 1 with the status and code on stderr for a missing artifact', async () => {
    await writeFile(join(work, 'a.txt'), 'a')
    expect((await cli('push', 's1', 'a.txt')).code).toBe(0)

    const run = await cli('get', 's1', 'absent.txt')

    expect(outcome(run)).toMatchObject({ code: 1, stdout: '' })
    expect(run.stderr).toMatch(/404 artifact_not_found/)
  })

  it('exits 4 when the service cannot be reached in the attempts allowed', async () => {
    const run = await runCli(['status', '--attempts', '2'], { url: `http://127.0.0.1:${await freePort()}`, cwd: work })

    expect(outcome(run)).toMatchObject({ code: 4, stdout: '' })
    expect(run.stderr).toContain('attempt 1/2 failed (ECONNREFUSED)')
    expect(run.stderr).toContain('unreachable after 2 attempts')
  })
})

describe('the installed command', () => {
  it('is what `npx artifact-ledger` runs from the project: the bin in package.json, built', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> }
    expect(pkg.bin).toEqual({ 'artifact-ledger': 'dist/cli/bin.js' })
    const run = (args: string[]): Promise<string> => new Promise((resolve, reject) => {
      execFile('npm', ['exec', '--offline', '--', 'artifact-ledger', ...args], { cwd: root, timeout: 30_000 }, (error, stdout) => {
        if (error === null) resolve(stdout)
        else reject(new Error(`npm exec artifact-ledger ${args.join(' ')} failed: ${error.message}`))
      })
    })
    expect((await run(['--version'])).trim()).toBe(pkg.version)
    const help = await run(['--help'])
    for (const command of ['serve', 'push', 'get', 'ls', 'log', 'status', 'verify', 'complete']) expect(help).toContain(command)
  })
})

describe('artifact-ledger serve', () => {
  it('serves the ledger like npm start, answers a push, and stops cleanly on SIGTERM', async () => {
    const port = await freePort()
    const dataDir = join(work, 'served-data')
    const child = spawn(process.execPath, [BIN_JS, 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', DISK_HARD_RESERVE_BYTES: '0', DISK_SOFT_RESERVE_BYTES: '0' },
    })
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)))
    try {
      const url = `http://127.0.0.1:${port}`
      let ready = 0
      for (let i = 0; i < 100 && ready !== 200; i++) {
        ready = await fetch(`${url}/health/ready`).then((res) => res.status, () => 0)
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
      }
      expect(ready).toBe(200)
      await writeFile(join(work, 'served.txt'), 'served by the CLI\n')
      const pushed = await runCli(['push', 's-served', join(work, 'served.txt')], { url, cwd: work })
      expect(pushed.code, pushed.stderr).toBe(0)
      expect(await readFile(join(dataDir, 'sessions', 's-served', 'served.txt'), 'utf8')).toBe('served by the CLI\n')
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})
