// Probes: liveness says the process answers; readiness says a commit would be accepted and durable.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Ledger } from '../../ledger/ledger.js'

const HEALTH_CONTENT_TYPE = 'application/health+json'

const HealthCheck = Type.Object({
  status: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]),
  componentType: Type.Optional(Type.String()),
  observedValue: Type.Optional(Type.Union([Type.String(), Type.Number()])),
  observedUnit: Type.Optional(Type.String()),
  output: Type.Optional(Type.String()),
  time: Type.String(),
})

const HealthReport = Type.Object({
  status: Type.Union([Type.Literal('pass'), Type.Literal('warn'), Type.Literal('fail')]),
  version: Type.String(),
  serviceId: Type.String(),
  description: Type.String(),
  checks: Type.Record(Type.String(), Type.Array(HealthCheck)),
}, { description: 'draft-inadarei-api-health-check (application/health+json)' })

export const healthRoutes: FastifyPluginAsyncTypebox<{ ledger: Ledger }> = async (app, { ledger }) => {
  app.get('/health/live', {
    logLevel: 'warn',
    schema: { summary: 'Liveness', tags: ['health'], security: [], response: { 200: HealthReport } },
  }, async (_req, reply) => reply.type(HEALTH_CONTENT_TYPE).send(ledger.liveness()))

  app.get('/health/ready', {
    logLevel: 'warn',
    schema: { summary: 'Readiness: 503 while recovering, on storage faults, or below the disk reserve', tags: ['health'], security: [], response: { 200: HealthReport, 503: HealthReport } },
  }, async (_req, reply) => {
    const health = await ledger.readiness()
    return reply.code(health.status === 'fail' ? 503 : 200).type(HEALTH_CONTENT_TYPE).send(health)
  })
}
