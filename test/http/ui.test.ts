import { readdir, readFile } from 'node:fs/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { startListeningLedger } from '../client/listening-ledger.js'
import { parseResponse, RawConnection, requestHead } from '../support/raw-http.js'
import { parseEnvTokens } from '../../src/http/auth.js'
import { UI_CSP } from '../../src/http/routes/ui.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

const UI_DIR = new URL('../../ui/', import.meta.url)

const started: TestLedger[] = []
async function start(options: Parameters<typeof startLedger>[0] = {}): Promise<TestLedger> {
  const t = await startLedger(options)
  started.push(t)
  return t
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.cleanup()))
})

describe('the web view at /ui/', () => {
  it('serves index.html at /ui/ as HTML with a strict Content-Security-Policy and revalidation caching', async () => {
    const t = await start()
    const res = await t.app.inject('/ui/')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(res.body).toBe(await readFile(new URL('index.html', UI_DIR), 'utf8'))
    expect(res.headers['content-security-policy']).toBe(UI_CSP)
    // No inline script, no eval, nothing fetched from elsewhere, not framable.
    expect(UI_CSP).toContain("script-src 'self';")
    expect(UI_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/)
    expect(UI_CSP).toContain("default-src 'none'")
    expect(UI_CSP).toContain("frame-ancestors 'none'")
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.headers['etag']).toMatch(/^"[0-9a-f]{32}"$/)
  })

  it('has no inline script or style in its HTML, so the policy costs the page nothing', async () => {
    const html = await readFile(new URL('index.html', UI_DIR), 'utf8')
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i)
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i)
  })

  it('serves every file of the ui folder with its content type, and answers 304 to its ETag', async () => {
    const t = await start()
    const types: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' }
    const names = await readdir(UI_DIR)
    expect(names).toEqual(expect.arrayContaining(['index.html', 'app.js', 'style.css']))
    for (const name of names) {
      const res = await t.app.inject(`/ui/${name}`)
      expect(res.statusCode, name).toBe(200)
      expect(res.headers['content-type'], name).toBe(types[/\.[a-z]+$/.exec(name)?.[0] ?? ''])
      expect(res.body, name).toBe(await readFile(new URL(name, UI_DIR), 'utf8'))
      expect(res.headers['content-security-policy'], name).toBe(UI_CSP)
      const again = await t.app.inject({ url: `/ui/${name}`, headers: { 'if-none-match': String(res.headers['etag']) } })
      expect(again.statusCode, name).toBe(304)
      expect(again.body, name).toBe('')
    }
    // If-None-Match as browsers and proxies send it: a list, or the weak form of the tag.
    const etag = String((await t.app.inject('/ui/app.js')).headers['etag'])
    expect((await t.app.inject({ url: '/ui/app.js', headers: { 'if-none-match': `"other", ${etag}` } })).statusCode).toBe(304)
    expect((await t.app.inject({ url: '/ui/app.js', headers: { 'if-none-match': `W/${etag}` } })).statusCode).toBe(304)
    expect((await t.app.inject({ url: '/ui/app.js', headers: { 'if-none-match': '"other"' } })).statusCode).toBe(200)
  })

  it('redirects /ui to /ui/', async () => {
    const t = await start()
    const res = await t.app.inject('/ui')
    expect(res.statusCode).toBe(308)
    expect(res.headers['location']).toBe('/ui/')
  })

  it('serves nothing outside the ui folder: traversal, encoded slashes and unknown names are 404 problems', async () => {
    const t = await start()
    const attempts = [
      '/ui/../package.json', '/ui/..%2fpackage.json', '/ui/..%2Fsrc%2Fapp.ts', '/ui/%2e%2e%2fpackage.json', '/ui/..%5cpackage.json',
      '/ui/%2fetc%2fpasswd', '/ui/missing.js', '/ui/..', '/ui/ui.test.ts', '/ui/index.html%00.js', '/ui/app.js/', '/ui//etc/passwd',
    ]
    for (const url of attempts) {
      const res = await t.app.inject(url)
      expect(res.statusCode, url).toBe(404)
      expect(res.headers['content-type'], url).toMatch(/^application\/problem\+json/)
      expect(res.body, url).not.toContain('"name": "artifact-ledger"')
      expect(res.headers['content-security-policy'], url).toBeUndefined()
    }
  })

  it('refuses traversal sent byte for byte over a socket, where no client normalises the path first', async () => {
    const t = await startListeningLedger()
    started.push(t)
    for (const path of ['/ui/../package.json', '/ui/../../../etc/passwd', '/ui/..%2f..%2fpackage.json', '/ui/./../src/app.ts', '/ui/%2e%2e/openapi.yaml']) {
      const connection = await RawConnection.open(t.port)
      await connection.write(requestHead('GET', path, { connection: 'close' }))
      const answer = parseResponse(await connection.untilClosed(), true)
      expect(answer?.status, path).toBe(404)
      expect(answer?.headers['content-type'], path).toMatch(/^application\/problem\+json/)
      expect(answer?.body, path).not.toContain('"name": "artifact-ledger"')
    }
  })

  it('loads without a token when tokens are configured, while the API it reads still answers 401', async () => {
    const t = await start({ auth: { tokens: parseEnvTokens('reader=r3ad-t0ken:read') } })
    for (const url of ['/ui/', '/ui/app.js', '/ui/style.css']) expect((await t.app.inject(url)).statusCode, url).toBe(200)
    expect((await t.app.inject('/ui')).statusCode).toBe(308)
    expect((await t.app.inject('/v1/status')).statusCode).toBe(401)
    // An unknown file under /ui/ is still a plain 404: the folder lists nothing secret, and no other route opens.
    expect((await t.app.inject('/ui/../v1/status')).statusCode).toBe(401)
    expect((await t.app.inject('/ui/nothing.js')).statusCode).toBe(404)
    expect((await t.app.inject({ url: '/v1/status', headers: { authorization: 'Bearer r3ad-t0ken' } })).statusCode).toBe(200)
  })
})
