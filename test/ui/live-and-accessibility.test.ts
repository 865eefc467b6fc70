// The web view in chromium, live: a commit made through the API appears in an open Live page, and a session
// its deadline closes shows red; every page passes axe-core's rules with no serious or critical violation.
// UI_SCREENSHOTS=<dir> also saves a screenshot of each page there (the README's come from this test).
import { mkdir, readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import { browserMissing, launchBrowser, skipWithoutBrowser, type Browser, type BrowserPage } from '../support/browser.js'

const SCREENSHOTS = process.env['UI_SCREENSHOTS']

if (skipWithoutBrowser) console.warn(`test/ui/live-and-accessibility.test.ts skipped: ${browserMissing}; set REQUIRE_BROWSER=1 to make that a failure`)

describe.skipIf(skipWithoutBrowser)('the web view, live and accessible', () => {
  let t: ListeningLedger
  let browser: Browser
  let page: BrowserPage
  let axeSource: string

  const commit = async (sid: string, artifacts: Record<string, unknown>[]): Promise<number> => {
    const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${sid}/commits`, payload: { artifacts } })
    expect(res.statusCode).toBe(201)
    return res.json().seq
  }

  beforeAll(async () => {
    t = await startListeningLedger({ settings: { deadlineCheckIntervalMs: 100 } })
    await t.app.inject({ method: 'PUT', url: '/v1/sessions/nightly-7', payload: { expectedArtifacts: ['quality_metrics.json', 'session_summary.json'] } })
    await commit('nightly-7', [{ name: 'session_summary.json', json: { chapters: 12, words: 48210 } }])
    await commit('nightly-7', [{ name: 'manuscript/draft.md', text: '# Chapter 1\n\nIt was a dark and stormy night.\n' }])
    await commit('nightly-7', [{ name: 'manuscript/draft.md', text: '# Chapter 1\n\nIt was a bright and quiet morning.\n' }])
    await t.app.inject({ method: 'POST', url: '/v1/sessions/nightly-7/complete' })
    await commit('nightly-8', [{ name: 'quality_metrics.json', json: { bleu: 0.41 } }, { name: 'session_summary.json', json: { chapters: 9 } }])
    await t.app.inject({ method: 'POST', url: '/v1/sessions/nightly-8/complete' })
    await t.app.inject({ method: 'POST', url: '/v1/sessions/nightly-9/commits', payload: { artifacts: [{ name: 'x.txt', text: 'x', sha256: '0'.repeat(64) }] } })
    axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
    browser = await launchBrowser()
    page = await browser.newPage()
    await page.setViewportSize({ width: 1280, height: 900 })
    if (SCREENSHOTS !== undefined) await mkdir(SCREENSHOTS, { recursive: true })
  })
  afterAll(async () => {
    await browser?.close()
    await t?.cleanup()
  })

  it('shows a commit made through the API in an open Live page, without a reload', async () => {
    await page.goto(`${t.url}/ui/#/live`)
    await page.waitForSelector('text=Connected; waiting for new entries')
    const seq = await commit('live-run', [{ name: 'metrics.json', json: { step: 1 } }])
    await page.waitForSelector(`tr[data-seq="${seq}"]`, { timeout: 10_000 })
    expect(await page.textContent(`tr[data-seq="${seq}"]`)).toContain('live-run')
    expect(await page.evaluate<string>('location.hash')).toBe('#/live')
  })

  it('shows a session its deadline closed, with what is missing, in red', async () => {
    const deadline = new Date(Date.now() + 1500).toISOString()
    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/late-run', payload: { expectedArtifacts: ['quality_metrics.json'], deadline } })).statusCode).toBe(201)
    await page.goto(`${t.url}/ui/#/live?session=late-run`)
    await page.waitForSelector('text=Connected')
    // The close entry the service writes at the deadline arrives on the open page.
    await page.waitForSelector('td:text("close")', { timeout: 10_000 })
    await page.goto(`${t.url}/ui/#/sessions?state=incomplete`)
    await page.waitForSelector('a:text("late-run")')
    const color = await page.evaluate<string>(`getComputedStyle(document.querySelector('tr:has(a[href*="late-run"]) .state-incomplete')).color`)
    const bad = await page.evaluate<string>(`(() => { const probe = document.createElement('span'); probe.className = 'bad'; document.body.append(probe); const c = getComputedStyle(probe).color; probe.remove(); return c })()`)
    expect(color).toBe(bad)
    expect(await page.textContent('tr:has(a[href*="late-run"])')).toContain('deadline')
  })

  it('is usable from the keyboard: the page links and the sessions search form', async () => {
    // A fresh document, so the keyboard starts at the top of the page.
    await page.goto('about:blank')
    await page.goto(`${t.url}/ui/#/`)
    await page.waitForSelector('text=Latest failed entries')
    // The page moves focus to its content once it renders; the page links are back from there.
    const focused = (): Promise<string> => page.evaluate<string>('document.activeElement?.textContent ?? ""')
    for (let i = 0; i < 10 && (await focused()) !== 'Sessions'; i++) await page.keyboard.press('Shift+Tab')
    expect(await focused()).toBe('Sessions')
    await page.keyboard.press('Enter')
    await page.waitForSelector('input[name="q"]')
    expect(await page.evaluate<string>('location.hash')).toBe('#/sessions')
    // Type an id into the search and submit with Enter: only matching sessions stay listed.
    await page.fill('input[name="q"]', 'nightly-8')
    await page.press('input[name="q"]', 'Enter')
    await page.waitForSelector('text=Open session “nightly-8”')
    const listed = await page.evaluate<string[]>(`[...document.querySelectorAll('tbody tr td:first-child a')].map((a) => a.textContent)`)
    expect(listed).toEqual(['nightly-8'])
  })

  it('passes axe-core on every page with no serious or critical violation', async () => {
    const pages = [
      ['overview', '#/', 'text=Latest failed entries'],
      ['sessions', '#/sessions', 'a:text("nightly-7")'],
      ['session', '#/sessions/nightly-7', 'h2:text("Timeline")'],
      ['artifact-diff', '#/sessions/nightly-7/artifacts/manuscript%2Fdraft.md', 'pre'],
      ['commits', '#/commits', 'code:text("digest_mismatch")'],
      ['live', '#/live', 'text=Connected'],
    ] as const
    const found: string[] = []
    for (const [name, hash, ready] of pages) {
      await page.goto(`${t.url}/ui/${hash}`)
      await page.waitForSelector(ready, { timeout: 10_000 })
      if (name === 'artifact-diff') {
        await page.click('button:text("Show diff")')
        await page.waitForSelector('.diff-add')
      }
      await page.evaluate(axeSource)
      const violations = await page.evaluate<{ id: string; impact: string; nodes: number }[]>(
        `axe.run(document).then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`,
      )
      found.push(...violations.map((v) => `${name}: ${v.id} (${v.impact}, ${v.nodes} nodes)`))
      if (SCREENSHOTS !== undefined) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false })
    }
    expect(found).toEqual([])
  })
})
