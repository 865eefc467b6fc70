import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { parseExposition, sampleOf, type Samples } from '../support/exposition.js'
import { sha256 } from '../support/factories.js'
import { promtool, skipWithoutPromtool } from '../support/promtool.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

const started: TestLedger[] = []
async function start(): Promise<TestLedger> {
  const t = await startLedger()
  started.push(t)
  return t
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.cleanup()))
})

async function scrape(t: TestLedger): Promise<Samples> {
  const res = await t.app.inject('/metrics')
  expect(res.statusCode).toBe(200)
  return parseExposition(res.body)
}

function commitText(t: TestLedger, sid: string, name: string, text: string, extra: Record<string, unknown> = {}) {
  return t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts: [{ name, text, ...extra }] } })
}

describe('GET /metrics', () => {
  it('answers Prometheus text with the default process metrics and every known series at 0 before any event', async () => {
    const t = await start()
    const res = await t.app.inject('/metrics')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    const samples = parseExposition(res.body)
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(samples.has(name), name).toBe(true)
    }
    for (const outcome of ['committed', 'failed', 'aborted']) expect(sampleOf(samples, `artifact_ledger_commits_total{outcome="${outcome}"}`)).toBe(0)
    for (const kind of ['read_back_mismatch', 'object_corrupt', 'object_missing', 'plain_mismatch', 'plain_missing']) {
      expect(sampleOf(samples, `artifact_ledger_integrity_problems_total{kind="${kind}"}`)).toBe(0)
    }
    expect(sampleOf(samples, 'artifact_ledger_commit_duration_seconds_count')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_ready')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_unrecovered_storage_fault')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_disk_free_bytes')).toBeGreaterThan(0)
    expect(sampleOf(samples, 'artifact_ledger_disk_total_bytes')).toBeGreaterThanOrEqual(sampleOf(samples, 'artifact_ledger_disk_free_bytes'))
    // Never run yet: unknown (NaN), not failed (0), so a fresh service raises no canary or scrub alert.
    expect(sampleOf(samples, 'artifact_ledger_canary_success')).toBeNaN()
    expect(sampleOf(samples, 'artifact_ledger_canary_last_run_timestamp_seconds')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_scrub_success')).toBeNaN()
    expect(sampleOf(samples, 'artifact_ledger_scrub_findings{kind="corrupt"}')).toBe(0)
  })

  it('counts committed and failed commits by outcome and code, the bytes written, and commit latency', async () => {
    const t = await start()
    expect((await commitText(t, 's1', 'quality_metrics.json', 'hello')).statusCode).toBe(201)
    const failed = await commitText(t, 's1', 'session_summary.json', 'x', { sha256: sha256('y') })
    expect(failed.json()).toMatchObject({ code: 'digest_mismatch' })
    const unknownField = await t.app.inject({ method: 'POST', url: '/v1/sessions/s1/commits', payload: { artifacts: [{ name: 'a', text: 'a', sha: 'x' }] } })
    expect(unknownField.statusCode).toBe(400)

    const samples = await scrape(t)
    expect(sampleOf(samples, 'artifact_ledger_commits_total{outcome="committed"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_commits_total{outcome="failed"}')).toBe(2)
    expect(sampleOf(samples, 'artifact_ledger_commits_total{outcome="aborted"}')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_commit_failures_total{code="digest_mismatch"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_commit_failures_total{code="validation_failed"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_written_bytes_total')).toBe(5)
    // One sample, from the committed commit only: failures do not skew the latency.
    expect(sampleOf(samples, 'artifact_ledger_commit_duration_seconds_count')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_commit_duration_seconds_bucket{le="+Inf"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_commit_duration_seconds_sum')).toBeGreaterThan(0)
    expect(sampleOf(samples, 'artifact_ledger_stored_objects')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_stored_object_bytes')).toBe(5)
    // The same numbers the log holds, as /v1/status reports them.
    expect((await t.app.inject('/v1/status')).json().commits).toMatchObject({ committed: 1, failed: 2 })
  })

  it('reports a session completed without one of its three expected artifacts as incomplete', async () => {
    const t = await start()
    const declared = await t.app.inject({
      method: 'PUT', url: '/v1/sessions/run-7',
      payload: { expectedArtifacts: ['quality_metrics.json', 'session_summary.json', 'feedback.txt'] },
    })
    expect(declared.statusCode).toBe(201)
    await commitText(t, 'run-7', 'quality_metrics.json', '{}')
    await commitText(t, 'run-7', 'session_summary.json', '{}')
    await commitText(t, 'run-8', 'notes.txt', 'an open session')
    expect((await scrape(t)).get('artifact_ledger_incomplete_sessions')).toBe(0)

    const closed = await t.app.inject({ method: 'POST', url: '/v1/sessions/run-7/complete' })
    expect(closed.json()).toMatchObject({ state: 'incomplete', missing: ['feedback.txt'] })

    const samples = await scrape(t)
    expect(sampleOf(samples, 'artifact_ledger_incomplete_sessions')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_sessions{state="incomplete"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_sessions{state="open"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_sessions{state="complete"}')).toBe(0)
    // Every commit succeeded: the incomplete gauge is the only signal that data is missing.
    expect(sampleOf(samples, 'artifact_ledger_commits_total{outcome="failed"}')).toBe(0)

    await commitText(t, 'run-7', 'feedback.txt', 'late but here')
    expect((await scrape(t)).get('artifact_ledger_incomplete_sessions')).toBe(0)
  })

  it('shows the canary’s last result, latency and time, without counting its commit as traffic', async () => {
    const t = await start()
    const result = await t.ledger.runCanary()
    expect(result.ok).toBe(true)
    let samples = await scrape(t)
    expect(sampleOf(samples, 'artifact_ledger_canary_success')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_canary_latency_seconds')).toBe(result.latencyMs / 1000)
    expect(sampleOf(samples, 'artifact_ledger_canary_last_run_timestamp_seconds')).toBe(Date.parse(result.at) / 1000)
    expect(sampleOf(samples, 'artifact_ledger_commits_total{outcome="committed"}')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_written_bytes_total')).toBe(0)

    t.ledger.state.phase = 'stopping'
    expect((await t.ledger.runCanary()).ok).toBe(false)
    samples = await scrape(t)
    expect(sampleOf(samples, 'artifact_ledger_canary_success')).toBe(0)
    // Stopping fails readiness: the same verdict /health/ready gives.
    expect(sampleOf(samples, 'artifact_ledger_ready')).toBe(0)
    expect((await t.app.inject('/health/ready')).statusCode).toBe(503)
    t.ledger.state.phase = 'ready'
  })

  it('shows what a scrub found after a stored object is corrupted, and counts the verification failure', async () => {
    const t = await start()
    const res = await commitText(t, 's1', 'a.txt', 'good bytes')
    const [artifact] = res.json().artifacts
    // Object and plain copy both bad: nothing good to repair from, so the finding stands.
    await writeFile(join(t.dataDir, 'objects/sha256', artifact.sha256.slice(0, 2), artifact.sha256.slice(2)), 'good bytez')
    await writeFile(join(t.dataDir, 'sessions/s1/a.txt'), 'bad bytes!')
    const before = Date.now() / 1000

    const summary = await t.ledger.runScrub()
    expect(summary.ok).toBe(false)

    const samples = await scrape(t)
    expect(sampleOf(samples, 'artifact_ledger_scrub_findings{kind="corrupt"}')).toBeGreaterThanOrEqual(1)
    expect(sampleOf(samples, 'artifact_ledger_scrub_findings{kind="corrupt"}')).toBe(summary.corrupt)
    expect(sampleOf(samples, 'artifact_ledger_scrub_findings{kind="missing"}')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_scrub_success')).toBe(0)
    expect(sampleOf(samples, 'artifact_ledger_scrub_last_run_timestamp_seconds')).toBeGreaterThanOrEqual(Math.floor(before))
    expect(sampleOf(samples, 'artifact_ledger_integrity_problems_total{kind="object_corrupt"}')).toBe(1)
    expect(sampleOf(samples, 'artifact_ledger_integrity_problems_total{kind="plain_mismatch"}')).toBe(1)
  })

  it('keeps a registry per app, so two services in one process do not share counts', async () => {
    const one = await start()
    const two = await start()
    await commitText(one, 's1', 'a.txt', 'a')
    expect(sampleOf(await scrape(one), 'artifact_ledger_commits_total{outcome="committed"}')).toBe(1)
    expect(sampleOf(await scrape(two), 'artifact_ledger_commits_total{outcome="committed"}')).toBe(0)
  })

  it.skipIf(skipWithoutPromtool)('passes `promtool check metrics` with no lint findings', async () => {
    const t = await start()
    await commitText(t, 's1', 'a.txt', 'a')
    await commitText(t, 's1', 'b.txt', 'b', { sha256: sha256('not b') })
    await t.ledger.runCanary()
    await t.ledger.runScrub()
    const dir = await mkdtemp(join(tmpdir(), 'artifact-ledger-metrics-'))
    try {
      const file = join(dir, 'metrics.prom')
      await writeFile(file, (await t.app.inject('/metrics')).body)
      const result = promtool(['check', 'metrics'], { stdinPath: file })
      expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({ status: 0, output: '' })
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
