// GET /v1/status: what an operator wants at a glance.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { jsonResponse, problemResponses } from '../schemas/common.js'
import { StatusReport } from '../schemas/status.js'

export const statusRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.get('/v1/status', {
    schema: {
      summary: 'Service status: commit counts, last commit and failure, storage, sessions incomplete, failed and closed by deadline, scrub, canary',
      description: 'Counters kept in the same transactions as the data: the answer costs the same at any size of the log, and never holds up a commit.',
      operationId: 'getStatus',
      tags: ['status'],
      response: { 200: jsonResponse('the status report', StatusReport), ...problemResponses() },
    },
  }, async () => ledger.status())
}
