// Errors Node's HTTP parser meets before any route runs (bad chunking, oversized headers, a stalled
// header block): answered as problem+json on the raw socket, like every other error.
import type { Socket } from 'node:net'
import { problem, type Problem } from './problem.js'

function describe(error: NodeJS.ErrnoException): Problem {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem('client_timeout', 'the request was not received in time')
    case 'HPE_HEADER_OVERFLOW':
      return problem('headers_too_large', 'the request headers are larger than the server accepts')
    case 'HPE_INVALID_CHUNK_SIZE':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
      return problem('malformed_request', `the request body framing is invalid (${error.code})`)
    default:
      return problem('malformed_request', `the request cannot be parsed as HTTP/1.1 (${error.code ?? 'parse error'})`)
  }
}

/** Fastify's clientErrorHandler: a problem+json answer when nothing was sent on the socket yet, then close it. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  // Node keeps the response in flight on the socket; once its headers are out, another answer would
  // corrupt the stream, so the connection is only closed.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (socket.writable && inFlight?.headersSent !== true) {
    const answer = describe(error)
    const body = JSON.stringify(answer)
    socket.write(`HTTP/1.1 ${answer.status} ${answer.title}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
}
