// A raw Server-Sent Events reader for tests: a real HTTP request whose frames (events and comments) are
// parsed as they arrive, and a connection the test can cut at any moment.
import { request, type IncomingMessage } from 'node:http'

export interface SseFrame {
  id?: string
  data?: string
  retry?: string
  comment?: string
}

export interface SseConnection {
  status: number
  headers: IncomingMessage['headers']
  frames: SseFrame[]
  /** The entries (parsed data) of the events so far, in arrival order. */
  events(): { seq: number; record: Record<string, unknown> }[]
  /** Resolves once `predicate` holds for the frames so far (checked on every frame), or rejects after `ms`. */
  until(predicate: (frames: SseFrame[]) => boolean, ms?: number): Promise<void>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  /** Cuts the connection, as a client that dies would. */
  kill(): void
  /** The body when the answer was not a stream (a problem). */
  body(): Promise<string>
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: SseFrame[] = []
      const listeners = new Set<() => void>()
      let buffer = ''
      let raw = ''
      res.setEncoding('utf8')
      res.on('error', () => undefined)
      res.on('data', (chunk: string) => {
        raw += chunk
        buffer += chunk
        let end: number
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buffer.slice(0, end)))
          buffer = buffer.slice(end + 2)
        }
        for (const listener of [...listeners]) listener()
      })
      const ended = new Promise<void>((done) => {
        res.once('close', () => {
          done()
          for (const listener of [...listeners]) listener()
        })
      })
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        ended,
        events: () => frames.filter((f) => f.data !== undefined).map((f) => ({ seq: Number(f.id), record: JSON.parse(f.data ?? '') as Record<string, unknown> })),
        until: (predicate, ms = 10_000) => new Promise<void>((done, fail) => {
          const check = (): void => {
            if (!predicate(frames)) return
            clearTimeout(timer)
            listeners.delete(check)
            done()
          }
          const timer = setTimeout(() => {
            listeners.delete(check)
            fail(new Error(`the stream did not get there within ${ms} ms; frames: ${JSON.stringify(frames)}`))
          }, ms)
          listeners.add(check)
          check()
        }),
        kill: () => {
          req.destroy()
        },
        body: async () => {
          await ended
          return raw
        },
      })
    })
    req.on('error', reject)
    req.end()
  })
}

function parseFrame(text: string): SseFrame {
  const frame: SseFrame = {}
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) frame.comment = line.slice(1).trim()
    const match = /^(id|data|retry): ?(.*)$/.exec(line)
    if (match?.[1] !== undefined) frame[match[1] as 'id' | 'data' | 'retry'] = match[2] ?? ''
  }
  return frame
}
