// A cap on write request bodies received at once (MAX_CONCURRENT_UPLOADS): each holds a socket, staged
// files and memory, so past the cap a writer is told to retry (503 + Retry-After) instead of the
// service running out of file handles and failing writes that had already started.
import type { FastifyInstance } from 'fastify'
import { TooManyUploads } from '../domain/errors.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route receives an artifact body: it takes an upload slot for as long as the request lasts. */
    usesUploadSlot?: boolean
  }
}

export function registerUploadSlots(app: FastifyInstance, limit: number): void {
  let inUse = 0
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config.usesUploadSlot !== true) return
    if (inUse >= limit) {
      throw new TooManyUploads(`all ${limit} upload slots are in use; retry shortly`, { limit })
    }
    inUse++
    // 'close' fires exactly once for every response, sent, failed or abandoned by its client.
    reply.raw.once('close', () => {
      inUse--
    })
  })
}
