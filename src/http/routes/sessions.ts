// Sessions: declare expected artifacts, read state and what is missing, complete, list.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'

export const sessionRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (_app, _options) => {}
