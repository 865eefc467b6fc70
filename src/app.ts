// buildApp: plugins, routes and the error map around a ledger. It never listens.
import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { isValidSessionId } from './domain/names.js'
import type { Ledger } from './ledger/ledger.js'
import { registerAuth, type AuthSettings } from './http/auth.js'
import { readBody } from './http/body-reader.js'
import { answerClientError } from './http/client-errors.js'
import { swaggerOptions } from './http/openapi.js'
import { problem, sendProblem, toProblem } from './http/problem.js'
import { parseStrictJson } from './http/strict-json.js'
import { jsonResponse, problemResponses } from './http/schemas/common.js'
import { Type } from '@sinclair/typebox'
import { registerUploadSlots } from './http/upload-slots.js'
import { ShuttingDown, UnsupportedCharset, UnsupportedContentEncoding } from './domain/errors.js'
import { artifactRoutes } from './http/routes/artifacts.js'
import { commitRoutes } from './http/routes/commits.js'
import { healthRoutes } from './http/routes/health.js'
import { metricsRoutes } from './http/routes/metrics.js'
import { sessionRoutes } from './http/routes/sessions.js'
import { statusRoutes } from './http/routes/status.js'
import { verifyRoutes } from './http/routes/verify.js'
import { gcRoutes } from './http/routes/gc.js'
import { loadUiFiles, uiRoutes } from './http/routes/ui.js'
import { DEFAULT_EVENTS_HEARTBEAT_MS, eventRoutes } from './http/routes/events.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A failure on this route is recorded as a `failed` commit, so rejected writes are visible in the log. */
    recordsFailedCommit?: boolean
    /** An empty JSON body is taken as no body (for `POST …/complete`, which may carry one or not). */
    acceptsEmptyBody?: boolean
  }
}

export interface AppOptions {
  ledger: Ledger
  bodyLimitBytes: number
  maxArtifactBytes: number
  /** A request body that makes no progress this long is cut off (client_timeout); default 30 s. */
  bodyIdleTimeoutMs?: number
  /** Write request bodies received at once; beyond, 503 too_many_uploads; default 128. */
  maxConcurrentUploads?: number
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
  /** Bearer-token auth; without tokens every route is open (main.ts allows that only on loopback). */
  auth?: AuthSettings
  /** A `: heartbeat` comment on every event stream this often; default 15 s. */
  eventsHeartbeatMs?: number
}

export type App = FastifyInstance<Server, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/**
 * Failures not worth a log entry: no trust (auth), or nothing was tried (the service was not taking writes, or
 * a duplicate Idempotency-Key gave up waiting for the attempt holding it: that attempt's entry is the one).
 */
const UNRECORDED_CODES = new Set(['unauthorized', 'forbidden', 'not_ready', 'shutting_down', 'too_many_uploads', 'idempotency_key_in_flight'])

/** The only Content-Encoding taken: any other would store the encoded bytes instead of what was meant. */
function assertIdentityEncoding(header: string | undefined): void {
  if (header === undefined) return
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity')
  if (codings.length > 0) {
    throw new UnsupportedContentEncoding(`Content-Encoding ${header} is not decoded by this service: send the body unencoded`, { field: 'Content-Encoding' })
  }
}

/** JSON bodies are UTF-8 (RFC 8259); a body declared in another charset would be read as something else. */
function assertUtf8Charset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1]
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new UnsupportedCharset(`charset ${charset} is not accepted: JSON bodies must be UTF-8`, { field: 'Content-Type' })
  }
}

