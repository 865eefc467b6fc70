// Sessions: declare expected artifacts, read state and what is missing, complete, list.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { parseEntityTags, strongTagValues } from '../headers.js'
import { problemResponses, SessionParams } from '../schemas/common.js'
import {
  CompleteRequest, ExpectedChangeRequest, SessionHeaders, SessionListQuery, SessionPage, SessionRecord, SessionRequest,
} from '../schemas/sessions.js'

export const sessionRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.put('/v1/sessions/:sid', {
    schema: {
      summary: 'Create or update a session: its expected artifacts (replaced), metadata and deadline',
      tags: ['sessions'],
      params: SessionParams,
      headers: SessionHeaders,
      body: SessionRequest,
      response: { 200: SessionRecord, 201: SessionRecord, ...problemResponses(400, 409, 412, 415, 422) },
    },
  }, async (req, reply) => {
    const ifMatch = parseEntityTags(req.headers['if-match'], 'If-Match')
    const { session, created } = ledger.putSession(req.params.sid, req.body, ifMatch === undefined ? {} : { ifMatch: strongTagValues(ifMatch).map(quoted) })
    return reply.code(created ? 201 : 200).header('ETag', session.etag).send(session)
  })

  app.post('/v1/sessions/:sid/expected', {
    schema: {
      summary: 'Add and remove expected artifacts atomically: concurrent changes never lose a name',
      tags: ['sessions'],
      params: SessionParams,
      body: ExpectedChangeRequest,
      response: { 200: SessionRecord, ...problemResponses(400, 415, 422) },
    },
  }, async (req, reply) => {
    const session = ledger.changeExpected(req.params.sid, req.body)
    return reply.header('ETag', session.etag).send(session)
  })

  app.get('/v1/sessions/:sid', {
    schema: {
      summary: 'A session: state, head, artifacts, expected and missing artifacts',
      tags: ['sessions'],
      params: SessionParams,
      response: { 200: SessionRecord, ...problemResponses(404, 422) },
    },
  }, async (req, reply) => {
    const session = ledger.getSession(req.params.sid)
    return reply.header('ETag', session.etag).send(session)
  })

  app.post('/v1/sessions/:sid/complete', {
    config: { acceptsEmptyBody: true },
    // A bare POST (no body, or an empty one) closes the session without a failure report.
    preValidation: async (req) => {
      req.body ??= {}
    },
    schema: {
      summary: 'Close a session: complete, or incomplete with the missing names; with {error}, the writer reports that it failed',
      tags: ['sessions'],
      params: SessionParams,
      body: CompleteRequest,
      response: { 200: SessionRecord, ...problemResponses(400, 404, 415, 422) },
    },
  }, async (req, reply) => {
    const session = ledger.completeSession(req.params.sid, req.body.error)
    return reply.header('ETag', session.etag).send(session)
  })

  app.get('/v1/sessions', {
    schema: {
      summary: 'Sessions by id, cursor-paginated, optionally by state',
      tags: ['sessions'],
      querystring: SessionListQuery,
      response: { 200: SessionPage, ...problemResponses(400) },
    },
  }, async (req) => {
    const { state, cursor, limit } = req.query
    return ledger.listSessions({ limit, ...(state === undefined ? {} : { state }), ...(cursor === undefined ? {} : { cursor }) })
  })
}

/** strongTagValues drops the quotes; session ETags are compared with them. */
function quoted(tag: string): string {
  return tag === '*' ? tag : `"${tag}"`
}
