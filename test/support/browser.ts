// A real browser for the web view's tests: Debian's `chromium` driven by playwright-core. Skipped where either
// is missing, required (a failure, not a skip) when REQUIRE_BROWSER=1, as REQUIRE_PROMTOOL works for promtool.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'

/** The little of playwright-core's API the tests use (the package is not a dependency yet, so not its types). */
export interface BrowserPage {
  goto(url: string): Promise<unknown>
  fill(selector: string, value: string): Promise<void>
  click(selector: string): Promise<void>
  press(selector: string, key: string): Promise<void>
  selectOption(selector: string, value: string): Promise<unknown>
  textContent(selector: string): Promise<string | null>
  waitForSelector(selector: string, options?: { timeout?: number; state?: 'attached' | 'visible' | 'hidden' }): Promise<unknown>
  evaluate<T>(fn: string): Promise<T>
  screenshot(options: { path: string; fullPage?: boolean }): Promise<unknown>
  setViewportSize(size: { width: number; height: number }): Promise<void>
  on(event: 'console' | 'pageerror', listener: (message: { type?: () => string; text?: () => string; message?: string }) => void): void
  keyboard: { press(key: string): Promise<void> }
}
export interface Browser {
  newPage(): Promise<BrowserPage>
  close(): Promise<void>
}
interface PlaywrightCore {
  chromium: { launch(options: { executablePath: string; headless: boolean; args?: string[] }): Promise<Browser> }
}

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' })
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim()
  }
  return undefined
}

function hasPlaywrightCore(): boolean {
  try {
    createRequire(import.meta.url).resolve('playwright-core')
    return true
  } catch {
    // Not installed: the coordinator adds it as a devDependency; until then the browser tests skip.
    return false
  }
}

export const chromiumPath = findChromium()
export const hasPlaywright = hasPlaywrightCore()
export const requireBrowser = process.env['REQUIRE_BROWSER'] === '1'
/** For `describe.skipIf(skipWithoutBrowser)`: only a machine without the browser and without the CI flag skips. */
export const skipWithoutBrowser = (chromiumPath === undefined || !hasPlaywright) && !requireBrowser
export const browserMissing = [
  chromiumPath === undefined ? 'chromium is not on PATH (Debian package `chromium`)' : undefined,
  hasPlaywright ? undefined : 'the npm package playwright-core is not installed',
].filter((reason) => reason !== undefined).join('; ')

export async function launchBrowser(): Promise<Browser> {
  if (chromiumPath === undefined || !hasPlaywright) throw new Error(`REQUIRE_BROWSER=1 but ${browserMissing}`)
  const specifier = 'playwright-core'
  const { chromium } = (await import(specifier)) as PlaywrightCore
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] })
}
