// GET /v1/status: what an operator wants at a glance.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'

export const statusRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (_app, _options) => {}
