// Every PlainView that can be on, against the one contract: files under DATA_DIR/sessions. (The view
// that is off shows nothing; memory-backends.test.ts runs a whole ledger with it.)
import { appendFile } from 'node:fs/promises'
import { FileObjectStore } from '../../../src/storage/files/object-store.js'
import { FilePlainView } from '../../../src/storage/files/plain-view.js'
import { makeDataDir } from '../../support/start-ledger.js'
import { plainViewContract } from './plain-view.suite.js'
import { objectFile } from '../../support/layout.js'

plainViewContract('files (sessions/ under DATA_DIR)', async () => {
  const dataDir = await makeDataDir()
  const objects = new FileObjectStore(dataDir, { stagesViewCopy: true })
  return {
    view: new FilePlainView(dataDir, (sha256) => objects.contentOf(sha256)),
    objects,
    damageObject: (sha256) => appendFile(objectFile(dataDir, sha256), '!'),
    close: async () => {},
  }
})
