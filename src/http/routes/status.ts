// GET /v1/status: what an operator wants at a glance.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { StatusReport } from '../schemas/status.js'

export const statusRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.get('/v1/status', {
    schema: {
      summary: 'Service status: commit counts, last commit and failure, storage, incomplete sessions, scrub, canary',
      tags: ['status'],
      response: { 200: StatusReport },
    },
  }, async () => ledger.status())
}
