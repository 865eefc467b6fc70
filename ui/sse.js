// Server-sent events over fetch(), so the stream can carry an Authorization header (EventSource cannot).
// The parser follows the WHATWG event-stream rules: lines end in CRLF, LF or CR; `:` starts a comment;
// data lines join with LF; an empty line dispatches; `id` persists as the last event id; `retry` sets the delay.

export class SseParser {
  constructor() {
    this.buffer = ''
    this.data = []
    this.eventType = ''
    this.lastEventId = ''
    this.retryMs = undefined
    this.pendingCr = false
  }

  /** Feeds decoded text; returns the events it completes, each { id, event, data }. */
  feed(text) {
    const events = []
    let chunk = text
    // A CR at the end of the last chunk and an LF at the start of this one are one line end.
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1)
    this.pendingCr = chunk.endsWith('\r')
    this.buffer += chunk
    const lines = this.buffer.split(/\r\n|\r|\n/)
    this.buffer = lines.pop() ?? ''
    for (const line of lines) this.line(line, events)
    return events
  }

  line(line, events) {
    if (line === '') {
      if (this.data.length > 0) events.push({ id: this.lastEventId, event: this.eventType || 'message', data: this.data.join('\n') })
      this.data = []
      this.eventType = ''
      return
    }
    if (line.startsWith(':')) return
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.eventType = value
    else if (field === 'id' && !value.includes('\0')) this.lastEventId = value
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value)
  }
}

/**
 * Follows an event stream until `signal` aborts: reconnects after the server's retry delay, resuming with
 * Last-Event-ID so no entry is lost or repeated. `onStatus` hears 'open', 'closed' and errors (an ApiError-like
 * { code, detail } from a problem+json answer, which ends the stream: a 401 or 404 will not heal by retrying).
 */
export async function followEvents(url, { headers = {}, signal, onEvent, onStatus = () => {}, lastEventId = '' }) {
  let resumeFrom = lastEventId
  let retryMs = 2000
  while (!signal.aborted) {
    const parser = new SseParser()
    try {
      const response = await fetch(url, { headers: { ...headers, accept: 'text/event-stream', ...(resumeFrom === '' ? {} : { 'last-event-id': resumeFrom }) }, signal, cache: 'no-store' })
      if (!response.ok) {
        const body = /json/.test(response.headers.get('content-type') ?? '') ? await response.json().catch(() => null) : null
        const problem = { status: response.status, code: body?.code ?? `http_${response.status}`, detail: body?.detail ?? '' }
        onStatus('error', problem)
        // Too many subscribers or not ready: worth another try later; anything else is not.
        if (response.status !== 503) return
      } else {
        onStatus('open')
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          for (const event of parser.feed(value)) {
            resumeFrom = event.id || resumeFrom
            onEvent(event)
          }
          retryMs = parser.retryMs ?? retryMs
        }
        onStatus('closed')
      }
    } catch (error) {
      if (signal.aborted) return
      onStatus('error', { code: 'network_error', detail: String(error?.message ?? error) })
    }
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, retryMs)
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve() }, { once: true })
    })
  }
}
