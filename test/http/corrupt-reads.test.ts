// Invariant 5 on the read path: bytes that no longer hash to their digest are never received as a complete,
// good response, whether the object is read whole before sending (small) or hashed while it is sent (large).
import { randomBytes } from 'node:crypto'
import { appendFile, open } from 'node:fs/promises'
import { get } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { READ_WHOLE_BYTES } from '../../src/ledger/reads.js'
import { startListeningLedger, type ListeningLedger } from '../client/listening-ledger.js'
import { objectFile } from '../support/layout.js'

let t: ListeningLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

interface Received {
  status: number
  contentLength: number | undefined
  body: Buffer
  /** The response ended normally (not aborted, no socket error). */
  complete: boolean
}

/** One GET over a fresh connection, keeping whatever arrived before the server cut it short. */
function fetchRaw(url: string): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = []
      let complete = false
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.once('end', () => {
        complete = !res.aborted
      })
      res.once('error', () => undefined)
      res.once('close', () => {
        const length = res.headers['content-length']
        resolve({ status: res.statusCode ?? 0, contentLength: length === undefined ? undefined : Number(length), body: Buffer.concat(chunks), complete })
      })
    })
    req.once('error', reject)
  })
}

async function putArtifact(app: ListeningLedger, name: string, bytes: Buffer): Promise<string> {
  const res = await fetch(`${app.url}/v1/sessions/s1/artifacts/${name}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } })
  expect(res.status).toBe(201)
  const [artifact] = ((await res.json()) as { artifacts: { sha256: string }[] }).artifacts
  if (artifact === undefined) throw new Error('the commit record lists no artifact')
  return artifact.sha256
}

/** Flips one byte of the object's file in place: same size, different bytes, as a bad disk would. */
async function flipByte(path: string, at: number): Promise<void> {
  const handle = await open(path, 'r+')
  try {
    const one = Buffer.alloc(1)
    await handle.read(one, 0, 1, at)
    one[0] = (one[0] ?? 0) ^ 0xff
    await handle.write(one, 0, 1, at)
  } finally {
    await handle.close()
  }
}

async function expectObjectCorrupt(url: string): Promise<void> {
  const res = await fetchRaw(url)
  expect(res.status).toBe(500)
  expect(JSON.parse(res.body.toString()).code).toBe('object_corrupt')
}

describe('a corrupt object is never served as good', () => {
  const large = 3 * 1024 * 1024 + 12345
  it.each([
    ['its first byte', 0],
    ['a byte in the middle', Math.floor(large / 2)],
    ['its last byte', large - 1],
  ])('a large object changed on disk after its commit (%s, same size) is cut short, then refused with 500 before any byte', async (_label, at) => {
    t = await startListeningLedger()
    const bytes = randomBytes(large)
    const sha256 = await putArtifact(t, 'big.bin', bytes)
    const url = `${t.url}/v1/sessions/s1/artifacts/big.bin`
    const intact = await fetchRaw(url)
    expect(intact).toMatchObject({ status: 200, complete: true, contentLength: large })
    expect(intact.body.equals(bytes)).toBe(true)

    await flipByte(objectFile(t.dataDir, sha256), at)
    const cut = await fetchRaw(url)
    // Either refused before any byte, or begun and cut before its end: never a complete 200 body.
    if (cut.status === 200) {
      expect(cut.contentLength).toBe(large)
      expect(cut.complete).toBe(false)
      expect(cut.body.byteLength).toBeLessThan(large)
    } else {
      expect(cut.status).toBe(500)
    }
    // The mismatch was recorded: the next read is refused before any byte.
    await expectObjectCorrupt(url)
  })

  it.each([
    ['1 KiB, read and hashed on the event loop', 1024],
    ['the largest read whole, read and hashed on the thread pool', READ_WHOLE_BYTES],
  ])('an object read whole (%s) changed on disk (same size) is refused with 500 before any byte', async (_label, size) => {
    t = await startListeningLedger()
    const bytes = randomBytes(size)
    const sha256 = await putArtifact(t, 'small.bin', bytes)
    const url = `${t.url}/v1/sessions/s1/artifacts/small.bin`
    const intact = await fetchRaw(url)
    expect(intact).toMatchObject({ status: 200, complete: true, contentLength: size })
    expect(intact.body.equals(bytes)).toBe(true)
    await flipByte(objectFile(t.dataDir, sha256), size - 1)
    await expectObjectCorrupt(url)
    // Found by that read: a HEAD, which reads no bytes, knows it now; a second GET hashes and refuses it again.
    const head = await t.app.inject({ method: 'HEAD', url: '/v1/sessions/s1/artifacts/small.bin' })
    expect(head.statusCode).toBe(500)
    await expectObjectCorrupt(url)
  })

  it('a small object whose file grew still serves exactly its recorded bytes, which hash right', async () => {
    t = await startListeningLedger()
    const bytes = randomBytes(1024)
    const sha256 = await putArtifact(t, 'grown.bin', bytes)
    await appendFile(objectFile(t.dataDir, sha256), 'trailing junk')
    const res = await fetchRaw(`${t.url}/v1/sessions/s1/artifacts/grown.bin`)
    expect(res).toMatchObject({ status: 200, complete: true, contentLength: 1024 })
    expect(res.body.equals(bytes)).toBe(true)
  })
})
