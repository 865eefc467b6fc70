// The plain view flushed in batches: the power goes at each point of a batch (after the files are
// published and before their flush, during it, after it and before the checkpoint, after the
// checkpoint), and start-up recovery puts every plain file back to the latest committed version
// (invariant 2), re-checking only the files of entries after the checkpoint. A failed fsync in the
// flusher keeps the checkpoint where it is and the file is written again, never fsynced twice.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { LedgerPorts } from '../../src/domain/ports.js'
import { openStorage } from '../../src/storage/open-storage.js'
import { sha256 } from '../support/factories.js'
import { FaultyFs } from '../support/faulty-fs.js'
import { PowerLossFs } from '../support/power-loss.js'
import { makeDataDir, startLedger, type TestLedger } from '../support/start-ledger.js'

const SID = 's1'
/** No timer: each test runs the batches itself. */
const MANUAL = { plainViewFlushMs: 3_600_000, deadlineCheckIntervalMs: 0 }

const started: TestLedger[] = []
afterEach(async () => {
  for (const t of started.splice(0)) await t.cleanup()
})

async function start(options: Parameters<typeof startLedger>[0]): Promise<TestLedger> {
  const t = await startLedger(options)
  started.push(t)
  return t
}

async function commit(t: TestLedger, files: Record<string, string>): Promise<void> {
  const artifacts = Object.entries(files).map(([name, text]) => ({ name, text }))
  const res = await t.app.inject({ method: 'POST', url: `/v1/sessions/${SID}/commits`, payload: { artifacts } })
  expect(res.statusCode).toBe(201)
}

async function put(t: TestLedger, name: string, text: string): Promise<void> {
  const res = await t.app.inject({ method: 'PUT', url: `/v1/sessions/${SID}/artifacts/${name}`, payload: text, headers: { 'content-type': 'text/plain' } })
  expect(res.statusCode).toBe(201)
}

/** Invariant 2 and a clean verify, as the restarted ledger sees its data dir. */
async function expectPlainViewEqualsLog(t: TestLedger): Promise<void> {
  const listing = (await t.app.inject(`/v1/sessions/${SID}/artifacts`)).json<{ artifacts: { name: string; sha256: string }[] }>()
  expect(listing.artifacts.length).toBeGreaterThan(0)
  for (const { name, sha256: digest } of listing.artifacts) {
    expect(sha256(await readFile(join(t.dataDir, 'sessions', SID, name))), `sessions/${SID}/${name}`).toBe(digest)
  }
  const verify = await t.ledger.verify({ repair: false })
  expect(verify).toMatchObject({ ok: true, missing: [], corrupt: [], orphaned: [] })
}

type CrashPoint = 'after publish, before the flush' | 'during the flush' | 'after the flush, before the checkpoint' | 'after the checkpoint'

/** Bookkeeping that records the first `allowed` checkpoints, then never resolves: the power goes right before it. */
function checkpointGate(ports: LedgerPorts, allowed: number): { ports: LedgerPorts; reached: Promise<void> } {
  let reached!: () => void
  const reachedPromise = new Promise<void>((resolve) => {
    reached = resolve
  })
  let left = allowed
  const bookkeeping = Object.create(ports.bookkeeping) as LedgerPorts['bookkeeping']
  bookkeeping.setPlainViewCheckpoint = (seq) => {
    if (left-- > 0) return ports.bookkeeping.setPlainViewCheckpoint(seq)
    reached()
    return new Promise<never>(() => undefined)
  }
  return { ports: { ...ports, bookkeeping }, reached: reachedPromise }
}

describe('the plain view flushed in batches, across a power loss', () => {
  it.each<CrashPoint>([
    'after publish, before the flush', 'during the flush', 'after the flush, before the checkpoint', 'after the checkpoint',
  ])('restores every plain file to the latest committed version when the power goes %s', async (point) => {
    const dataDir = await makeDataDir()
    const power = new PowerLossFs(join(dataDir, 'sessions'))
    let ports = openStorage(dataDir, power)
    let checkpointReached: Promise<void> | undefined
    if (point === 'after the flush, before the checkpoint') {
      // Start-up recovery and the first batch record theirs; the second batch never gets to.
      const gated = checkpointGate(ports, 2)
      ports = gated.ports
      checkpointReached = gated.reached
    }
    const crashed = await startLedger({ dataDir, storage: () => ports, settings: MANUAL })
    // Before the checkpoint: flushed by the first batch, never re-checked.
    await commit(crashed, { 'kept.txt': 'kept 1', 'deep/a.txt': 'a 1', 'b.txt': 'b 1' })
    await put(crashed, 'up.bin', 'uploaded 1')
    await crashed.ledger.flushPlainView()
    expect(power.unflushed()).toEqual([])
    // After it: replaced, new, uploaded, replaced twice.
    await commit(crashed, { 'deep/a.txt': 'a 2', 'new/c.txt': 'c 1' })
    await put(crashed, 'up.bin', 'uploaded 2')
    await commit(crashed, { 'b.txt': 'b 2' })
    await commit(crashed, { 'b.txt': 'b 3' })
    const afterCheckpoint = ['deep/a.txt', 'new/c.txt', 'up.bin', 'b.txt']

    if (point === 'during the flush') {
      power.holdFsyncs(2)
      void crashed.ledger.flushPlainView()
      await power.reachedHold
    } else if (point === 'after the flush, before the checkpoint') {
      void crashed.ledger.flushPlainView()
      await checkpointReached
      expect(power.unflushed()).toEqual([])
    } else if (point === 'after the checkpoint') {
      await crashed.ledger.flushPlainView()
    }
    const lost = await power.powerLoss()
    if (point === 'after the checkpoint') expect(lost).toEqual([])
    else if (point !== 'after the flush, before the checkpoint') expect(lost.length).toBeGreaterThan(0)

    // The crashed ledger is left as it is (its log never closed); a new one starts on the same data dir.
    const t = await start({ dataDir })
    expect(t.ledger.state.recheckedPlainFiles).toBe(point === 'after the checkpoint' ? 0 : afterCheckpoint.length)
    await expectPlainViewEqualsLog(t)
    expect(await readFile(join(dataDir, 'sessions', SID, 'b.txt'), 'utf8')).toBe('b 3')
    expect(await readFile(join(dataDir, 'sessions', SID, 'up.bin'), 'utf8')).toBe('uploaded 2')
    await t.close()
    // Recovery flushed what it checked and moved the checkpoint: the next start checks nothing.
    const again = await start({ dataDir })
    expect(again.ledger.state.recheckedPlainFiles).toBe(0)
    await expectPlainViewEqualsLog(again)
  })

  it('leaves a checkpoint at the end of the log on a clean stop, so the next start re-checks nothing', async () => {
    const dataDir = await makeDataDir()
    const first = await start({ dataDir, settings: MANUAL })
    await commit(first, { 'a.txt': 'a', 'b/c.txt': 'c' })
    await put(first, 'd.bin', 'd')
    await first.close()
    const ports = openStorage(dataDir)
    expect(await ports.bookkeeping.plainViewCheckpoint()).toBe(await ports.log.lastSeq())
    await ports.log.close()
    const second = await start({ dataDir })
    expect(second.ledger.state.recheckedPlainFiles).toBe(0)
    await expectPlainViewEqualsLog(second)
  })
})

