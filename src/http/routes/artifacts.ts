// Artifacts: streamed PUT, GET/HEAD with ETag, digests and ranges, listings, history and snapshots.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { PayloadTooLarge, RangeNotSatisfiable } from '../../domain/errors.js'
import type { ArtifactVersion } from '../../domain/model.js'
import type { Ledger } from '../../ledger/ledger.js'
import { callerName } from '../auth.js'
import { parseAtSeq, READ_WHOLE_BYTES, VERIFY_BEFORE_SEND_BYTES } from '../../ledger/reads.js'
import { bodyChunks } from '../body-reader.js'
import { digestHeader, parseContentDigest, parseEntityTags, parseRange, strongTagValues, weakMatch } from '../headers.js'
import { artifactHeaders, ArtifactList, ArtifactQuery, contentDigestHeader, ContentRangeHeader, ListQuery, PutHeaders, ReadHeaders } from '../schemas/artifacts.js'
import { commitCreatedResponse, commitRecordResponse } from '../schemas/commits.js'
import { ArtifactParams, problemResponses, type ResponseHeader, sessionResponse, SessionParams } from '../schemas/common.js'
import { sendCommitOutcome } from './commit-reply.js'

export interface ArtifactRouteOptions {
  ledger: Ledger
  maxArtifactBytes: number
  /** A body that makes no progress this long is cut off (client_timeout). */
  bodyIdleTimeoutMs: number
}

