// putFile streams a file with its digest and preconditions; download writes a file only once its bytes
// hash to what the service promised; a byte flipped on the wire is thrown, never written or returned.
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DigestMismatch, LedgerClient, LedgerProblem } from '../../src/client/index.js'
import { TcpProxy } from '../support/tcp-proxy.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex')
const RETRY = { baseDelayMs: 5, maxDelayMs: 50 }

let t: ListeningLedger
let work: string
let client: LedgerClient
beforeEach(async () => {
  t = await startListeningLedger()
  work = await mkdtemp(join(tmpdir(), 'artifact-ledger-client-'))
  client = new LedgerClient({ url: t.url, env: {}, retry: RETRY })
})
afterEach(async () => {
  client.close()
  await t.cleanup()
  await rm(work, { recursive: true, force: true })
})

async function tempFile(name: string, bytes: Uint8Array): Promise<string> {
  const path = join(work, name)
  await writeFile(path, bytes)
  return path
}

describe('LedgerClient.putFile', () => {
  it('streams a multi-MiB file and returns the sha256 of its bytes', async () => {
    const bytes = randomBytes(6 * 1024 * 1024 + 123)
    const path = await tempFile('model.bin', bytes)
    const progress: number[] = []

    const record = await client.putFile('s1', 'ckpt/model.bin', path, { mediaType: 'application/x-model', onProgress: (sent) => progress.push(sent) })

    expect(record.state).toBe('committed')
    expect(record.artifacts).toEqual([{ name: 'ckpt/model.bin', version: 1, sha256: sha256(bytes), size: bytes.byteLength, mediaType: 'application/x-model' }])
    expect(progress.at(-1)).toBe(bytes.byteLength)
    // Compared by digest: a deep equality over MiBs of bytes would test vitest's patience, not the ledger.
    expect(sha256(await readFile(join(t.dataDir, 'sessions/s1/ckpt/model.bin')))).toBe(sha256(bytes))
  })

  it('refuses createOnly on an existing name with 412 and keeps the first version', async () => {
    await client.putFile('s1', 'a.bin', await tempFile('one', Buffer.from('one')))

    const error = await client.putFile('s1', 'a.bin', await tempFile('two', Buffer.from('two')), { createOnly: true }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(LedgerProblem)
    expect((error as LedgerProblem).status).toBe(412)
    expect((error as LedgerProblem).code).toBe('precondition_failed')
    expect((await client.get('s1', 'a.bin')).bytes.toString()).toBe('one')
  })

  it('replaces only the version named by ifMatchSha256; a stale one is a 412', async () => {
    await client.putFile('s1', 'a.bin', await tempFile('one', Buffer.from('one')))
    const second = await client.putFile('s1', 'a.bin', await tempFile('two', Buffer.from('two')), { ifMatchSha256: sha256(Buffer.from('one')) })
    expect(second.artifacts[0]?.version).toBe(2)

    const stale = await client.putFile('s1', 'a.bin', await tempFile('three', Buffer.from('three')), { ifMatchSha256: sha256(Buffer.from('one')) }).catch((e: unknown) => e)

    expect(stale).toBeInstanceOf(LedgerProblem)
    expect((stale as LedgerProblem).status).toBe(412)
    const history = await client.history('s1', 'a.bin')
    expect(history.versions.map((v) => v.sha256)).toEqual([sha256(Buffer.from('one')), sha256(Buffer.from('two'))])
  })
})

describe('LedgerClient.download and get', () => {
  let proxy: TcpProxy
  let throughProxy: LedgerClient
  beforeEach(async () => {
    proxy = await TcpProxy.start(t.port)
    throughProxy = new LedgerClient({ url: proxy.url, env: {}, retry: RETRY })
  })
  afterEach(async () => {
    throughProxy.close()
    await proxy.close()
  })

  it('downloads a file equal to the source', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 7)
    await client.putFile('s1', 'big.bin', await tempFile('big.bin', bytes))
    const destination = join(work, 'out', 'big.bin')
    await mkdir(join(work, 'out'))

    const saved = await throughProxy.download('s1', 'big.bin', destination)

    expect(saved).toEqual({ sha256: sha256(bytes), size: bytes.byteLength })
    expect(sha256(await readFile(destination))).toBe(sha256(bytes))
    expect(await readdir(join(work, 'out'))).toEqual(['big.bin'])
  })

  it('throws DigestMismatch for a corrupted download and leaves neither the file nor a temp file', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 7)
    await client.putFile('s1', 'big.bin', await tempFile('big.bin', bytes))
    const folder = join(work, 'out')
    await mkdir(folder)
    proxy.plan({ kind: 'corrupt' })

    const error = await throughProxy.download('s1', 'big.bin', join(folder, 'big.bin')).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(DigestMismatch)
    expect((error as DigestMismatch).expected).toBe(sha256(bytes))
    expect(await readdir(folder)).toEqual([])
  })

  it('throws DigestMismatch from get() when a byte of the body is flipped on the wire', async () => {
    await client.commit('s1', [{ name: 'notes.txt', text: 'every byte counts' }])
    proxy.plan({ kind: 'corrupt' })

    const error = await throughProxy.get('s1', 'notes.txt').catch((e: unknown) => e)

    expect(error).toBeInstanceOf(DigestMismatch)
    expect((error as DigestMismatch).expected).toBe(sha256(Buffer.from('every byte counts')))
    // The same read again verifies: the corruption was the wire's, not the store's.
    expect((await throughProxy.get('s1', 'notes.txt')).bytes.toString()).toBe('every byte counts')
  })
})
