// POST a commit, and read the transaction log.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { InvalidQuery } from '../../domain/errors.js'
import { parseEntityTags } from '../headers.js'
import { DEFAULT_PAGE_LIMIT, jsonResponse, problemResponses, SessionParams } from '../schemas/common.js'
import { commitCreatedResponse, CommitHeaders, CommitIdParams, CommitListQuery, CommitPage, CommitRequest, CommitWithTransitions } from '../schemas/commits.js'
import { sendCommitOutcome } from './commit-reply.js'

export const commitRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.post('/v1/sessions/:sid/commits', {
    config: { recordsFailedCommit: true, usesUploadSlot: true },
    schema: {
      summary: 'Commit one or more artifacts atomically',
      description: 'All or nothing: the 201 comes only after every byte is durable, read back with the right SHA-256 and the commit is `committed` in the log. ' +
        'Any failure is a problem and a `failed` entry (its id in `commitId`). `expect` adds names to the session\'s expected artifacts in the same transaction.',
      operationId: 'commitArtifacts',
      tags: ['commits'],
      params: SessionParams,
      headers: CommitHeaders,
      body: CommitRequest,
      response: {
        201: commitCreatedResponse('committed: the commit record, with each artifact\'s version, sha256 and size'),
        ...problemResponses(400, 408, 409, 412, 413, 415, 422, 503, 507),
      },
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
      summary: 'The log: every entry (commits and session changes), oldest first, cursor-paginated by seq',
      description: 'Each page holds up to `limit` entries in seq order; pass its `nextCursor` as `cursor` for the next page, until nextCursor is null. ' +
        'Filters: session, state, kind, and since (a seq, or an RFC 3339 time). An unknown filter or a malformed value is a 400 naming it.',
      operationId: 'listLogEntries',
      tags: ['commits'],
      querystring: CommitListQuery,
      response: { 200: jsonResponse('a page of log entries; nextCursor is null on the last page', CommitPage), ...problemResponses(400) },
    },
  }, async (req) => {
    const { session, state, kind, since, cursor, limit } = req.query
    return ledger.listCommits({
      limit: limit ?? DEFAULT_PAGE_LIMIT,
      ...(session === undefined ? {} : { sessionId: session }),
      ...(state === undefined ? {} : { state }),
      ...(kind === undefined ? {} : { kind }),
      ...(since === undefined ? {} : parseSince(since)),
      ...(cursor === undefined ? {} : { cursor }),
    })
  })

  app.get('/v1/commits/:id', {
    schema: {
      summary: 'One log entry with its state transitions and, if it failed or was aborted, the error',
      description: 'The id is the one in a commit\'s Location header, or a problem\'s commitId for a write that failed. 404 when no entry has it.',
      operationId: 'getLogEntry',
      tags: ['commits'],
      params: CommitIdParams,
      response: { 200: jsonResponse('the entry and its transitions', CommitWithTransitions), ...problemResponses(400, 404) },
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
