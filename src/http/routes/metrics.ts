// GET /metrics: Prometheus text exposition of this app's registry.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { createLedgerMetrics } from '../metrics-registry.js'
import { problemResponses } from '../schemas/common.js'

export const metricsRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  const metrics = createLedgerMetrics(ledger)

  app.get('/metrics', {
    logLevel: 'warn',
    schema: {
      summary: 'Prometheus metrics: commits, latency, bytes, integrity problems, sessions, disk, scrub, canary, readiness',
      description: 'Prometheus text exposition, for scraping. Public unless METRICS_REQUIRE_TOKEN=true, then it needs a read token.',
      operationId: 'getMetrics',
      tags: ['metrics'],
      response: {
        200: {
          description: 'Prometheus text exposition format 0.0.4',
          content: { 'text/plain': { schema: Type.String() } },
        },
        // A scrape that cannot read the ledger fails loudly rather than reporting stale or zero values.
        ...problemResponses(),
      },
    },
  }, async (_req, reply) => reply.type(metrics.register.contentType).send(await metrics.render()))
}
