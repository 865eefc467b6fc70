// Sessions: declare expected artifacts, read state and what is missing, complete, list.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { assertCallerScope, callerName } from '../auth.js'
import { commitRecordResponse } from '../schemas/commits.js'
import { parseEntityTags, strongTagValues } from '../headers.js'
import { BODY_OPTIONAL } from '../openapi.js'
import { DEFAULT_PAGE_LIMIT, jsonResponse, problemResponses, sessionResponse, SessionParams } from '../schemas/common.js'
import {
  CompleteRequest, ExpectedChangeRequest, SessionHeaders, SessionListQuery, SessionPage, SessionRecord, SessionRequest,
} from '../schemas/sessions.js'

export const sessionRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.put('/v1/sessions/:sid', {
    schema: {
      summary: 'Create or update a session: its expected artifacts (replaced), metadata, deadline, retention and hold',
      description: 'expectedArtifacts replaces the list; to add or remove names without a lost update, use POST …/expected. ' +
        'With If-Match (the session ETag) the update applies only if the session has not changed since (412 otherwise). ' +
        'retention and hold need the admin scope (403 otherwise). A deleted session takes no change: 409 session_deleted.',
      operationId: 'putSession',
      tags: ['sessions'],
      params: SessionParams,
      headers: SessionHeaders,
      body: SessionRequest,
      response: {
        200: sessionResponse('updated', SessionRecord),
        201: sessionResponse('created', SessionRecord),
        ...problemResponses(400, 408, 409, 412, 413, 415, 422, 503),
      },
    },
  }, async (req, reply) => {
    if (req.body.retention !== undefined) assertCallerScope(req, 'admin', 'retention')
    if (req.body.hold !== undefined) assertCallerScope(req, 'admin', 'hold')
    const ifMatch = parseEntityTags(req.headers['if-match'], 'If-Match')
    const { session, created } = await ledger.putSession(req.params.sid, req.body, ifMatch === undefined ? {} : { ifMatch: strongTagValues(ifMatch).map(quoted) })
    return reply.code(created ? 201 : 200).header('ETag', session.etag).send(session)
  })

  app.post('/v1/sessions/:sid/expected', {
    schema: {
      summary: 'Add and remove expected artifacts atomically: concurrent changes never lose a name',
      description: 'Creates the session if needed. The same change twice is one change, so a retry is safe.',
      operationId: 'changeExpectedArtifacts',
      tags: ['sessions'],
      params: SessionParams,
      body: ExpectedChangeRequest,
      response: { 200: sessionResponse('the session after the change', SessionRecord), ...problemResponses(400, 408, 409, 413, 415, 422, 503) },
    },
  }, async (req, reply) => {
    const session = await ledger.changeExpected(req.params.sid, req.body)
    return reply.header('ETag', session.etag).send(session)
  })

  app.get('/v1/sessions/:sid', {
    schema: {
      summary: 'A session: state, deadline, how it closed, head, artifacts, expected and missing artifacts',
      description: 'A session past its deadline is never shown open: the service has closed it (closedBy deadline). `missing` lists the expected ' +
        'artifacts without a committed version. 404 when the session does not exist.',
      operationId: 'getSession',
      tags: ['sessions'],
      params: SessionParams,
      response: { 200: sessionResponse('the session, with its ETag', SessionRecord), ...problemResponses(400, 404, 422) },
    },
  }, async (req, reply) => {
    const session = await ledger.getSession(req.params.sid)
    return reply.header('ETag', session.etag).send(session)
  })

  app.delete('/v1/sessions/:sid', {
    schema: {
      summary: 'Delete a session (admin): it stays, state deleted; every version of every artifact answers 410',
      description: 'One log entry of kind delete (who, when, how many versions); the plain files go. The session record stays and takes no ' +
        'further change (409 session_deleted, also for a repeated DELETE). 409 held under a hold; 404 when the session does not exist.',
      operationId: 'deleteSession',
      tags: ['sessions'],
      params: SessionParams,
      response: { 200: commitRecordResponse('the delete entry'), ...problemResponses(400, 404, 409, 422, 503) },
    },
  }, async (req) => ledger.deleteSession(req.params.sid, callerName(req)))

  app.post('/v1/sessions/:sid/complete', {
    config: { acceptsEmptyBody: true },
    // A bare POST (no body, or an empty one) closes the session without a failure report.
    preValidation: async (req) => {
      req.body ??= {}
    },
    schema: {
      summary: 'Close a session: complete, or incomplete with the missing names; with {error}, the writer reports that it failed',
      description: 'Without a body (or {}), the session closes complete or incomplete; 404 when it does not exist. With {error}, it closes failed ' +
        'with that error, also when nothing was written to it yet. Closing a closed session again changes nothing.',
      operationId: 'completeSession',
      [BODY_OPTIONAL]: true,
      tags: ['sessions'],
      params: SessionParams,
      body: CompleteRequest,
      response: { 200: sessionResponse('the closed session', SessionRecord), ...problemResponses(400, 404, 408, 409, 413, 415, 422, 503) },
    },
  }, async (req, reply) => {
    const session = await ledger.completeSession(req.params.sid, req.body.error)
    return reply.header('ETag', session.etag).send(session)
  })

  app.get('/v1/sessions', {
    schema: {
      summary: 'Sessions by id, cursor-paginated, optionally by state',
      description: 'Each page holds up to `limit` sessions in id order; pass its `nextCursor` as `cursor` for the next page, until nextCursor is null.',
      operationId: 'listSessions',
      tags: ['sessions'],
      querystring: SessionListQuery,
      response: { 200: jsonResponse('a page of sessions; nextCursor is null on the last page', SessionPage), ...problemResponses(400) },
    },
  }, async (req) => {
    const { state, cursor, limit } = req.query
    return ledger.listSessions({ limit: limit ?? DEFAULT_PAGE_LIMIT, ...(state === undefined ? {} : { state }), ...(cursor === undefined ? {} : { cursor }) })
  })
}

/** strongTagValues drops the quotes; session ETags are compared with them. */
function quoted(tag: string): string {
  return tag === '*' ? tag : `"${tag}"`
}
