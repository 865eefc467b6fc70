// Reading request bodies so that a client which stalls or vanishes is noticed: the idle timer runs only
// while the service waits for the next chunk (never while it is busy writing one), and a stall or a
// disconnect is the client's error, never the service's.
import type { Readable } from 'node:stream'
import { ClientDisconnected, ClientTimeout, LedgerError, PayloadTooLarge } from '../domain/errors.js'

export interface BodyReadOptions {
  /** A body that delivers no byte for this long is cut off with client_timeout (408). */
  idleMs: number
}

function disconnected(error: unknown): LedgerError {
  return new ClientDisconnected(`the client went away before the request body was complete (${error instanceof Error ? error.message : 'stream error'})`)
}

/**
 * The body's chunks. A stall of `idleMs` ends iteration with ClientTimeout and leaves the socket open, so
 * the 408 can still reach a client that listens; a reset or early close ends it with ClientDisconnected.
 */
export async function* bodyChunks(source: Readable, options: BodyReadOptions): AsyncGenerator<Buffer> {
  // Not destroyed on return: the connection must outlive the body to carry the answer.
  const chunks = source.iterator({ destroyOnReturn: false })
  let pending: Promise<IteratorResult<unknown>> | undefined
  try {
    for (;;) {
      const next = chunks.next()
      pending = next
      let timer: NodeJS.Timeout | undefined
      const stalled = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          reject(new ClientTimeout(`the request body made no progress for ${options.idleMs} ms`, { idleTimeoutMs: options.idleMs }))
        }, options.idleMs)
      })
      let result: IteratorResult<unknown>
      try {
        result = await Promise.race([next, stalled])
      } catch (error) {
        throw error instanceof LedgerError ? error : disconnected(error)
      } finally {
        clearTimeout(timer)
      }
      pending = undefined
      if (result.done === true) return
      yield result.value as Buffer
    }
  } finally {
    if (pending === undefined) {
      await chunks.return?.()
    } else {
      // A read is still outstanding (the body stalled): return() would wait for it, which is for as long
      // as the client keeps the connection open. It settles when the socket closes; by then this same
      // failure has been answered, so its outcome is only observed, not reported twice.
      pending.then(undefined, (late: unknown) => late)
    }
  }
}

/** The whole body, at most `limit` bytes (413 beyond: counted as it arrives, and from Content-Length up front). */
export async function readBody(source: Readable, declaredLength: number | undefined, options: BodyReadOptions & { limit: number }): Promise<Buffer> {
  const tooLarge = (): PayloadTooLarge => new PayloadTooLarge(`the request body is larger than the ${options.limit}-byte limit`, { limit: options.limit })
  if (declaredLength !== undefined && declaredLength > options.limit) throw tooLarge()
  const parts: Buffer[] = []
  let size = 0
  for await (const chunk of bodyChunks(source, options)) {
    size += chunk.byteLength
    if (size > options.limit) throw tooLarge()
    parts.push(chunk)
  }
  if (!source.readableEnded && (source as Readable & { complete?: boolean }).complete === false) throw disconnected(new Error('the body ended early'))
  return Buffer.concat(parts, size)
}
