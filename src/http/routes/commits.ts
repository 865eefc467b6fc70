// POST a commit, and read the transaction log.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { InvalidQuery } from '../../domain/errors.js'
import { parseEntityTags } from '../headers.js'
import { problemResponses, SessionParams } from '../schemas/common.js'
import { CommitHeaders, CommitIdParams, CommitListQuery, CommitPage, CommitRecord, CommitRequest, CommitWithTransitions } from '../schemas/commits.js'
import { sendCommitOutcome } from './commit-reply.js'

export const commitRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.post('/v1/sessions/:sid/commits', {
    config: { recordsFailedCommit: true, usesUploadSlot: true },
    schema: {
      summary: 'Commit one or more artifacts atomically',
      tags: ['commits'],
      params: SessionParams,
      headers: CommitHeaders,
      body: CommitRequest,
      response: { 201: CommitRecord, ...problemResponses(400, 404, 408, 409, 412, 413, 415, 422, 500, 503, 507) },
    },
  }, async (req, reply) => {
    const ifMatch = parseEntityTags(req.headers['if-match'], 'If-Match')
    const outcome = await ledger.commit(req.params.sid, req.body, {
      ...(req.headers['idempotency-key'] === undefined ? {} : { idempotencyKey: req.headers['idempotency-key'] }),
      ...(ifMatch === undefined ? {} : { ifMatch }),
    })
    return sendCommitOutcome(reply, outcome)
  })

  app.get('/v1/commits', {
    schema: {
      summary: 'The transaction log: every entry (commits and session changes), oldest first, cursor-paginated by seq',
      tags: ['commits'],
      querystring: CommitListQuery,
      response: { 200: CommitPage, ...problemResponses(400) },
    },
  }, async (req) => {
    const { session, state, kind, since, cursor, limit } = req.query
    return ledger.listCommits({
      limit,
      ...(session === undefined ? {} : { sessionId: session }),
      ...(state === undefined ? {} : { state }),
      ...(kind === undefined ? {} : { kind }),
      ...(since === undefined ? {} : parseSince(since)),
      ...(cursor === undefined ? {} : { cursor }),
    })
  })

  app.get('/v1/commits/:id', {
    schema: {
      summary: 'One commit with its state transitions and, if it failed, the error',
      tags: ['commits'],
      params: CommitIdParams,
      response: { 200: CommitWithTransitions, ...problemResponses(404) },
    },
  }, async (req) => ledger.getCommit(req.params.id))
}

/** `since` is a commit seq (only later commits) or an RFC 3339 time (commits created at or after it). */
function parseSince(since: string): { since: string } | { sinceSeq: number } {
  if (/^\d{1,15}$/.test(since)) return { sinceSeq: Number(since) }
  const time = Date.parse(since)
  if (!/^\d{4}-\d{2}-\d{2}T/.test(since) || Number.isNaN(time)) {
    throw new InvalidQuery('since must be a commit seq or an RFC 3339 date-time, e.g. 2026-11-25T00:00:00Z', { field: 'since' })
  }
  return { since: new Date(time).toISOString() }
}
