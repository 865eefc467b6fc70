// POST /v1/gc: garbage collection now, rather than at its next background run.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { jsonResponse, problemResponses } from '../schemas/common.js'
import { GcRecord } from '../schemas/status.js'

export const gcRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.post('/v1/gc', {
    schema: {
      summary: 'Run garbage collection now: delete objects no live version refers to, past the grace period',
      description: 'Joins a run already under way in this replica. Where replicas share a PostgreSQL log one collects at a time: ' +
        'while another replica collects, this request waits for that run to end and then runs, so the record answered is always of a whole run begun after the request ' +
        '(a replica whose timer fires meanwhile skips its run instead). An object is deleted only when no committed, unremoved version and no commit in flight refers to it and its upload and release are both older than GC_GRACE_SECONDS; ledger.db free pages are handed back in a bounded step.',
      operationId: 'runGc',
      tags: ['verify'],
      response: { 200: jsonResponse('what the run examined and reclaimed', GcRecord), ...problemResponses(507) },
    },
  }, async () => ledger.runGc())
}
