// Probes: liveness says the process answers; readiness says a commit would be accepted and durable.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Ledger } from '../../ledger/ledger.js'
import { problemResponses } from '../schemas/common.js'

const HEALTH_CONTENT_TYPE = 'application/health+json'

const HealthStatus = Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')], { title: 'HealthStatus' })

const HealthCheck = Type.Object({
  status: HealthStatus,
  componentType: Type.Optional(Type.String()),
  observedValue: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  observedUnit: Type.Optional(Type.String()),
  output: Type.Optional(Type.String()),
  time: Type.String(),
}, { title: 'HealthCheck' })

const HealthReport = Type.Object({
  status: HealthStatus,
  version: Type.String(),
  serviceId: Type.String(),
  description: Type.String(),
  checks: Type.Record(Type.String(), Type.Array(HealthCheck)),
}, { title: 'HealthReport', description: 'draft-inadarei-api-health-check (application/health+json)' })

/** Health answers are application/health+json, whatever their status. */
function healthResponse(description: string): { description: string; content: { 'application/health+json': { schema: typeof HealthReport } } } {
  return { description, content: { [HEALTH_CONTENT_TYPE]: { schema: HealthReport } } }
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.get('/health/live', {
    logLevel: 'warn',
    schema: {
      summary: 'Liveness: the process answers',
      description: 'Always 200 while the process answers HTTP, whatever the state of storage: restart the process only when this fails.',
      operationId: 'getLiveness',
      tags: ['health'],
      response: { 200: healthResponse('the process is alive'), ...problemResponses() },
    },
  }, async (_req, reply) => reply.type(HEALTH_CONTENT_TYPE).send(ledger.liveness()))

  app.get('/health/ready', {
    logLevel: 'warn',
    schema: {
      summary: 'Readiness: 503 while recovering, on storage faults, with failures the log owes, or below the disk reserve',
      description: 'ready (200) when a commit would be accepted and made durable: recovery done, database and data directory writable, no ' +
        'unrecovered storage fault, no failure the log still owes, free space above the hard reserve. warn (still 200) names a failed canary, ' +
        'a failing background task or low disk; fail is a 503 whose checks say why.',
      operationId: 'getReadiness',
      tags: ['health'],
      response: {
        200: healthResponse('ready: pass, or warn (a canary or background failure, low disk) with the reason in its checks'),
        503: healthResponse('not ready: the failing checks say why'),
        ...problemResponses(),
      },
    },
  }, async (_req, reply) => {
    const health = await ledger.readiness()
    return reply.code(health.status === 'fail' ? 503 : 200).type(HEALTH_CONTENT_TYPE).send(health)
  })
}
