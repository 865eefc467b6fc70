// GET /v1/events as an async iterator of log entries: the SSE frames parsed, each record checked against
// the route's schema, and a dropped stream reopened with Last-Event-ID, so the caller sees every ended
// entry once, in seq order, across reconnects.
import type { Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import type { IncomingMessage } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { CommitRecord } from '../http/schemas/commits.js'
import { ContractMismatch } from './errors.js'
import { withRetries, type RetryEvent, type RetryPolicy } from './retry.js'
import { problemFrom, readAll, type Transport } from './transport.js'

export interface EventsOptions {
  /** Start after this seq; without it, at the log's current end (only new entries). */
  since?: number
  /** Only this session's entries. */
  session?: string
  /** Ends the iteration (and its connection). */
  signal?: AbortSignal
}

/** What the stream needs of the client: its transport and how it retries opening a stream. */
export interface EventStreamParts {
  transport: Transport
  retry: RetryPolicy
  onRetry: ((event: RetryEvent) => void) | undefined
}

/** Before the service has said (its `retry:` field), wait this long to reconnect after a dropped stream. */
const DEFAULT_RECONNECT_MS = 2000

interface Frame {
  id?: string
  data?: string
  retry?: string
}

export async function* followEvents(source: EventStreamParts, options: EventsOptions = {}): AsyncGenerator<Static<typeof CommitRecord>> {
  const { signal } = options
  // A function, not a field read: the signal aborts between reads, which narrowing would not see.
  const aborted = (): boolean => signal?.aborted === true
  let lastId = options.since === undefined ? undefined : String(options.since)
  let reconnectMs = DEFAULT_RECONNECT_MS
  while (!aborted()) {
    const query = options.session === undefined ? '' : `?session=${encodeURIComponent(options.session)}`
    const response = await withRetries(source.retry, async () => {
      const opened = await source.transport.open({
        method: 'GET', path: `/v1/events${query}`,
        headers: { accept: 'text/event-stream', ...(lastId === undefined ? {} : { 'last-event-id': lastId }) },
      })
      const status = opened.statusCode ?? 0
      if (status >= 400) throw problemFrom(status, opened.headers, await readAll(opened))
      return opened
    }, source.onRetry)
    const stop = (): void => {
      response.destroy()
    }
    signal?.addEventListener('abort', stop, { once: true })
    try {
      for await (const frame of frames(response)) {
        if (frame.retry !== undefined && /^\d+$/.test(frame.retry)) reconnectMs = Number(frame.retry)
        if (frame.data === undefined) continue
        const record = parseRecord(frame.data)
        if (frame.id !== undefined) lastId = frame.id
        yield record
      }
    } catch (error) {
      // A dropped connection is what the reconnect is for; anything else (a bad record) is the caller's to see.
      if (error instanceof ContractMismatch) throw error
    } finally {
      signal?.removeEventListener('abort', stop)
      response.destroy()
    }
    if (aborted()) return
    // The pause only rejects when the caller aborts, and the loop then ends on aborted(): nothing to report.
    await sleep(reconnectMs, undefined, signal === undefined ? {} : { signal }).catch(() => undefined)
  }
}

function parseRecord(data: string): Static<typeof CommitRecord> {
  let value: unknown
  try {
    value = JSON.parse(data)
  } catch {
    throw new ContractMismatch('an event\'s data is not JSON', { data: data.slice(0, 500) })
  }
  if (!Value.Check(CommitRecord, value)) {
    const first = Value.Errors(CommitRecord, value).First()
    throw new ContractMismatch(`an event is not a log entry: ${first?.path ?? ''} ${first?.message ?? ''}`, { data: data.slice(0, 500) })
  }
  return value
}

/** The SSE frames of a response (RFC: lines up to a blank one; `:` lines are comments, skipped). */
async function* frames(response: IncomingMessage): AsyncGenerator<Frame> {
  response.setEncoding('utf8')
  let buffer = ''
  let frame: Frame = {}
  for await (const chunk of response as AsyncIterable<string>) {
    buffer += chunk
    let end: number
    while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1))
      if (line === '') {
        if (frame.data !== undefined || frame.retry !== undefined) yield frame
        frame = {}
        continue
      }
      if (line.startsWith(':')) continue
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
      if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`
      else if (field === 'id' || field === 'retry') frame[field] = value
    }
  }
}
