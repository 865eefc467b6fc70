// Sessions: declare expected artifacts, read state and what is missing, complete, list.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { problemResponses, SessionParams } from '../schemas/common.js'
import { SessionListQuery, SessionPage, SessionRecord, SessionRequest } from '../schemas/sessions.js'

export const sessionRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  // `POST …/complete` carries no body; tolerate clients that still send an empty JSON one.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body.toString()
    if (text === '') {
      done(null, undefined)
      return
    }
    // The default parser reports through `done`, never through its return value.
    void parseJson(req, text, done)
  })

  app.put('/v1/sessions/:sid', {
    schema: {
      summary: 'Create or update a session: its expected artifacts and metadata',
      tags: ['sessions'],
      params: SessionParams,
      body: SessionRequest,
      response: { 200: SessionRecord, 201: SessionRecord, ...problemResponses(400, 422) },
    },
  }, async (req, reply) => {
    const { session, created } = ledger.putSession(req.params.sid, req.body)
    return reply.code(created ? 201 : 200).header('ETag', session.etag).send(session)
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
    schema: {
      summary: 'Close a session: it becomes complete, or incomplete with the missing names',
      tags: ['sessions'],
      params: SessionParams,
      response: { 200: SessionRecord, ...problemResponses(404, 422) },
    },
  }, async (req, reply) => {
    const session = ledger.completeSession(req.params.sid)
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
