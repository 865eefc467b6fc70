// Every ObjectStore adapter against the one contract: the files under DATA_DIR, and memory.
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { FileObjectStore } from '../../../src/storage/files/object-store.js'
import { logGroupCommit } from '../../../src/storage/sqlite/commit-log.js'
import { InlineObjects } from '../../../src/storage/sqlite/inline-objects.js'
import { openLedgerDb } from '../../../src/storage/sqlite/ledger-db.js'
import { SqlRunner } from '../../../src/storage/sqlite/sql-runner.js'
import { TieredObjectStore } from '../../../src/storage/tiered-object-store.js'
import { MemoryObjectStore } from '../../../src/storage/memory/object-store.js'
import { makeDataDir } from '../../support/start-ledger.js'
import { objectStoreContract } from './object-store.suite.js'
import { objectFile } from '../../support/layout.js'

/** Flips the last byte of a file in place (or gives an empty one a byte). */
async function flipLastByte(path: string): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    const { size } = await handle.stat()
    const byte = Buffer.alloc(1)
    if (size > 0) await handle.read(byte, 0, 1, size - 1)
    byte[0] = (byte[0] ?? 0) ^ 0xff
    await handle.write(byte, 0, 1, Math.max(0, size - 1))
  } finally {
    await handle.close()
  }
}

objectStoreContract('files (objects/sha256 under DATA_DIR)', async () => {
  const dataDir = await makeDataDir()
  return {
    store: new FileObjectStore(dataDir, { stagesViewCopy: false }),
    damage: (sha256) => flipLastByte(objectFile(dataDir, sha256)),
    close: async () => {},
  }
})

// The default store: small content as rows of ledger.db, the rest as files. At 8 bytes the suite's
// contents fall on both sides (and empty content is inline); at 1 MiB all but streamed uploads are rows.
for (const inlineMaxBytes of [8, 1024 * 1024]) {
  objectStoreContract(`ledger.db rows up to ${inlineMaxBytes} bytes, files beyond`, async () => {
    const dataDir = await makeDataDir()
    const run = new SqlRunner(openLedgerDb(join(dataDir, 'ledger.db')))
    const files = new FileObjectStore(dataDir, { stagesViewCopy: false })
    return {
      store: new TieredObjectStore(new InlineObjects(run, logGroupCommit(run)), files, inlineMaxBytes),
      damage: async (sha256) => {
        // As a bad disk would: the row's bytes change behind the store's back (no page checksums catch it).
        const changed = run.db.prepare("UPDATE inline_objects SET bytes = bytes || x'21' WHERE sha256 = ?").run(sha256).changes
        if (changed === 0) await flipLastByte(objectFile(dataDir, sha256))
      },
      close: () => run.close(),
    }
  })
}

objectStoreContract('memory', async () => {
  const objects = new Map<string, Buffer>()
  return {
    store: new MemoryObjectStore(objects),
    damage: async (sha256) => {
      const bytes = objects.get(sha256)
      if (bytes !== undefined) objects.set(sha256, Buffer.concat([bytes, Buffer.from('!')]))
    },
    close: async () => {},
  }
})
