// Every PlainView that can be on, against the one contract: files under DATA_DIR/sessions. (The view
// that is off shows nothing; memory-backends.test.ts runs a whole ledger with it.)
import { appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FileObjectStore } from '../../../src/storage/files/object-store.js'
import { FilePlainView } from '../../../src/storage/files/plain-view.js'
import { makeDataDir } from '../../support/start-ledger.js'
import { plainViewContract } from './plain-view.suite.js'

plainViewContract('files (sessions/ under DATA_DIR)', async () => {
  const dataDir = await makeDataDir()
  const objects = new FileObjectStore(dataDir, { stagesViewCopy: true })
  return {
    view: new FilePlainView(dataDir, (sha256) => objects.contentOf(sha256)),
    objects,
    damageObject: (sha256) => appendFile(join(dataDir, 'objects/sha256', sha256.slice(0, 2), sha256.slice(2)), '!'),
    close: async () => {},
  }
})