describe('a failed fsync in the flusher', () => {
  it('keeps the checkpoint, writes the file again from the log instead of fsyncing it twice, and moves on once that is flushed', async () => {
    const dataDir = await makeDataDir()
    const faults = new FaultyFs()
    const ports = openStorage(dataDir, faults)
    const t = await start({ dataDir, storage: () => ports, settings: MANUAL })
    await commit(t, { 'a.txt': 'a 1' })
    await t.ledger.flushPlainView()
    const before = await ports.bookkeeping.plainViewCheckpoint()
    const plainFile = join(dataDir, 'sessions', SID, 'a.txt')
    faults.fail('fsync', 'EIO', { times: 1, when: (path) => path === plainFile })
    // The fsync is after the 2xx now: the commit goes through, and the flush fails.
    await commit(t, { 'a.txt': 'a 2', 'other.txt': 'o' })
    const failedAt = faults.calls.length
    await expect(t.ledger.flushPlainView()).rejects.toMatchObject({ code: 'storage_fault' })
    expect(await ports.bookkeeping.plainViewCheckpoint()).toBe(before)
    expect(faults.injected).toHaveLength(1)
    const status = async () => (await t.app.inject('/v1/status')).json<{ backgroundErrors: { path: string; code: string }[] }>()
    expect((await status()).backgroundErrors).toEqual([expect.objectContaining({ path: 'plain-view-flush', code: 'storage_fault' })])
    // Not ready while a plain file is owed its rewrite: ready promises a plain view in line with the log.
    const ready = await t.app.inject('/health/ready')
    expect(ready.statusCode).toBe(503)
    expect(ready.json().checks['storage:faults'][0]).toMatchObject({ status: 'fail', observedValue: 1 })

    await t.ledger.flushPlainView()
    expect((await t.app.inject('/health/ready')).statusCode).toBe(200)
    const after = faults.calls.slice(failedAt)
    // A new file was written and renamed over it before the one fsync that followed.
    const rename = after.findIndex((call) => call.step === 'rename' && call.path === plainFile)
    const fsyncs = after.map((call, i) => ({ ...call, i })).filter((call) => call.step === 'fsync' && call.path === plainFile)
    expect(rename).toBeGreaterThanOrEqual(0)
    expect(fsyncs.length).toBeGreaterThanOrEqual(2)
    expect(fsyncs.filter((call) => call.i > rename)).toHaveLength(1)
    expect(await ports.bookkeeping.plainViewCheckpoint()).toBe(await ports.log.lastSeq())
    expect(await readFile(plainFile, 'utf8')).toBe('a 2')
    expect((await status()).backgroundErrors).toEqual([])
    await expectPlainViewEqualsLog(t)
  })
})

describe('a ledger stopped before its recovery ran', () => {
  it('records no checkpoint, so the next start still re-checks what the last process left unflushed', async () => {
    const dataDir = await makeDataDir()
    const power = new PowerLossFs(join(dataDir, 'sessions'))
    const crashed = await startLedger({ dataDir, storage: (dir) => openStorage(dir, power), settings: MANUAL })
    await commit(crashed, { 'a.txt': 'a 1', 'b/c.txt': 'c 1' })
    expect(await power.powerLoss()).toHaveLength(2)
    // A start that never got to recovery (it failed before), then a stop: its last batch must not run.
    const { Ledger } = await import('../../src/ledger/ledger.js')
    const ports = openStorage(dataDir)
    const stopped = new Ledger(ports, { version: 'test', maxArtifactBytes: 1 << 20, disk: { hardReserveBytes: 0, softReserveBytes: 0 }, logger: crashed.logs })
    await stopped.close()
    const t = await start({ dataDir })
    expect(t.ledger.state.recheckedPlainFiles).toBe(2)
    await expectPlainViewEqualsLog(t)
  })
})
