// The web view in a real browser (chromium via playwright-core): token prompt, overview, a session, an artifact
// with its diff, the commit log, and no Content-Security-Policy violation on the way. Skips with the reason when
// the browser is missing, unless REQUIRE_BROWSER=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnvTokens } from '../../src/http/auth.js'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import { browserMissing, launchBrowser, skipWithoutBrowser, type Browser, type BrowserPage } from '../support/browser.js'

const TOKEN = 'ui-r3ad-t0ken'
const auth = { authorization: `Bearer ${TOKEN}` }

if (skipWithoutBrowser) console.warn(`test/ui/browser.test.ts skipped: ${browserMissing}; set REQUIRE_BROWSER=1 to make that a failure`)

describe.skipIf(skipWithoutBrowser)('the web view in chromium', () => {
  let t: ListeningLedger
  let browser: Browser
  let page: BrowserPage
  const consoleErrors: string[] = []

  beforeAll(async () => {
    t = await startListeningLedger({ auth: { tokens: parseEnvTokens(`ui=${TOKEN}:write`) } })
    const commit = (body: unknown) => t.app.inject({ method: 'POST', url: '/v1/sessions/run-1/commits', headers: auth, payload: body as Record<string, unknown> })
    expect((await t.app.inject({ method: 'PUT', url: '/v1/sessions/run-1', headers: auth, payload: { expectedArtifacts: ['report.json', 'notes.txt', 'never.txt'] } })).statusCode).toBe(201)
    expect((await commit({ artifacts: [{ name: 'notes.txt', text: 'one\ntwo\n<script>alert(1)</script>\n' }] })).statusCode).toBe(201)
    expect((await commit({ artifacts: [{ name: 'notes.txt', text: 'one\nthree\n<script>alert(1)</script>\n' }, { name: 'report.json', json: { score: 1 } }] })).statusCode).toBe(201)
    expect((await commit({ artifacts: [{ name: 'bad.txt', text: 'x', sha256: '0'.repeat(64) }] })).statusCode).toBe(422)
    browser = await launchBrowser()
    page = await browser.newPage()
    page.on('console', (message) => {
      if (message.type?.() === 'error') consoleErrors.push(message.text?.() ?? '')
    })
    page.on('pageerror', (error) => consoleErrors.push(error.message ?? 'an uncaught error'))
  })
  afterAll(async () => {
    await browser?.close()
    await t?.cleanup()
  })

  it('asks for a token on the 401, keeps it out of the URL, then shows the overview with the failure and its code', async () => {
    await page.goto(`${t.url}/ui/`)
    await page.waitForSelector('#token-form:not([hidden])')
    await page.fill('#token-input', TOKEN)
    await page.press('#token-input', 'Enter')
    await page.waitForSelector('text=Latest failed entries')
    await page.waitForSelector('code:text("digest_mismatch")')
    expect(await page.evaluate<string>('location.href')).not.toContain(TOKEN)
    expect(await page.evaluate<string | null>('sessionStorage.getItem("artifact-ledger.token")')).toBe(TOKEN)
  })

  it('shows a session: expected vs present vs missing, versions and the timeline', async () => {
    await page.goto(`${t.url}/ui/#/sessions/run-1`)
    await page.waitForSelector('text=Expected 3, present 2, missing 1')
    expect(await page.textContent('main')).toContain('never.txt')
    await page.waitForSelector('h2:text("Timeline")')
  })

  it('shows an artifact as text, never as HTML, and diffs two versions', async () => {
    await page.goto(`${t.url}/ui/#/sessions/run-1/artifacts/notes.txt`)
    await page.waitForSelector('pre')
    expect(await page.textContent('pre')).toContain('<script>alert(1)</script>')
    expect(await page.evaluate<number>('document.querySelectorAll("main script").length')).toBe(0)
    await page.click('button:text("Show diff")')
    await page.waitForSelector('.diff-add')
    expect(await page.textContent('.diff-add')).toBe('+ three\n')
    expect(await page.textContent('.diff-del')).toBe('- two\n')
  })

  it('filters the commit log by state and shows each failure with its code', async () => {
    await page.goto(`${t.url}/ui/#/commits?state=failed`)
    await page.waitForSelector('code:text("digest_mismatch")')
    expect(consoleErrors.filter((text) => /Content Security Policy/i.test(text))).toEqual([])
  })
})