export const artifactRoutes: FastifyPluginAsyncTypebox<ArtifactRouteOptions> = async (app, { ledger, maxArtifactBytes, bodyIdleTimeoutMs }) => {
  // The PUT body is a raw stream whatever its type: it is hashed on its way to disk, never buffered.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_req, payload, done) => {
    done(null, payload)
  })

  app.put('/v1/sessions/:sid/artifacts/*', {
    config: { recordsFailedCommit: true, usesUploadSlot: true },
    schema: {
      summary: 'Upload one artifact as a raw streamed body',
      description: 'The body is streamed to disk and hashed while it arrives (never buffered whole); its size is counted against MAX_ARTIFACT_BYTES ' +
        'as it streams. Content-Type is kept as the artifact\'s media type; Content-Digest (sha-256) is checked. A commit of its own: 201 only once ' +
        'the bytes are durable, read back and logged.',
      operationId: 'putArtifact',
      tags: ['artifacts'],
      consumes: ['*/*'],
      params: ArtifactParams,
      headers: PutHeaders,
      body: Type.Unknown({ description: 'the raw bytes of the artifact' }),
      response: {
        201: commitCreatedResponse('committed: the commit record of this one artifact'),
        ...problemResponses(400, 408, 409, 412, 413, 415, 422, 503, 507),
      },
    },
  }, async (req, reply) => {
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (declared > maxArtifactBytes) {
      throw new PayloadTooLarge(`Content-Length ${declared} is over the ${maxArtifactBytes}-byte artifact limit`, { limit: maxArtifactBytes })
    }
    const expectedSha256 = parseContentDigest(req.headers['content-digest'])
    const ifNoneMatch = parseEntityTags(req.headers['if-none-match'], 'If-None-Match')
    const ifMatch = parseEntityTags(req.headers['if-match'], 'If-Match')
    const outcome = await ledger.put(req.params.sid, {
      name: req.params['*'],
      body: bodyChunks((req.body ?? req.raw) as Readable, { idleMs: bodyIdleTimeoutMs }),
      mediaType: req.headers['content-type'] ?? 'application/octet-stream',
      ...(expectedSha256 === undefined ? {} : { expectedSha256 }),
      ...(ifNoneMatch?.includes('*') === true ? { createOnly: true } : {}),
      ...(ifMatch === undefined ? {} : { ifMatchSha256: strongTagValues(ifMatch) }),
      ...(req.headers['idempotency-key'] === undefined ? {} : { idempotencyKey: req.headers['idempotency-key'] }),
    })
    return sendCommitOutcome(reply, outcome)
  })

  app.delete('/v1/sessions/:sid/artifacts/*', {
    schema: {
      summary: 'Delete an artifact (admin): every version of it answers 410 artifact_deleted',
      description: 'One log entry of kind delete (who, when, how many versions); the versions stay in the history, marked removed, and the ' +
        'plain file goes. The name may be committed again later: version numbers continue. A name already deleted answers 410 artifact_deleted ' +
        '(a retry can take it as done), one never committed 404; 409 held under a hold, 409 session_deleted in a deleted session.',
      operationId: 'deleteArtifact',
      tags: ['artifacts'],
      params: ArtifactParams,
      response: { 200: commitRecordResponse('the delete entry'), ...problemResponses(400, 404, 409, 410, 422, 503) },
    },
  }, async (req) => ledger.deleteArtifact(req.params.sid, req.params['*'], callerName(req)))

  app.get('/v1/sessions/:sid/artifacts', {
    schema: {
      summary: 'The latest version of each artifact, or the session as of a commit (?at=seq)',
      description: 'One consistent listing: with ?at=seq, every artifact as it was once that commit was made, whatever came later. ' +
        '404 when the session does not exist.',
      operationId: 'listArtifacts',
      tags: ['artifacts'],
      params: SessionParams,
      querystring: ListQuery,
      response: { 200: sessionResponse('the artifacts, with the session head ETag', ArtifactList), ...problemResponses(400, 404, 410, 422) },
    },
  }, async (req, reply) => {
    const listing = await ledger.listArtifacts(req.params.sid, parseAtSeq(req.query.at))
    return reply.header('ETag', listing.etag).send(listing)
  })

  const readSchema = {
    tags: ['artifacts'],
    params: ArtifactParams,
    querystring: ArtifactQuery,
    headers: ReadHeaders,
  }
  const readArtifact = {
    // HEAD has its own route: the automatic one would send Content-Length: 0 for a body we never read.
    exposeHeadRoute: false,
    schema: {
      ...readSchema,
      summary: 'An artifact’s bytes (latest, ?version=N or ?at=seq), or its version history with ?versions',
      description: 'The bytes come with their media type, ETag (the quoted sha256), Repr-Digest and Content-Digest (RFC 9530), Artifact-Version and ' +
        'Last-Modified; Range and If-None-Match are honoured. With `?versions` the answer is instead the VersionHistory as JSON. ' +
        'Bytes known to be corrupt are never served: 500 object_corrupt. A large artifact is hashed while it is sent, its last chunk held back ' +
        'until the digest is checked: when it does not match, the connection closes before Content-Length bytes have arrived, so a client never ' +
        'receives wrong bytes as a complete response (the next read answers 500 object_corrupt).',
      operationId: 'getArtifact',
      response: {
        200: {
          description: 'the artifact bytes in their own media type (with ?versions: a VersionHistory as application/json)',
          headers: artifactHeaders(false, contentDigestHeader('the SHA-256 of the bytes sent (not with ?versions)')),
          content: { '*/*': { schema: Type.Unknown() } },
        },
        206: {
          description: 'the requested byte range (Content-Range)',
          headers: artifactHeaders(true, { ...ContentRangeHeader, ...contentDigestHeader('the SHA-256 of the part sent, when it was verified before sending (small artifacts)') }),
          content: { '*/*': { schema: Type.Unknown() } },
        },
        304: noBody('Not Modified: If-None-Match matched the ETag; no body', artifactHeaders(true)),
        ...problemResponses(400, 404, 410, 416, 422),
      },
    },
  } as const
  const headArtifact = {
    exposeHeadRoute: false,
    config: { swagger: { exposeHeadRoute: true } },
    schema: {
      ...readSchema,
      summary: 'An artifact’s headers without its bytes: ETag, digests, size, version, media type',
      description: 'The headers GET would send for the same request, without the body: Content-Length is the size of the artifact (or of the range), ' +
        'so a caller can check ETag, Repr-Digest and size before fetching. With ?versions, the headers of the VersionHistory.',
      operationId: 'headArtifact',
      response: {
        200: noBody('the headers GET would send (Content-Length is the artifact size); no body',
          artifactHeaders(false, contentDigestHeader('the SHA-256 of the artifact (not with ?versions)'))),
        206: noBody('the headers of the requested range; no body', artifactHeaders(true, ContentRangeHeader)),
        304: noBody('Not Modified: If-None-Match matched the ETag; no body', artifactHeaders(true)),
        ...problemResponses(400, 404, 410, 416, 422),
      },
    },
  } as const
  const artifactHandler = async (req: ArtifactRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const { sid } = req.params
    const name = req.params['*']
    if (req.query.versions !== undefined) {
      const history = JSON.stringify({ sessionId: sid, name, versions: await ledger.history(sid, name) })
      reply.type('application/json')
      if (req.method === 'HEAD') return reply.header('Content-Length', String(Buffer.byteLength(history))).send()
      return reply.send(history)
    }
    const version = await ledger.resolveArtifact(sid, name, {
      ...(req.query.version === undefined ? {} : { version: Number(req.query.version) }),
      ...(req.query.at === undefined ? {} : { atSeq: parseAtSeq(req.query.at) ?? 0 }),
    })
    return sendArtifact(ledger, req, reply, version, req.query.version !== undefined)
  }
  app.get('/v1/sessions/:sid/artifacts/*', readArtifact, artifactHandler)
  app.head('/v1/sessions/:sid/artifacts/*', headArtifact, artifactHandler)
}

