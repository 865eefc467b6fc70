// The 201 for a commit, first time or replayed: same body, Location, and the new session head ETag.
import type { FastifyReply } from 'fastify'
import { headEtag } from '../../domain/model.js'
import type { CommitOutcome } from '../../ledger/commit.js'

export function sendCommitOutcome(reply: FastifyReply, outcome: CommitOutcome): FastifyReply {
  reply.header('Location', `/v1/commits/${outcome.record.id}`)
  // The session's head as this commit left it: what a follow-up If-Match should carry.
  reply.header('ETag', headEtag(outcome.record.seq))
  if (outcome.replayed) reply.header('Idempotent-Replayed', 'true')
  return reply.code(201).send(outcome.record)
}
