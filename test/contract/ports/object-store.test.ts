// Every ObjectStore adapter against the one contract: the files under DATA_DIR, and memory.
import { open } from 'node:fs/promises'
import { FileObjectStore } from '../../../src/storage/files/object-store.js'
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