/** A response without a body: `type: 'null'` is how the contract generator leaves out its content. */
function noBody(description: string, headers: Record<string, ResponseHeader>): { type: 'null'; description: string; headers: Record<string, ResponseHeader> } {
  return { type: 'null', description, headers }
}

type ArtifactRequest = FastifyRequest<{
  Params: Static<typeof ArtifactParams>
  Querystring: Static<typeof ArtifactQuery>
}>

async function sendArtifact(
  ledger: Ledger, req: FastifyRequest, reply: FastifyReply, version: ArtifactVersion, pinned: boolean,
): Promise<FastifyReply> {
  const etag = `"${version.sha256}"`
  reply.header('ETag', etag)
  reply.header('Repr-Digest', digestHeader(version.sha256))
  reply.header('Accept-Ranges', 'bytes')
  reply.header('Last-Modified', new Date(version.committedAt).toUTCString())
  reply.header('Artifact-Version', String(version.version))
  // A pinned version never changes; the latest one must be revalidated (cheaply, by ETag).
  reply.header('Cache-Control', pinned ? 'public, max-age=31536000, immutable' : 'no-cache')

  const ifNoneMatch = parseEntityTags(req.headers['if-none-match'], 'If-None-Match')
  if (ifNoneMatch !== undefined && weakMatch(ifNoneMatch, etag)) return reply.code(304).send()

  reply.type(version.mediaType)
  const ifRange = req.headers['if-range']
  const range = ifRange === undefined || ifRange === etag ? parseRange(req.headers.range, version.size) : undefined
  if (range === 'unsatisfiable') {
    reply.header('Content-Range', `bytes */${version.size}`)
    throw new RangeNotSatisfiable(`the range ${req.headers.range ?? ''} is outside the ${version.size}-byte artifact`, { size: version.size })
  }
  const head = req.method === 'HEAD'
  if (range !== undefined) {
    const length = range.end - range.start + 1
    reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${version.size}`)
    if (version.size <= VERIFY_BEFORE_SEND_BYTES && !head) {
      const whole = await ledger.readArtifact(version)
      const part = whole.subarray(range.start, range.end + 1)
      return reply.header('Content-Digest', digestHeader(sha256Of(part))).send(part)
    }
    reply.header('Content-Length', String(length))
    if (head) await ledger.assertServable(version)
    return head ? reply.send() : reply.send(await ledger.streamArtifactRange(version, range))
  }
  reply.header('Content-Digest', digestHeader(version.sha256))
  // HEAD reads no bytes, so it asks what is known of the object; every read of bytes checks them itself
  // (a whole one hashed before it is sent, a stream refusing a known-bad object first): one query less.
  if (head) {
    await ledger.assertServable(version)
    return reply.header('Content-Length', String(version.size)).send()
  }
  if (version.size <= READ_WHOLE_BYTES) return reply.send(await ledger.readArtifact(version))
  reply.header('Content-Length', String(version.size))
  return reply.send(await ledger.streamArtifact(version))
}

function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}
