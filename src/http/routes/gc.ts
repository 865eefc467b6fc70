// POST /v1/gc: garbage collection now, rather than at its next background run.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { jsonResponse, problemResponses } from '../schemas/common.js'
import { GcRecord } from '../schemas/status.js'

export const gcRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.post('/v1/gc', {
    schema: {
      summary: 'Run garbage collection now: delete objects no live version refers to, past the grace period',
      description: 'Joins a run already under way. An object is deleted only when no committed, unremoved version and no commit in flight refers to it and its upload and release are both older than GC_GRACE_SECONDS; ledger.db free pages are handed back in a bounded step.',
      operationId: 'runGc',
      tags: ['verify'],
      response: { 200: jsonResponse('what the run examined and reclaimed', GcRecord), ...problemResponses(507) },
    },
  }, async () => ledger.runGc())
}
