// A raw HTTP/1.1 connection over node:net, for tests that must control every byte: a body that stalls
// or stops halfway, a request Node's parser refuses, or an answer read while the socket is still open.
import { connect, type Socket } from 'node:net'

export interface RawResponse {
  status: number
  /** Header names lower-cased; a repeated header keeps its last value. */
  headers: Record<string, string>
  body: string
}

/** A request head (request line and headers) ready to write; the body, if any, is written after it. */
export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ host: '127.0.0.1', ...headers }).map(([name, value]) => `${name}: ${value}`)
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}

/** The first complete response in `bytes` (framed by Content-Length, else by the end of the stream), or none yet. */
export function parseResponse(bytes: Buffer, ended: boolean): RawResponse | undefined {
  const headEnd = bytes.indexOf('\r\n\r\n')
  if (headEnd === -1) return undefined
  const [statusLine = '', ...fields] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n')
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]
  if (status === undefined) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(statusLine)}`)
  const headers: Record<string, string> = {}
  for (const field of fields) {
    const colon = field.indexOf(':')
    headers[field.slice(0, colon).trim().toLowerCase()] = field.slice(colon + 1).trim()
  }
  const rest = bytes.subarray(headEnd + 4)
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length'])
  if (length === undefined) return ended ? { status: Number(status), headers, body: rest.toString('utf8') } : undefined
  if (rest.byteLength < length) return undefined
  return { status: Number(status), headers, body: rest.subarray(0, length).toString('utf8') }
}

export class RawConnection {
  private received = Buffer.alloc(0)
  private ended = false
  private readonly waiters = new Set<() => void>()
  /** Settles once the connection is closed, by either side. */
  readonly closed: Promise<void>

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk])
      this.wake()
    })
    // A reset after the answer is how some refusals end: the answer already read is what counts.
    socket.on('error', () => undefined)
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.ended = true
        this.wake()
        resolve()
      })
    })
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.setNoDelay(true)
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    })
    return new RawConnection(socket)
  }

  /** True once the connection is closed (the server hung up, or this side destroyed it). */
  get isClosed(): boolean {
    return this.ended
  }

  async write(data: string | Buffer): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.socket.write(data, (error) => (error === undefined || error === null ? resolve() : reject(error)))
    })
  }

  /** The first complete response; fails after `timeoutMs` with what had arrived by then. */
  async response(timeoutMs = 10_000): Promise<RawResponse> {
    return this.waitFor(() => parseResponse(this.received, this.ended), timeoutMs, 'a complete response')
  }

  /** Every byte the server sent, once it has closed the connection; fails after `timeoutMs`. */
  async untilClosed(timeoutMs = 10_000): Promise<Buffer> {
    return this.waitFor(() => (this.ended ? this.received : undefined), timeoutMs, 'the server to close the connection')
  }

  /** Drops the connection at once, as a client that crashes mid-request does. */
  destroy(): void {
    this.socket.destroy()
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter()
  }

  private async waitFor<T>(ready: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): void => {
        let value: T | undefined
        try {
          value = ready()
        } catch (error) {
          done()
          reject(error instanceof Error ? error : new Error(String(error)))
          return
        }
        if (value !== undefined) {
          done()
          resolve(value)
        } else if (this.ended) {
          done()
          reject(new Error(`the connection closed before ${what}; received: ${JSON.stringify(this.received.toString('latin1').slice(0, 500))}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`no ${what} within ${timeoutMs} ms; received: ${JSON.stringify(this.received.toString('latin1').slice(0, 500))}`))
      }, timeoutMs)
      const done = (): void => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }
}
