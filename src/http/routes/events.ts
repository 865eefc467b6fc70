// GET /v1/events: the tail of the log as Server-Sent Events, one event per ended entry, `id` = its seq.
import { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { CommitRecord } from '../../domain/model.js'
import type { Ledger } from '../../ledger/ledger.js'
import type { Subscription } from '../../ledger/event-tail.js'
import { problemResponses, SessionId } from '../schemas/common.js'

/** What the client waits before reconnecting after the stream ends (the SSE `retry:` field). */
export const EVENTS_RETRY_MS = 2000
export const DEFAULT_EVENTS_HEARTBEAT_MS = 15_000

const Seq = (description: string) => Type.String({ pattern: '^[0-9]{1,15}$', description })

const EventsQuery = Type.Object({
  session: Type.Optional(SessionId),
  since: Type.Optional(Seq('a seq: start after it (for clients that cannot set Last-Event-ID, which wins over it)')),
}, { additionalProperties: false })

const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(Seq('the id (seq) of the last event received: the stream resumes at the first entry after it')),
})

const DESCRIPTION = [
  'Server-Sent Events (`text/event-stream`), the tail of the log. `retry: 2000` comes first; then one event per log entry, in seq order,',
  'once the entry has ended (committed, failed or aborted):',
  '',
  '```',
  'id: <seq>',
  'data: <the entry as JSON: the CommitRecord that GET /v1/commits lists>',
  '',
  '```',
  '',
  'There is no `event:` field: the record\'s `kind` and `state` say what it is. An entry is sent only once every entry of the stream with a smaller',
  'seq has ended too (a pending entry holds back the ones after it), so after `Last-Event-ID: N` every entry up to N has been delivered and',
  'the resumed stream starts at the first entry after N: no gap and no repeat. `Last-Event-ID` wins over `since`; without either the stream',
  'starts at the log\'s current end. `session` keeps one session\'s entries; the canary\'s entries show only when `session` names it.',
  'A `: heartbeat` comment comes every EVENTS_HEARTBEAT_MS (default 15000). At most MAX_EVENT_SUBSCRIBERS streams are open at once;',
  'beyond, 503 `too_many_subscribers` with Retry-After. Streams end when the service shuts down: reconnect with Last-Event-ID.',
].join('\n')

export interface EventRouteOptions {
  ledger: Ledger
  heartbeatMs: number
}

export const eventRoutes: FastifyPluginAsyncTypebox<EventRouteOptions> = async (app, { ledger, heartbeatMs }) => {
  // Server.close waits for every open response: the streams end first, so they do not hold shutdown up.
  app.addHook('preClose', async () => {
    ledger.events.close()
  })

  app.get('/v1/events', {
    schema: {
      summary: 'The tail of the log as Server-Sent Events: one event per ended entry, id = its seq; Last-Event-ID resumes without a gap or a repeat',
      description: DESCRIPTION,
      operationId: 'streamEvents',
      tags: ['commits'],
      querystring: EventsQuery,
      headers: EventsHeaders,
      response: {
        200: {
          description: 'the event stream; it stays open until the client leaves or the service shuts down',
          content: { 'text/event-stream': { schema: Type.Unsafe<Readable>({ type: 'string', description: 'SSE: `id: <seq>` and `data: <CommitRecord JSON>` per entry, `: heartbeat` comments' }) } },
        },
        ...problemResponses(400, 503),
      },
    },
  }, async (req, reply) => {
    const from = req.headers['last-event-id'] ?? req.query.since
    const subscription = ledger.events.subscribe({
      ...(from === undefined ? {} : { afterSeq: Number(from) }),
      ...(req.query.session === undefined ? {} : { sessionId: req.query.session }),
    })
    const stream = sseStream(subscription, heartbeatMs, (error) => {
      req.log.error({ err: error }, 'event stream failed')
    })
    return reply
      .type('text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      // Proxies that buffer responses (nginx) would hold events back.
      .header('x-accel-buffering', 'no')
      .send(stream)
  })
}

/** The SSE framing of one subscription; destroying the stream (the client left) ends the subscription. */
function sseStream(subscription: Subscription, heartbeatMs: number, onError: (error: unknown) => void): Readable {
  let wanted: () => void = () => undefined
  const stream = new Readable({
    read() {
      wanted()
    },
    destroy(error, callback) {
      clearInterval(heartbeat)
      subscription.end()
      wanted()
      callback(error)
    },
  })
  const heartbeat = setInterval(() => stream.push(': heartbeat\n\n'), heartbeatMs)
  stream.push(`retry: ${EVENTS_RETRY_MS}\n\n`)
  void (async () => {
    try {
      for await (const entry of subscription.entries) {
        if (stream.destroyed) break
        // A slow reader: wait until it has taken what is buffered rather than buffer the whole log.
        if (!stream.push(frame(entry))) await new Promise<void>((resolve) => { wanted = resolve })
      }
    } catch (error) {
      onError(error)
    } finally {
      clearInterval(heartbeat)
      subscription.end()
      if (!stream.destroyed) stream.push(null)
    }
  })()
  return stream
}

function frame(entry: CommitRecord): string {
  return `id: ${entry.seq}\ndata: ${JSON.stringify(entry)}\n\n`
}
