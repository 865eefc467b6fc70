// Every FailureJournal against the one contract: the file beside ledger.db, and memory.
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FAILURE_JOURNAL_FILE, FileFailureJournal } from '../../../src/storage/files/failure-journal.js'
import { MemoryFailureJournal } from '../../../src/storage/memory/failure-journal.js'
import { makeDataDir } from '../../support/start-ledger.js'
import { failureJournalContract } from './failure-journal.suite.js'

failureJournalContract('file (ledger-failures.jsonl)', async () => {
  const dataDir = await makeDataDir()
  return { journal: new FileFailureJournal(dataDir), reopen: () => new FileFailureJournal(dataDir), close: async () => {} }
})

failureJournalContract('memory', async () => ({ journal: new MemoryFailureJournal(), close: async () => {} }))

describe('the file journal', () => {
  it('skips a last line torn by a crash in the middle of an append', async () => {
    const dataDir = await makeDataDir()
    const journal = new FileFailureJournal(dataDir)
    const failure = { kind: 'pending' as const, seq: 1, id: 'a', sessionId: 's', error: { code: 'x', detail: 'y' }, settled: false }
    await journal.append(failure)
    await appendFile(join(dataDir, FAILURE_JOURNAL_FILE), '{"kind":"pend')
    expect(await journal.readAll()).toEqual([failure])
  })
})
