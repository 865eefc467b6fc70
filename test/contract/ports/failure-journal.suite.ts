// The contract every FailureJournal passes: what is appended is read back, in order, until cleared.
import { describe, expect, it } from 'vitest'
import type { FailureJournal, OwedFailure } from '../../../src/domain/ports.js'
import { eachFixture } from './fixture.js'

export interface FailureJournalFixture {
  journal: FailureJournal
  /** The same journal as a new process would open it; absent for one that keeps nothing. */
  reopen?: () => FailureJournal
  close(): Promise<void>
}

const pendingFailure: OwedFailure = { kind: 'pending', seq: 7, id: 'a', sessionId: 's1', error: { code: 'insufficient_storage', detail: 'full' }, settled: true }
const endedFailure: OwedFailure = {
  kind: 'ended',
  attempt: { id: 'b', sessionId: 's2', state: 'aborted', error: { code: 'client_timeout', detail: 'stalled', facts: { field: 'x' } }, artifacts: [], newSessionDeadline: null },
}

export function failureJournalContract(adapter: string, open: () => Promise<FailureJournalFixture>): void {
  describe(`FailureJournal contract: ${adapter}`, () => {
    let fixture: FailureJournalFixture
    eachFixture(open, (opened) => {
      fixture = opened
    })

    it('reads back what was appended, in order, and nothing once cleared', async () => {
      const { journal } = fixture
      expect(await journal.readAll()).toEqual([])
      await journal.append(pendingFailure)
      await journal.append(endedFailure)
      expect(await journal.readAll()).toEqual([pendingFailure, endedFailure])
      expect(await fixture.reopen?.().readAll()).toEqual(fixture.reopen === undefined ? undefined : [pendingFailure, endedFailure])
      await journal.clear()
      await journal.clear()
      expect(await journal.readAll()).toEqual([])
    })
  })
}
