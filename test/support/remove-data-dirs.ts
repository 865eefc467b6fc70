// Runs with every test file (vitest setupFiles): the data dirs it made go once it is done, so a test
// that only closes its ledger, or never opens one, leaves nothing behind in the temp folder.
import { afterAll } from 'vitest'
import { removeDataDirsMade } from './start-ledger.js'

afterAll(removeDataDirsMade)
