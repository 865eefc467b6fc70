// Garbage collection's turn across replicas of one PostgreSQL log (collector-turn.ts): one holder at a time;
// without waiting another finds it taken, waiting it runs once the holder lets go, and stopping ends the wait.
import { expect, it } from 'vitest'
import { PgCollectorTurn } from '../../src/storage/postgres/collector-turn.js'
import { freshDatabase, openLogs, withPostgres } from '../support/postgres.js'

withPostgres('the collector\'s turn across replicas of a PostgreSQL log', (server) => {
  const open = openLogs()

  it('gives the turn to one replica at a time', async () => {
    const url = await freshDatabase(server())
    const [a, b] = [await open(url), await open(url)]
    const [turnA, turnB] = [new PgCollectorTurn(a.run.sql), new PgCollectorTurn(b.run.sql)]
    const events: string[] = []
    let finish!: () => void
    const holding = turnA.run(() => new Promise<void>((resolve) => {
      events.push('A in')
      finish = () => {
        events.push('A out')
        resolve()
      }
    }), { wait: false })
    while (!events.includes('A in')) await new Promise((resolve) => setTimeout(resolve, 5))

    expect(await turnB.run(async () => events.push('B without waiting'), { wait: false })).toEqual({ ran: false })
    const stopping = new AbortController()
    const abandoned = turnB.run(async () => events.push('B stopped'), { wait: true, signal: stopping.signal })
    const waiting = turnB.run(async () => events.push('B in'), { wait: true })
    await new Promise((resolve) => setTimeout(resolve, 300))
    stopping.abort(new Error('stopping'))
    await expect(abandoned).rejects.toThrow('stopping')
    expect(events).toEqual(['A in'])
    finish()
    expect(await holding).toMatchObject({ ran: true })
    expect(await waiting).toMatchObject({ ran: true })
    expect(events).toEqual(['A in', 'A out', 'B in'])
  })
})
