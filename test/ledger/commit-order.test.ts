// What a commit may do before its pending entry is durable, and what must wait for it: the costly half
// of a plain file (its temp, PlainView.prepare) starts beside the entry; the change (showPrepared)
// comes after. A pending entry the log refuses leaves no temp behind.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { StorageFault } from '../../src/domain/errors.js'
import type { LedgerPorts } from '../../src/domain/ports.js'
import { openStorage } from '../../src/storage/open-storage.js'
import { startLedger, type TestLedger } from '../support/start-ledger.js'

let t: TestLedger | undefined
afterEach(async () => {
  await t?.cleanup()
  t = undefined
})

/** The ports with the log's insertPending and the view's prepare/show steps wrapped to record their order. */
function recording(ports: LedgerPorts, events: string[], refusePending = false): LedgerPorts {
  const { log, view } = ports
  const wrappedLog: LedgerPorts['log'] = Object.assign(Object.create(log) as LedgerPorts['log'], {
    insertPending: async (...args: Parameters<typeof log.insertPending>) => {
      events.push('pending:start')
      if (refusePending) throw new StorageFault('the log refused the pending entry (injected)')
      const seq = await log.insertPending(...args)
      events.push('pending:durable')
      return seq
    },
  })
  const wrappedView: LedgerPorts['view'] = Object.assign(Object.create(view) as LedgerPorts['view'], {
    prepare: (...args: Parameters<typeof view.prepare>) => {
      events.push(`prepare:${args[1]}`)
      return view.prepare(...args)
    },
    showPrepared: (...args: Parameters<typeof view.showPrepared>) => {
      events.push(`show:${args[0].name}`)
      return view.showPrepared(...args)
    },
  })
  return { ...ports, log: wrappedLog, view: wrappedView }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort()
}

describe('a commit before and after its pending entry', () => {
  it('prepares its plain files beside the pending entry and shows them only once it is durable', async () => {
    const events: string[] = []
    t = await startLedger({ storage: (dir, fs) => recording(openStorage(dir, fs), events) })
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/s1/commits',
      payload: { artifacts: [{ name: 'a.txt', text: 'a' }, { name: 'deep/b.txt', text: 'b' }] },
    })
    expect(res.statusCode, res.body).toBe(201)
    const durable = events.indexOf('pending:durable')
    expect(durable).toBeGreaterThan(0)
    // Both temps were begun before the entry was durable; no file changed before it was.
    expect(events.indexOf('prepare:a.txt')).toBeLessThan(durable)
    expect(events.indexOf('prepare:deep/b.txt')).toBeLessThan(durable)
    expect(events.indexOf('show:a.txt')).toBeGreaterThan(durable)
    expect(events.indexOf('show:deep/b.txt')).toBeGreaterThan(durable)
    expect(await filesUnder(join(t.dataDir, 'sessions', 's1'))).toEqual(['a.txt', join('deep', 'b.txt')])
  })

  it('leaves no temp and changes no file when the log refuses the pending entry', async () => {
    const events: string[] = []
    t = await startLedger({ storage: (dir, fs) => recording(openStorage(dir, fs), events, true) })
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/s1/commits',
      payload: { artifacts: [{ name: 'a.txt', text: 'a' }, { name: 'deep/b.txt', text: 'b' }] },
    })
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(500)
    expect(events).toContain('prepare:a.txt')
    expect(events.filter((e) => e.startsWith('show:'))).toEqual([])
    // A temp left behind would still be being written as the answer goes out: give it time to show up.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await filesUnder(join(t.dataDir, 'sessions'))).toEqual([])
  })
})
