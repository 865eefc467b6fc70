// The contract as served at /openapi.json: @fastify/swagger's options, and the transforms that make the
// document say what the server does. Security and scopes come from auth.ts's one table of needs, named
// schemas from the route schemas' titles, so neither can drift from the code that enforces them.
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger'
import type { FastifySchema, RouteOptions } from 'fastify'
import { requiredScope } from './auth.js'
import { VersionHistory } from './schemas/artifacts.js'
import { ALWAYS_SENT, problemResponses } from './schemas/common.js'
import { SERVICE_VERSION } from '../version.js'

type OpenApiObject = Record<string, unknown> & { paths?: Record<string, Record<string, Operation>>; components?: Record<string, Record<string, unknown>> }
type Operation = Record<string, unknown> & { requestBody?: { required?: boolean }; responses?: Record<string, ResponseObject> }
type ResponseObject = Record<string, unknown> & { headers?: Record<string, { required?: boolean; schema?: Record<string, unknown> }> }

/** Named schemas of answers that share an operation with another media type, so no route schema holds them. */
const UNROUTED_SCHEMAS = [VersionHistory]

/** Operations whose body may be left out; Fastify's generator marks every body required. */
export const BODY_OPTIONAL = 'x-body-optional'

const DESCRIPTION = `Verifiable artifact persistence: a 2xx only after every byte is durable, read back, checksummed and logged.

Every error is \`application/problem+json\` (RFC 9457) with a stable \`code\`.

**Authentication.** Without configured tokens the service is open (it then serves only on a loopback
address unless ALLOW_ANONYMOUS=true), so every operation lists anonymous access as one alternative.
With tokens, each operation needs a bearer token with the scope named in its \`x-required-scope\`
(admin ⊇ write ⊇ read); /health/*, /openapi.json and (unless METRICS_REQUIRE_TOKEN=true) /metrics
never need one.

**Artifact names with \`/\`.** \`{name}\` may span several path segments (\`notes/summary.txt\`). Send its
slashes as they are, or percent-encoded (\`notes%2Fsummary.txt\`) as OpenAPI tools encode a path
parameter: the service decodes both to the same name.`

/** Fastify names the trailing wildcard `*`; the contract calls it what it is, the artifact {name}. */
function documentWildcardAsName(schema: FastifySchema, url: string): { schema: FastifySchema; url: string } {
  if (!url.endsWith('/*')) return { schema, url }
  const params = schema.params as { properties?: Record<string, unknown>; required?: string[] } | undefined
  const properties = { ...params?.properties }
  const wildcard = properties['*'] as { description?: string } | undefined
  delete properties['*']
  return {
    url: `${url.slice(0, -1)}:name`,
    schema: {
      ...schema,
      params: {
        ...params,
        properties: { ...properties, name: { ...wildcard, description: `${wildcard?.description ?? 'the artifact name'}. Its slashes may be sent as they are or as %2F.` } },
        required: [...(params?.required ?? []).filter((r) => r !== '*'), 'name'],
      },
    },
  }
}

/** Who may call an operation: anonymous (no tokens configured) or a bearer token with the scope auth.ts requires. */
function withSecurity(schema: FastifySchema & Record<string, unknown>, method: string, url: string): FastifySchema {
  const scope = requiredScope(method, url)
  const metrics = url === '/metrics'
  if (scope === undefined && !metrics) return { ...schema, security: [] }
  const response = (schema.response ?? {}) as Record<string, unknown>
  return {
    ...schema,
    security: [{}, { bearerAuth: [] }],
    'x-required-scope': metrics ? 'read, only with METRICS_REQUIRE_TOKEN=true' : scope,
    response: { ...response, ...problemResponses(401, 403) },
  } as FastifySchema
}

/** The route transform: the artifact name as {name}, and security per operation. */
export function documentRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (schema === undefined) return { schema, url }
  const method = Array.isArray(route.method) ? String(route.method[0]) : route.method
  // The swagger plugin suffixes a HEAD route's operationId with -head; ours is named for HEAD already.
  const operationId = (schema as { operationId?: unknown }).operationId
  if (method === 'HEAD' && typeof operationId === 'string') schema = { ...schema, operationId: operationId.replace(/-head$/, '') }
  const named = documentWildcardAsName(schema, url)
  return { url: named.url, schema: withSecurity(named.schema as FastifySchema & Record<string, unknown>, method, url) }
}

