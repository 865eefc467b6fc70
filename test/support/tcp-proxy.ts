// A TCP proxy on 127.0.0.1 in front of a server, for faults that happen on the wire: a lost answer,
// a canned answer, a flipped byte, a server that goes away mid-upload and comes back on another port.
import { createServer, connect, type Server, type Socket } from 'node:net'

/** What the proxy does with one connection; connections without a plan are forwarded. */
export type ConnectionPlan =
  | { kind: 'forward' }
  /** Forward the request; when the server starts answering, drop the answer and RST the client. */
  | { kind: 'swallow'; onSwallow?: () => void }
  /** Never reach the server: answer with these raw bytes and close. */
  | { kind: 'answer'; response: string }
  /** Forward both ways, but flip the first body byte of the first response. */
  | { kind: 'corrupt' }

/** A raw HTTP/1.1 response that closes its connection, for `{ kind: 'answer' }`. */
export function rawResponse(status: number, reason: string, headers: Record<string, string>, body: string): string {
  const lines = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' })
  return `HTTP/1.1 ${status} ${reason}\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`
}

export class TcpProxy {
  /** Connections accepted so far. */
  connections = 0
  /** Bytes forwarded from clients to the server, over all connections. */
  clientBytes = 0
  private readonly plans: ConnectionPlan[] = []
  private readonly held: Socket[] = []
  private readonly open = new Set<Socket>()
  private byteWatch: { after: number; callback: () => void } | undefined

  private constructor(private readonly server: Server, private target: number | undefined) {}

  /** Listens on 127.0.0.1:0; `target` undefined holds connections until `setTarget`. */
  static async start(target: number | undefined): Promise<TcpProxy> {
    const server = createServer()
    const proxy = new TcpProxy(server, target)
    server.on('connection', (socket) => proxy.accept(socket))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', resolve)
    })
    return proxy
  }

  get port(): number {
    const address = this.server.address()
    if (address === null || typeof address === 'string') throw new Error('the proxy is not listening')
    return address.port
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Where new connections go; undefined holds them (unread) until a port is set again. */
  setTarget(port: number | undefined): void {
    this.target = port
    if (port === undefined) return
    for (const socket of this.held.splice(0)) if (!socket.destroyed) this.forward(socket, port, { kind: 'forward' })
  }

  /** Plans for the next connections, in order. */
  plan(...plans: ConnectionPlan[]): void {
    this.plans.push(...plans)
  }

  /** Calls `callback` once, as soon as more than `after` bytes have gone from clients to the server. */
  afterClientBytes(after: number, callback: () => void): void {
    this.byteWatch = { after: this.clientBytes + after, callback }
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(client: Socket): void {
    this.connections++
    this.open.add(client)
    client.once('close', () => this.open.delete(client))
    // A reset from either side is part of the tests; it must end this connection, not the test process.
    client.on('error', () => client.destroy())
    const plan = this.plans.shift() ?? { kind: 'forward' }
    if (plan.kind === 'answer') {
      client.once('data', () => client.end(plan.response))
      return
    }
    if (this.target === undefined) {
      client.pause()
      this.held.push(client)
      return
    }
    this.forward(client, this.target, plan)
  }

  private forward(client: Socket, port: number, plan: ConnectionPlan): void {
    const upstream = connect(port, '127.0.0.1')
    this.open.add(upstream)
    upstream.once('close', () => {
      this.open.delete(upstream)
      // The server went away (or was killed): the client sees its connection die, as it would without us.
      if (!client.destroyed) client.resetAndDestroy()
    })
    upstream.on('error', () => upstream.destroy())
    client.once('close', () => upstream.destroy())

    client.on('data', (chunk: Buffer) => {
      this.clientBytes += chunk.byteLength
      if (!upstream.write(chunk)) {
        client.pause()
        upstream.once('drain', () => client.resume())
      }
      const watch = this.byteWatch
      if (watch !== undefined && this.clientBytes > watch.after) {
        this.byteWatch = undefined
        watch.callback()
      }
    })
    client.resume()

    let head: Buffer | undefined = plan.kind === 'corrupt' ? Buffer.alloc(0) : undefined
    upstream.on('data', (chunk: Buffer) => {
      if (plan.kind === 'swallow') {
        plan.onSwallow?.()
        client.resetAndDestroy()
        upstream.destroy()
        return
      }
      let out = chunk
      if (head !== undefined) {
        // Hold the response head back until the first body byte arrives, then flip that byte.
        const buffered = Buffer.concat([head, chunk])
        const bodyStart = buffered.indexOf('\r\n\r\n') + 4
        if (bodyStart < 4 || bodyStart >= buffered.byteLength) {
          head = buffered
          return
        }
        buffered[bodyStart] = (buffered[bodyStart] ?? 0) ^ 0xff
        head = undefined
        out = buffered
      }
      if (!client.write(out)) {
        upstream.pause()
        client.once('drain', () => upstream.resume())
      }
    })
  }
}
