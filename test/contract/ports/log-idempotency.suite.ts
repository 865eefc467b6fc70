// Idempotency keys as every log adapter keeps them: a key is taken with its pending entry (a second entry
// under it is refused before anything is written), kept once that entry commits, and let go if it fails or is
// aborted. What lets duplicates on two replicas of one log leave one entry between them.
import { describe, expect, it } from 'vitest'
import { IdempotencyKeyHeld } from '../../../src/domain/errors.js'
import type { CommitLog, IdempotencyClaim } from '../../../src/domain/ports.js'
import { sha256 } from '../../support/factories.js'
import { eachFixture } from './fixture.js'
import type { LogFixture } from './log.suite.js'

const DEADLINE = '2999-01-01T00:00:00.000Z'
let ids = 0
const nextId = (): string => `01900000-0000-7000-a000-${String(++ids).padStart(12, '0')}`
const CLAIM: IdempotencyClaim = { key: 'k1', fingerprint: 'f1' }

export function logIdempotencyContract(adapter: string, open: () => Promise<LogFixture>): void {
  describe(`log idempotency keys: ${adapter}`, () => {
    let log: CommitLog
    eachFixture(open, (opened) => {
      ;({ log } = opened)
    })

    const pending = (sessionId: string, claim: IdempotencyClaim | undefined, text = 'x', id = nextId()): Promise<number> => log.insertPending({
      id, sessionId, message: null, metadata: null, newSessionDeadline: DEADLINE,
      artifacts: [{ name: 'a.txt', sha256: sha256(text), size: Buffer.byteLength(text), mediaType: 'text/plain' }],
      ...(claim === undefined ? {} : { idempotency: claim }),
    })

    /** Everything a refused entry could have left: entries, the pending list, the counters. */
    async function logContents(): Promise<unknown> {
      return {
        lastSeq: await log.lastSeq(),
        entries: (await log.listCommits({ limit: 100 })).map((c) => [c.seq, c.state]),
        pending: (await log.pendingCommits()).map((p) => p.seq),
        counts: await log.commitCounts(),
      }
    }

    it('refuses, writing nothing, a pending entry under a key that a pending entry holds', async () => {
      const holder = await pending('s1', CLAIM)
      expect(await log.idempotencyKey('s1', 'k1')).toEqual({ fingerprint: 'f1', commitSeq: holder, state: 'pending' })
      const before = await logContents()
      const refusedId = nextId()
      const refused = pending('s1', { key: 'k1', fingerprint: 'another request' }, 'y', refusedId)
      await expect(refused).rejects.toBeInstanceOf(IdempotencyKeyHeld)
      await expect(refused).rejects.toMatchObject({ code: 'idempotency_key_held', holder: { fingerprint: 'f1', commitSeq: holder, state: 'pending' } })
      expect(await logContents()).toEqual(before)
      expect(await log.commitById(refusedId)).toBeUndefined()
      expect(await log.idempotencyKey('s1', 'k1')).toEqual({ fingerprint: 'f1', commitSeq: holder, state: 'pending' })
      // Keys belong to a session: the same key elsewhere is another key.
      const elsewhere = await pending('s2', CLAIM)
      expect(await log.idempotencyKey('s2', 'k1')).toEqual({ fingerprint: 'f1', commitSeq: elsewhere, state: 'pending' })
    })

    it('lets the key go when its entry fails or is aborted, so the next attempt takes it', async () => {
      const failed = await pending('s1', CLAIM)
      await log.markFailed(failed, { code: 'storage_fault', detail: 'fsync failed' }, true)
      expect(await log.idempotencyKey('s1', 'k1')).toBeUndefined()

      const aborted = await pending('s1', CLAIM)
      await log.markAborted(aborted, { code: 'service_restarted', detail: 'gone' })
      expect(await log.idempotencyKey('s1', 'k1')).toBeUndefined()

      const committed = await pending('s1', CLAIM)
      await log.markCommitted(committed)
      expect(await log.idempotencyKey('s1', 'k1')).toEqual({ fingerprint: 'f1', commitSeq: committed, state: 'committed' })
      expect((await log.listCommits({ limit: 10 })).map((c) => [c.seq, c.state])).toEqual([[failed, 'failed'], [aborted, 'aborted'], [committed, 'committed']])
    })

    it('keeps the key with its committed entry: a later pending entry under it is refused, and a stray markFailed changes nothing', async () => {
      const committed = await pending('s1', CLAIM)
      await log.markCommitted(committed)
      const before = await logContents()
      await expect(pending('s1', CLAIM)).rejects.toMatchObject({ code: 'idempotency_key_held', holder: { fingerprint: 'f1', commitSeq: committed, state: 'committed' } })
      expect(await logContents()).toEqual(before)
      // An owed failure replayed for an entry that did commit (the answer was lost, not the commit) keeps the key.
      await log.markFailed(committed, { code: 'storage_fault', detail: 'late' }, true)
      expect(await log.idempotencyKey('s1', 'k1')).toEqual({ fingerprint: 'f1', commitSeq: committed, state: 'committed' })
    })

    it('lets exactly one of concurrent pending entries under one key take it, batched together or not', async () => {
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => pending('s1', CLAIM, `v${i}`)))
      const taken = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))
      expect(taken).toHaveLength(1)
      expect(refused).toHaveLength(5)
      for (const reason of refused) expect(reason).toMatchObject({ code: 'idempotency_key_held', holder: { commitSeq: taken[0], state: 'pending' } })
      expect((await log.pendingCommits()).map((p) => p.seq)).toEqual(taken)
      expect(await log.listCommits({ limit: 10 })).toHaveLength(1)
    })
  })
}
