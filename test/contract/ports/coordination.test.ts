// Every Coordination against the one contract: in-process (one writer per data dir).
import { expect, it } from 'vitest'
import { inProcessCoordination, SingleWriterRecovery } from '../../../src/storage/in-process/coordination.js'
import { coordinationContract } from './coordination.suite.js'

coordinationContract('in-process', async () => inProcessCoordination())

it('recovers every unfinished entry when one process writes the data dir', async () => {
  const entries = [{ seq: 1, sessionId: 's1' }, { seq: 2, sessionId: 's2' }]
  expect(await new SingleWriterRecovery().mine(entries)).toEqual(entries)
})
