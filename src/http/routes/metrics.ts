// GET /metrics: Prometheus text exposition (filled in by the metrics work).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'

export const metricsRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (_app, _options) => {}
