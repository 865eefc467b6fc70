// POST /v1/verify: re-read and hash everything (or one session) and report what is wrong.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { BODY_OPTIONAL } from '../openapi.js'
import { jsonResponse, problemResponses } from '../schemas/common.js'
import { VerifyQuery, VerifyReport, VerifyRequest } from '../schemas/verify.js'

export const verifyRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.post('/v1/verify', {
    // A bare POST (no body at all) means "verify everything".
    preValidation: async (req) => {
      req.body ??= {}
    },
    schema: {
      summary: 'Re-read and hash every stored file; report missing, corrupt and orphaned files',
      description: 'A bare POST verifies everything and repairs plain files from intact objects; {repair: false} only reports.',
      operationId: 'verifyStorage',
      [BODY_OPTIONAL]: true,
      tags: ['verify'],
      querystring: VerifyQuery,
      body: VerifyRequest,
      response: { 200: jsonResponse('what was checked and found', VerifyReport), ...problemResponses(400, 404, 408, 413, 415, 422) },
    },
  }, async (req) => ledger.verify({
    sessionId: req.body.sessionId ?? req.body.session ?? req.query.session,
    repair: req.body.repair ?? req.query.repair ?? true,
    repairObjects: req.body.repairObjects ?? false,
  }))
}
