// Requests Node's HTTP parser refuses before a route runs are answered as problem+json like every other error.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import { parseResponse, RawConnection, requestHead, type RawResponse } from '../support/raw-http.js'

let t: ListeningLedger
beforeEach(async () => {
  t = await startListeningLedger()
})
afterEach(async () => {
  await t.cleanup()
})

/** Sends `bytes` on a fresh connection and reads everything until the server closes it. */
async function sendAndReadUntilClosed(bytes: string | Buffer): Promise<RawResponse> {
  const connection = await RawConnection.open(t.port)
  await connection.write(bytes)
  const received = await connection.untilClosed()
  const answer = parseResponse(received, true)
  if (answer === undefined) throw new Error(`no HTTP response before the close; received: ${JSON.stringify(received.toString('latin1'))}`)
  return answer
}

function expectProblem(answer: RawResponse, status: number, code: string): void {
  expect(answer.status).toBe(status)
  expect(answer.headers['content-type']).toBe('application/problem+json')
  expect(answer.headers['connection']).toBe('close')
  expect(JSON.parse(answer.body)).toMatchObject({ status, code, type: `urn:artifact-ledger:problem:${code.replaceAll('_', '-')}` })
}

describe('errors of the HTTP parser', () => {
  it('answers a chunked body with an invalid chunk size 400 malformed_request as problem+json, and closes the connection', async () => {
    const head = requestHead('POST', '/v1/sessions/s1/commits', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })
    const answer = await sendAndReadUntilClosed(`${head}zz\r\n{"artifacts":[]}\r\n0\r\n\r\n`)
    expectProblem(answer, 400, 'malformed_request')
  })

  it('answers a header block over the parser limit 431 headers_too_large as problem+json', async () => {
    const answer = await sendAndReadUntilClosed(requestHead('GET', '/health/live', { 'x-padding': 'a'.repeat(20_000) }))
    expectProblem(answer, 431, 'headers_too_large')
  })

  it('answers a raw 0xFF byte in the request path 400 malformed_request as problem+json', async () => {
    const head = Buffer.from(requestHead('GET', '/v1/sessions/s\u00ff1', {}), 'latin1')
    expect(head.includes(0xff)).toBe(true)
    const answer = await sendAndReadUntilClosed(head)
    expectProblem(answer, 400, 'malformed_request')
  })

  it('answers a malformed percent-escape in the path 400 invalid_url as problem+json', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/sessions/%zz' })
    expect(res.statusCode).toBe(400)
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8')
    expect(res.json()).toMatchObject({ status: 400, code: 'invalid_url' })
  })
})