/**
 * Every schema with a `title` becomes a named component (`#/components/schemas/<title>`) and is
 * referenced wherever it appears, so generated clients name CommitRecord, Problem or Session.
 */
function nameSchemas(document: OpenApiObject): void {
  const named = new Map<string, unknown>()
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map((item) => visit(item))
    if (node === null || typeof node !== 'object') return node
    const object = node as Record<string, unknown>
    const copy: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(object)) copy[key] = visit(value)
    const title = copy['title']
    if (typeof title === 'string' && ('type' in copy || 'anyOf' in copy || 'oneOf' in copy || 'enum' in copy)) {
      const seen = named.get(title)
      // The generator moves a parameter schema's description up to the parameter: annotations may
      // differ between two places of one schema, the constraints may not.
      if (seen !== undefined && constraintsOf(seen) !== constraintsOf(copy)) throw new Error(`two different schemas are titled ${title}`)
      if (seen === undefined || Object.keys(copy).length > Object.keys(seen as object).length) named.set(title, copy)
      return { $ref: `#/components/schemas/${title}` }
    }
    return copy
  }
  document.paths = visit(document.paths) as Record<string, Record<string, Operation>>
  // Answers no route schema can name by media type (the ?versions form of GET …/artifacts/{name}).
  for (const schema of UNROUTED_SCHEMAS) visit(schema)
  const components = document.components ?? {}
  components['schemas'] = Object.fromEntries([...named.entries()].sort(([a], [b]) => a.localeCompare(b)))
  document.components = components
}

/** A schema without its annotations, as text: what it accepts. */
function constraintsOf(schema: unknown): string {
  return JSON.stringify(schema, (key, value: unknown) => (key === 'description' || key === 'examples' || key === 'default' ? undefined : value))
}

/** Fastify's generator marks every request body required; some bodies may be left out. */
function markOptionalBodies(document: OpenApiObject): void {
  for (const path of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(path)) {
      if (operation[BODY_OPTIONAL] !== true) continue
      delete operation[BODY_OPTIONAL]
      if (operation.requestBody !== undefined) operation.requestBody.required = false
    }
  }
}

/** The generator copies a response header's schema as it is; a header every such answer carries is `required` in the contract. */
function markAlwaysSentHeaders(document: OpenApiObject): void {
  for (const path of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(path)) {
      for (const response of Object.values(operation.responses ?? {})) {
        for (const header of Object.values(response.headers ?? {})) {
          if (header.schema?.[ALWAYS_SENT] !== true) continue
          delete header.schema[ALWAYS_SENT]
          header.required = true
        }
      }
    }
  }
}

export function swaggerOptions(): FastifyDynamicSwaggerOptions {
  return {
    exposeHeadRoutes: false,
    transform: documentRoute,
    transformObject: ({ openapiObject }: { openapiObject: Partial<Record<string, unknown>> }) => {
      const document = openapiObject as OpenApiObject
      nameSchemas(document)
      markOptionalBodies(document)
      markAlwaysSentHeaders(document)
      return document
    },
    openapi: {
      openapi: '3.1.0',
      info: { title: 'artifact-ledger', version: SERVICE_VERSION, description: DESCRIPTION, license: { name: 'MIT', identifier: 'MIT' } },
      servers: [{ url: 'http://127.0.0.1:8080', description: 'the default address of `npm start` (HOST, PORT)' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http', scheme: 'bearer',
            description: 'a token from AUTH_TOKENS or AUTH_TOKENS_FILE with the read, write or admin scope; without configured tokens, requests need none',
          },
        },
      },
      tags: [
        { name: 'commits', description: 'atomic commits and the log of every change' },
        { name: 'sessions', description: 'expected artifacts, deadlines, closing and what is missing' },
        { name: 'artifacts', description: 'artifact bytes, listings, history and snapshots' },
        { name: 'status', description: 'service status' },
        { name: 'verify', description: 'storage verification' },
        { name: 'metrics', description: 'Prometheus exposition' },
        { name: 'health', description: 'probes' },
        { name: 'contract', description: 'this document' },
        { name: 'ui', description: 'the web view (static files under /ui/)' },
      ],
    },
  } as FastifyDynamicSwaggerOptions
}
