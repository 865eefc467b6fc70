import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { parseExposition, type Samples } from '../support/exposition.js'
import { promtool, skipWithoutPromtool } from '../support/promtool.js'
import { startLedger } from '../support/start-ledger.js'

const RULES = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url))
const RULE_TESTS = fileURLToPath(new URL('../../deploy/prometheus/alerts.test.yml', import.meta.url))
const JOB = 'artifact-ledger'
const INSTANCE = 'ledger:8080'

interface AlertRule {
  alert: string
  expr: string
  for?: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
}
interface RuleTest {
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[]
}

interface RecordingRule {
  record: string
  expr: string
}

async function rulesOfFile(): Promise<(AlertRule | RecordingRule)[]> {
  const file = parse(await readFile(RULES, 'utf8')) as { groups: { rules: (AlertRule | RecordingRule)[] }[] }
  return file.groups.flatMap((group) => group.rules)
}

/** The alerting rules; the recording rules beside them hold settings (the disk forecast's horizon). */
async function alertRules(): Promise<AlertRule[]> {
  return (await rulesOfFile()).filter((rule): rule is AlertRule => 'alert' in rule)
}

let scratch: string
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'artifact-ledger-rules-'))
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

describe('deploy/prometheus/alerts.yml', () => {
  it('alerts on commit failures, incomplete sessions, disk, scrub corruption and readiness, each with a severity and what to do', async () => {
    const rules = await alertRules()
    expect(rules.map((rule) => rule.alert)).toEqual(expect.arrayContaining([
      'ArtifactLedgerCommitFailures', 'ArtifactLedgerIncompleteSessions', 'ArtifactLedgerDiskNearlyFull',
      'ArtifactLedgerScrubFoundCorruption', 'ArtifactLedgerNotReady',
    ]))
    for (const rule of rules) {
      expect(rule.labels?.['severity'], rule.alert).toMatch(/^(warning|critical)$/)
      expect(rule.annotations?.['summary'], rule.alert).toBeTruthy()
      expect(rule.annotations?.['description'], rule.alert).toBeTruthy()
    }
  })

  it('forecasts the data disk filling up with predict_linear, over a horizon set in one recording rule (24 h)', async () => {
    const rules = await rulesOfFile()
    const horizon = rules.find((rule): rule is RecordingRule => 'record' in rule && rule.record === 'artifact_ledger:disk_full_forecast_horizon_seconds')
    expect(horizon?.expr).toBe('vector(86400)')
    const forecast = (await alertRules()).find((rule) => rule.alert === 'ArtifactLedgerDiskFillsUp')
    expect(forecast?.expr).toMatch(/^predict_linear\(artifact_ledger_disk_free_bytes\[6h\], scalar\(artifact_ledger:disk_full_forecast_horizon_seconds\)\) < 0$/)
    expect(forecast?.for).toBe('30m')
  })

  it('has a firing and a not-firing unit test for every alert', async () => {
    const tests = (parse(await readFile(RULE_TESTS, 'utf8')) as { tests: RuleTest[] }).tests
    const cases = tests.flatMap((test) => test.alert_rule_test ?? [])
    for (const { alert } of await alertRules()) {
      const mine = cases.filter((c) => c.alertname === alert)
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert} fires somewhere`).toBe(true)
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert} stays quiet somewhere`).toBe(true)
    }
  })

  // Contract drift between the exporter and the rules would silence an alert without any error.
  it('uses only metric names the service exposes', async () => {
    const t = await startLedger()
    try {
      const exposed = new Set([...parseExposition((await t.app.inject('/metrics')).body).keys()].map((series) => series.split('{')[0]))
      for (const rule of await alertRules()) {
        for (const name of rule.expr.match(/\bartifact_ledger_[a-z_]+/g) ?? []) expect(exposed.has(name), `${rule.alert} uses ${name}`).toBe(true)
      }
    } finally {
      await t.cleanup()
    }
  })

  it.skipIf(skipWithoutPromtool)('passes `promtool check rules`', () => {
    const result = promtool(['check', 'rules', RULES])
    expect(result.stderr).toBe('')
    expect(result.stdout).toContain('SUCCESS')
    expect(result.status).toBe(0)
  })

  it.skipIf(skipWithoutPromtool)('passes its unit tests, `promtool test rules alerts.test.yml`', () => {
    const result = promtool(['test', 'rules', RULE_TESTS])
    expect(result.stdout + result.stderr).toContain('SUCCESS')
    expect(result.stdout + result.stderr).not.toContain('FAILED')
    expect(result.status).toBe(0)
  })

  it.skipIf(skipWithoutPromtool)('fires ArtifactLedgerIncompleteSessions from the service’s own metrics when a session completes with two of three expected artifacts', async () => {
    const t = await startLedger()
    let before: Samples
    let after: Samples
    try {
      await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-7', payload: { expectedArtifacts: ['quality_metrics.json', 'session_summary.json', 'feedback.txt'] } })
      for (const name of ['quality_metrics.json', 'session_summary.json']) {
        const res = await t.app.inject({ method: 'POST', url: '/v1/sessions/run-7/commits', payload: { artifacts: [{ name, text: '{}' }] } })
        expect(res.statusCode).toBe(201)
      }
      before = parseExposition((await t.app.inject('/metrics')).body)
      expect((await t.app.inject({ method: 'POST', url: '/v1/sessions/run-7/complete' })).json()).toMatchObject({ state: 'incomplete' })
      after = parseExposition((await t.app.inject('/metrics')).body)
    } finally {
      await t.cleanup()
    }

    const input_series = scrapes(before, after)
    const rule = (await alertRules()).find((r) => r.alert === 'ArtifactLedgerIncompleteSessions')
    const quiet = ['ArtifactLedgerCommitFailures', 'ArtifactLedgerScrubFoundCorruption', 'ArtifactLedgerVerificationFailures', 'ArtifactLedgerNotReady', 'ArtifactLedgerCanaryFailing']
    const scenario = {
      rule_files: [RULES],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series,
        alert_rule_test: [
          { eval_time: '4m', alertname: 'ArtifactLedgerIncompleteSessions', exp_alerts: [] },
          {
            eval_time: '12m',
            alertname: 'ArtifactLedgerIncompleteSessions',
            exp_alerts: [{
              exp_labels: { severity: rule?.labels?.['severity'], job: JOB, instance: INSTANCE },
              exp_annotations: {
                summary: rule?.annotations?.['summary']?.replace('{{ $value }}', '1').replace('{{ $labels.instance }}', INSTANCE),
                description: rule?.annotations?.['description'],
              },
            }],
          },
          ...quiet.map((alertname) => ({ eval_time: '12m', alertname, exp_alerts: [] })),
        ],
      }],
    }
    const file = join(scratch, 'incomplete-session.test.yml')
    await writeFile(file, stringify(scenario))
    const result = promtool(['test', 'rules', file])
    expect(result.stdout + result.stderr).not.toContain('FAILED')
    expect(result.status).toBe(0)
  })

  it.skipIf(skipWithoutPromtool)('fires the incomplete and closed-by-deadline alerts from the service’s own metrics when a writer never completes its session', async () => {
    const t = await startLedger({ settings: { deadlineCheckIntervalMs: 50 } })
    let before: Samples
    let after: Samples
    try {
      const deadline = new Date(Date.now() + 400).toISOString()
      await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-8', payload: { expectedArtifacts: ['a.json', 'b.json', 'c.json', 'd.json'], deadline } })
      for (const name of ['a.json', 'b.json']) {
        expect((await t.app.inject({ method: 'POST', url: '/v1/sessions/run-8/commits', payload: { artifacts: [{ name, json: {} }] } })).statusCode).toBe(201)
      }
      before = parseExposition((await t.app.inject('/metrics')).body)
      // The writer exits here without a word; the service closes the session at its deadline.
      for (let i = 0; i < 100 && (await t.app.inject('/v1/sessions/run-8')).json().closedBy !== 'deadline'; i++) await new Promise((r) => setTimeout(r, 50))
      after = parseExposition((await t.app.inject('/metrics')).body)
    } finally {
      await t.cleanup()
    }
    const rules = await alertRules()
    const firing = (alertname: string, eval_time: string) => {
      const rule = rules.find((r) => r.alert === alertname)
      return {
        eval_time, alertname,
        exp_alerts: [{
          exp_labels: { severity: rule?.labels?.['severity'], job: JOB, instance: INSTANCE },
          exp_annotations: {
            summary: rule?.annotations?.['summary']?.replace('{{ $value }}', '1').replace('{{ $labels.instance }}', INSTANCE),
            description: rule?.annotations?.['description'],
          },
        }],
      }
    }
    const scenario = {
      rule_files: [RULES],
      evaluation_interval: '1m',
      tests: [{
        interval: '1m',
        input_series: scrapes(before, after),
        alert_rule_test: [
          { eval_time: '4m', alertname: 'ArtifactLedgerSessionsClosedByDeadline', exp_alerts: [] },
          firing('ArtifactLedgerSessionsClosedByDeadline', '7m'),
          firing('ArtifactLedgerIncompleteSessions', '12m'),
          ...['ArtifactLedgerCommitFailures', 'ArtifactLedgerFailedSessions', 'ArtifactLedgerBackgroundErrors', 'ArtifactLedgerNotReady']
            .map((alertname) => ({ eval_time: '12m', alertname, exp_alerts: [] })),
        ],
      }],
    }
    const file = join(scratch, 'closed-by-deadline.test.yml')
    await writeFile(file, stringify(scenario))
    const result = promtool(['test', 'rules', file])
    expect(result.stdout + result.stderr).not.toContain('FAILED')
    expect(result.status).toBe(0)
  })
})

/** Five scrapes as `before`, then fifteen as `after`: each series as the service exposed it, a minute apart. */
function scrapes(before: Samples, after: Samples): { series: string; values: string }[] {
  const names = new Set([...before.keys(), ...after.keys()].filter((series) => series.startsWith('artifact_ledger_')))
  return [...names].map((series) => ({
    series: withTarget(series),
    values: `${repeat(before.get(series), 5)} ${repeat(after.get(series), 15)}`,
  }))
}

/** The labels Prometheus adds at scrape time. */
function withTarget(series: string): string {
  const target = `job="${JOB}",instance="${INSTANCE}"`
  return series.endsWith('}') ? `${series.slice(0, -1)},${target}}` : `${series}{${target}}`
}

/** promtool's series notation: `v` then `xN` more; NaN has no expanding form, `_` is "no sample". */
function repeat(value: number | undefined, count: number): string {
  if (value === undefined) return `_x${count - 1}`
  if (Number.isNaN(value)) return Array.from({ length: count }, () => 'NaN').join(' ')
  return `${value}x${count - 1}`
}
