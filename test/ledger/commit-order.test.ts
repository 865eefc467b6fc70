// What a commit may do before its pending entry is durable, and what must wait for it: the costly,
// invisible half of its files (a plain file's temp, PlainView.prepare; or, for content kept as a file,
// the staging of object and plain copy, ObjectStore.stage) starts beside the entry; every change of a
// name (showPrepared, or publish and showStaged) comes after. A refused entry leaves no temp behind.
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
    showStaged: (...args: Parameters<typeof view.showStaged>) => {
      events.push(`show:${args[1]}`)
      return view.showStaged(...args)
    },
  })
  const { objects } = ports
  const wrappedObjects: LedgerPorts['objects'] = Object.assign(Object.create(objects) as LedgerPorts['objects'], {
    stage: (...args: Parameters<typeof objects.stage>) => {
      events.push('stage')
      return objects.stage(...args)
    },
    publish: (...args: Parameters<typeof objects.publish>) => {
      events.push('publish')
      return objects.publish(...args)
    },
  })
  return { ...ports, log: wrappedLog, view: wrappedView, objects: wrappedObjects }
}

/** Small content kept inside ledger.db (its plain file prepared), or every object a file (staged). */
const ROUTES = [
  { route: 'inline rows, plain files prepared', inlineObjectMaxBytes: 1024, early: ['prepare:a.txt', 'prepare:deep/b.txt'], late: ['show:a.txt', 'show:deep/b.txt'] },
  { route: 'objects as files, staged with their plain copies', inlineObjectMaxBytes: 0, early: ['stage'], late: ['publish', 'show:a.txt', 'show:deep/b.txt'] },
]

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort()
}

describe.each(ROUTES)('a commit before and after its pending entry ($route)', ({ inlineObjectMaxBytes, early, late }) => {
  it('begins its files beside the pending entry and changes no name before it is durable', async () => {
    const events: string[] = []
    t = await startLedger({ storage: (dir, fs) => recording(openStorage(dir, fs, { inlineObjectMaxBytes }), events) })
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/s1/commits',
      payload: { artifacts: [{ name: 'a.txt', text: 'a' }, { name: 'deep/b.txt', text: 'b' }] },
    })
    expect(res.statusCode, res.body).toBe(201)
    const durable = events.indexOf('pending:durable')
    expect(durable).toBeGreaterThan(0)
    for (const event of early) expect(events.indexOf(event), `${event} in ${events.join(', ')}`).toBeGreaterThanOrEqual(0)
    for (const event of early) expect(events.indexOf(event), `${event} in ${events.join(', ')}`).toBeLessThan(durable)
    for (const event of late) expect(events.indexOf(event), `${event} in ${events.join(', ')}`).toBeGreaterThan(durable)
    expect(await filesUnder(join(t.dataDir, 'sessions', 's1'))).toEqual(['a.txt', join('deep', 'b.txt')])
    expect(await filesUnder(join(t.dataDir, 'objects', 'incoming'))).toEqual([])
  })

  it('leaves no temp and changes no file when the log refuses the pending entry', async () => {
    const events: string[] = []
    t = await startLedger({ storage: (dir, fs) => recording(openStorage(dir, fs, { inlineObjectMaxBytes }), events, true) })
    const res = await t.app.inject({
      method: 'POST', url: '/v1/sessions/s1/commits',
      payload: { artifacts: [{ name: 'a.txt', text: 'a' }, { name: 'deep/b.txt', text: 'b' }] },
    })
    expect(res.statusCode, res.body).toBeGreaterThanOrEqual(500)
    expect(events).toContain(early[0])
    expect(events.filter((e) => e.startsWith('show:') || e === 'publish')).toEqual([])
    // A temp left behind would still be being written as the answer goes out: give it time to show up.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await filesUnder(join(t.dataDir, 'sessions'))).toEqual([])
    expect(await filesUnder(join(t.dataDir, 'objects'))).toEqual([])
  })
})
