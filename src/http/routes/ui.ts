// GET /ui/: the web view's few static files, read once from the ui/ folder and served from memory.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseEntityTags, weakMatch } from '../headers.js'
import { problem, sendProblem } from '../problem.js'
import { problemResponses, responseHeader } from '../schemas/common.js'

/** The ui/ folder at the package root: the same three levels up from src/http/routes/ and dist/http/routes/. */
export const UI_DIR = new URL('../../../ui/', import.meta.url)

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
}

// Scripts and styles from this origin only, no inline code, no eval; the page talks to this service alone and cannot be framed.
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

interface UiFile {
  body: Buffer
  contentType: string
  etag: string
}

/**
 * The servable files: the flat list of ui/ with a known extension, read at start-up. A request is looked up
 * by exact name in this map, so no path it carries (`..`, `%2F`, an absolute path) can reach another file.
 */
export function loadUiFiles(dir: URL = UI_DIR): ReadonlyMap<string, UiFile> {
  const files = new Map<string, UiFile>()
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const extension = /\.[a-z]+$/.exec(entry.name)?.[0] ?? ''
    const contentType = CONTENT_TYPES[extension]
    if (!entry.isFile() || contentType === undefined) continue
    const body = readFileSync(new URL(entry.name, dir))
    files.set(entry.name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"` })
  }
  if (!files.has('index.html')) throw new Error(`the web view is not packaged: ${dir.pathname}index.html is missing`)
  return files
}

const UiParams = Type.Object({ file: Type.String({ description: 'a file of the web view, e.g. app.js' }) })

const uiFileResponse = {
  description: 'the file; revalidate with If-None-Match (Cache-Control: no-cache), so an upgrade is seen at once',
  content: { 'text/html': { schema: Type.String() }, 'text/css': { schema: Type.String() }, 'text/javascript': { schema: Type.String() }, 'image/svg+xml': { schema: Type.String() } },
  headers: {
    'Content-Security-Policy': responseHeader('no inline script or style; only this origin', true),
    ETag: responseHeader('the file\'s digest', true),
  },
}

const notModified = { type: 'null', description: 'unchanged since the ETag sent: no body', headers: { ETag: responseHeader('the file\'s digest', true) } }

export const uiRoutes: FastifyPluginAsyncTypebox<{ files: ReadonlyMap<string, UiFile> }> = async (app, { files }) => {
  async function send(name: string, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const file = files.get(name)
    if (file === undefined) return sendProblem(req, reply, problem('not_found', `no file ${name} in the web view`))
    void reply.headers({
      'content-security-policy': UI_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
      etag: file.etag,
    })
    const ifNoneMatch = parseEntityTags(req.headers['if-none-match'], 'If-None-Match')
    if (ifNoneMatch !== undefined && weakMatch(ifNoneMatch, file.etag)) return reply.code(304).send()
    return reply.type(file.contentType).send(file.body)
  }

  // /ui and /ui/ are left out of the contract (hide): its linter forbids a path with a trailing slash, and a
  // bare redirect is no operation a client calls. /ui/ is index.html, which the contract has as /ui/{file}.
  app.get('/ui', { logLevel: 'warn', schema: { hide: true } }, async (_req, reply) => reply.redirect('/ui/', 308))

  app.get('/ui/', { logLevel: 'warn', schema: { hide: true } }, async (req, reply) => send('index.html', req, reply))

  app.get('/ui/:file', {
    logLevel: 'warn',
    schema: {
      summary: 'A file of the web view (scripts, styles); only the files of the ui folder, by exact name',
      description: 'The web view (open /ui/ in a browser) is plain HTML, CSS and ES modules that read this API; the files hold no data, so they ' +
        'need no token. Served with a strict Content-Security-Policy (no inline script) and Cache-Control: no-cache with an ETag.',
      operationId: 'getWebViewFile',
      tags: ['ui'],
      params: UiParams,
      response: { 200: uiFileResponse, 304: notModified, ...problemResponses(400, 404) },
    },
  }, async (req, reply) => send(req.params.file, req, reply))
}
