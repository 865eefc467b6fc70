// One HTTP exchange with the service over node:http(s): no retries here (see retry.ts), no
// interpretation beyond turning a 4xx/5xx into a LedgerProblem.
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { Readable } from 'node:stream'
import { LedgerProblem } from './errors.js'

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE'
  /** Path and query, already encoded. */
  path: string
  headers?: Record<string, string>
  /** A buffered body, or a fresh stream per attempt with its exact length. */
  body?: Buffer | { stream: Readable; length: number }
}

export interface BufferedResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface TransportOptions {
  baseUrl: URL
  token: string | undefined
  /** A request with no progress in either direction for this long is abandoned (and retried). */
  idleTimeoutMs: number
  userAgent: string
}

class RequestTimeout extends Error {
  readonly code = 'REQUEST_TIMEOUT'
}

export class Transport {
  private readonly agent: http.Agent
  private readonly module: typeof http | typeof https

  constructor(private readonly options: TransportOptions) {
    const isHttps = options.baseUrl.protocol === 'https:'
    this.module = isHttps ? https : http
    this.agent = isHttps ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true })
  }

  /** Sends the request; resolves with the response stream once headers arrive, whatever the status. */
  open(spec: RequestSpec): Promise<IncomingMessage> {
    const base = this.options.baseUrl
    const url = new URL(base.pathname.replace(/\/$/, '') + spec.path, base)
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent, ...spec.headers }
    if (this.options.token !== undefined) headers['authorization'] = `Bearer ${this.options.token}`
    if (Buffer.isBuffer(spec.body)) headers['content-length'] = String(spec.body.byteLength)
    else if (spec.body !== undefined) headers['content-length'] = String(spec.body.length)

    return new Promise((resolve, reject) => {
      const request = this.module.request(url, { method: spec.method, headers, agent: this.agent }, resolve)
      request.setTimeout(this.options.idleTimeoutMs, () => {
        request.destroy(new RequestTimeout(`no progress for ${this.options.idleTimeoutMs} ms`))
      })
      request.on('error', reject)
      const body = spec.body
      if (body === undefined) request.end()
      else if (Buffer.isBuffer(body)) request.end(body)
      else {
        // A failing source must fail the request, not leave it hanging half-sent.
        body.stream.on('error', (error) => request.destroy(error))
        // …and a dead request must release the source (an open file) instead of leaving it paused.
        request.once('close', () => {
          if (!body.stream.readableEnded) body.stream.destroy()
        })
        body.stream.pipe(request)
      }
    })
  }

  /** Sends the request and reads the whole answer; a 4xx/5xx becomes a LedgerProblem. */
  async exchange(spec: RequestSpec): Promise<BufferedResponse> {
    const response = await this.open(spec)
    const body = await readAll(response)
    const status = response.statusCode ?? 0
    if (status >= 400) throw problemFrom(status, response.headers, body)
    return { status, headers: response.headers, body }
  }

  close(): void {
    this.agent.destroy()
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** The service's problem+json, or for anything else in between (a proxy's HTML) the text as detail. */
export function problemFrom(status: number, headers: IncomingHttpHeaders, body: Buffer): LedgerProblem {
  const retryAfter = Number(headers['retry-after'])
  const options = Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterSeconds: retryAfter } : {}
  const text = body.toString('utf8')
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
      return new LedgerProblem(status, parsed as Record<string, unknown>, options)
    }
  } catch {
    // not JSON: fall through and keep the text
  }
  return new LedgerProblem(status, { status, title: http.STATUS_CODES[status] ?? 'error', detail: text.slice(0, 2000) || '(empty body)' }, options)
}