export async function buildApp(options: AppOptions): Promise<App> {
  const { ledger } = options
  const loggerOption = options.logger ?? false
  const app = Fastify({
    ...(typeof loggerOption === 'object' && loggerOption !== null && 'child' in loggerOption
      ? { loggerInstance: loggerOption }
      : { logger: loggerOption }),
    bodyLimit: options.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    // Fastify's own 503 while closing is a bare JSON body; ours (below) is problem+json like every error.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // A 128-character session id or a 512-byte name, percent-encoded, is far longer than the
    // router's default limit of 100 characters per parameter.
    routerOptions: { maxParamLength: 4096 },
    // Errors raised before routing (a malformed %-escape) are problem+json like every other.
    frameworkErrors: (error, req, reply) => {
      void sendProblem(req, reply, toProblem(error).problem)
    },
    // And so are those of the HTTP parser, before a request exists (bad chunking, oversized headers).
    clientErrorHandler: answerClientError,
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Every JSON body is read here: I-JSON or refused (duplicate names, bad UTF-8, numbers that would
  // change), UTF-8 only, size-capped as it arrives, and cut off when the client stalls.
  const idleMs = options.bodyIdleTimeoutMs ?? 30_000
  // Every other route takes JSON only: a text/plain body is a 415 at once, not read (without an idle
  // timer) only to fail validation.
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', async (req: FastifyRequest, payload: IncomingMessage) => {
    assertUtf8Charset(req.headers['content-type'])
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length'])
    const body = await readBody(payload, declared, { limit: options.bodyLimitBytes, idleMs })
    if (body.byteLength === 0 && req.routeOptions.config.acceptsEmptyBody === true) return undefined
    return parseStrictJson(body)
  })

  // Schemas reject, never repair: bodies are neither coerced nor stripped of unknown fields.
  // verbose: each error carries the schema it broke, so a broken name or session id gets the domain's own answer (problem.ts).
  const bodyAjv = addFormats(new Ajv({ allErrors: true, removeAdditional: false, useDefaults: false, coerceTypes: false, strict: false, verbose: true }))
  const paramAjv = addFormats(new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, coerceTypes: true, strict: false, verbose: true }))
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema))

  await app.register(swagger, swaggerOptions())

  // First onRequest hook, ahead of every route and the not-found handler: nothing runs for an unauthenticated caller.
  if (options.auth !== undefined && options.auth.tokens.length > 0) registerAuth(app, options.auth)
  app.addHook('onRequest', async (req) => {
    if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') assertIdentityEncoding(req.headers['content-encoding'])
  })
  registerUploadSlots(app, options.maxConcurrentUploads ?? 128)
  // Once closing has begun, a request that still arrives on an open connection is told to go elsewhere.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  app.addHook('onRequest', async () => {
    if (closing) throw new ShuttingDown('the service is shutting down; retry against the next instance')
  })

  app.addHook('onSend', async (req, reply) => {
    reply.header('X-Request-Id', String(req.id))
  })

  app.setErrorHandler(async (error, req, reply) => {
    const { problem: body, unexpected } = toProblem(error)
    // A body we stopped reading (a refused upload) would otherwise sit in the socket and wedge the
    // next request on this keep-alive connection: close it once the answer is sent.
    if (!req.raw.complete) void reply.header('connection', 'close')
    if (body.status === 503) void reply.header('retry-after', '1')
    if (body.code === 'unsupported_content_encoding') void reply.header('accept-encoding', 'identity')
    if (unexpected || body.status >= 500) req.log.error({ err: error, code: body.code }, 'request failed')
    else req.log.info({ code: body.code, detail: body.detail }, 'request rejected')
    const sid = (req.params as { sid?: unknown } | undefined)?.sid
    if (req.routeOptions.config.recordsFailedCommit === true && body.commitId === undefined && !UNRECORDED_CODES.has(body.code) &&
      typeof sid === 'string' && isValidSessionId(sid)) {
      // Recorded even when the log is failing: then it is owed, and written once the log takes writes.
      body.commitId = await ledger.recordEnded(sid, { code: body.code, detail: body.detail, ...(body.field === undefined ? {} : { facts: { field: body.field } }) })
    }
    return sendProblem(req, reply, body)
  })

  app.setNotFoundHandler(async (req, reply) =>
    sendProblem(req, reply, problem('not_found', `no route for ${req.method} ${req.url.split('?')[0] ?? ''}`)))

  await app.register(healthRoutes, { ledger })
  await app.register(commitRoutes, { ledger })
  await app.register(artifactRoutes, { ledger, maxArtifactBytes: options.maxArtifactBytes, bodyIdleTimeoutMs: idleMs })
  await app.register(verifyRoutes, { ledger })
  await app.register(gcRoutes, { ledger })
  await app.register(sessionRoutes, { ledger })
  await app.register(statusRoutes, { ledger })
  await app.register(metricsRoutes, { ledger })
  await app.register(uiRoutes, { files: loadUiFiles() })
  await app.register(eventRoutes, { ledger, heartbeatMs: options.eventsHeartbeatMs ?? DEFAULT_EVENTS_HEARTBEAT_MS })

  app.get('/openapi.json', {
    schema: {
      summary: 'This document: the OpenAPI 3.1 contract the service serves (openapi.yaml in the repository is the same)',
      description: 'Generated from the route schemas the service validates with, so it cannot drift from what the service does. Never needs a token.',
      operationId: 'getOpenApiDocument',
      tags: ['contract'],
      response: { 200: jsonResponse('the OpenAPI 3.1 document', Type.Object({}, { additionalProperties: true })), ...problemResponses() },
    },
  }, async () => app.swagger())
  return app
}
