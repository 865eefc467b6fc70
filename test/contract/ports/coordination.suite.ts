// The contract every Coordination passes: one holder of a session or an idempotency key at a time,
// counted object claims, and a recovery scope that hands back only entries it was given.
import { describe, expect, it } from 'vitest'
import type { Coordination } from '../../../src/domain/ports.js'

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the condition')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export function coordinationContract(adapter: string, open: () => Promise<Coordination>): void {
  describe(`Coordination contract: ${adapter}`, () => {
    it('runs the work of one session one at a time, in the order it came, and other sessions beside it', async () => {
      const { sessions } = await open()
      const events: string[] = []
      const work = (name: string) => async (): Promise<string> => {
        events.push(`${name} in`)
        await tick()
        events.push(`${name} out`)
        return name
      }
      const results = await Promise.all([sessions.withLock('s1', work('a')), sessions.withLock('s1', work('b')), sessions.withLock('s2', work('c'))])
      expect(results).toEqual(['a', 'b', 'c'])
      expect(events.indexOf('a out')).toBeLessThan(events.indexOf('b in'))
      expect(events.indexOf('c in')).toBeLessThan(events.indexOf('a out'))
    })

    it('releases a session whose work failed', async () => {
      const { sessions } = await open()
      await expect(sessions.withLock('s1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
      expect(await sessions.withLock('s1', async () => 'next')).toBe('next')
    })

    it('lets one attempt of an idempotency key run at a time, per session', async () => {
      const { idempotency } = await open()
      let running = 0
      let most = 0
      const attempt = async (): Promise<void> => {
        most = Math.max(most, ++running)
        await tick()
        running--
      }
      await Promise.all([idempotency.withKey('s1', 'k', attempt), idempotency.withKey('s1', 'k', attempt), idempotency.withKey('s1', 'k', attempt)])
      expect(most).toBe(1)
      await Promise.all([idempotency.withKey('s1', 'k', attempt), idempotency.withKey('s2', 'k', attempt), idempotency.withKey('s1', 'other', attempt)])
      expect(most).toBe(3)
    })

    it('counts object claims: an object stays claimed until every claim on it is released', async () => {
      const { objects } = await open()
      const first = await objects.claim(['x', 'y'])
      const second = await objects.claim(['x'])
      await first()
      expect([await objects.isClaimed('x'), await objects.isClaimed('y')]).toEqual([true, false])
      await second()
      expect(await objects.isClaimed('x')).toBe(false)
    })

    it('removes an object only when nothing claims it', async () => {
      const { objects } = await open()
      const release = await objects.claim(['x'])
      let removed = 0
      expect(await objects.removeUnclaimed('x', async () => void removed++)).toBe(false)
      await release()
      expect(await objects.removeUnclaimed('x', async () => void removed++)).toBe(true)
      expect(removed).toBe(1)
    })

    it('holds off a claim until a removal of the same object in progress has settled, failed or not', async () => {
      const { objects } = await open()
      const events: string[] = []
      let finish!: () => void
      const removing = objects.removeUnclaimed('x', () => new Promise<void>((resolve) => {
        events.push('removal in')
        finish = () => {
          events.push('removal out')
          resolve()
        }
      }))
      // Under way once its work has begun (an adapter may take a lock on a server first).
      await until(() => events.includes('removal in'))
      const claiming = objects.claim(['x']).then((release) => {
        events.push('claimed')
        return release
      })
      const other = await objects.claim(['y'])
      await tick()
      expect(events).toEqual(['removal in'])
      finish()
      const release = await claiming
      await removing
      expect(events).toEqual(['removal in', 'removal out', 'claimed'])
      expect(await objects.isClaimed('x')).toBe(true)
      await Promise.all([release(), other()])

      events.length = 0
      const failing = objects.removeUnclaimed('x', async () => {
        events.push('failing removal in')
        await tick()
        throw new Error('disk gone')
      })
      await until(() => events.includes('failing removal in'))
      const next = objects.claim(['x'])
      await expect(failing).rejects.toThrow('disk gone')
      await (await next)()
      expect(await objects.isClaimed('x')).toBe(false)
    })

    it('runs work in the collector\'s turn when no other process holds it, and lets go of it when the work fails', async () => {
      const { collector } = await open()
      expect(await collector.run(async () => 'collected', { wait: false })).toEqual({ ran: true, value: 'collected' })
      await expect(collector.run(async () => Promise.reject(new Error('boom')), { wait: false })).rejects.toThrow('boom')
      expect(await collector.run(async () => 'again', { wait: true })).toEqual({ ran: true, value: 'again' })
    })

    it('hands back, to recover, only entries it was given', async () => {
      const { recovery } = await open()
      const entries = [{ seq: 1, sessionId: 's1', id: 'a' }, { seq: 2, sessionId: 's2', id: 'b' }]
      const mine = await recovery.mine(entries)
      expect(mine.every((entry) => entries.includes(entry))).toBe(true)
    })
  })
}
