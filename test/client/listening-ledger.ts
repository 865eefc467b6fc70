// The in-process ledger of start-ledger.ts, listening on 127.0.0.1 so the client talks real HTTP to it.
import { startLedger, type StartOptions, type TestLedger } from '../support/start-ledger.js'

export interface ListeningLedger extends TestLedger {
  port: number
  url: string
}

export async function startListeningLedger(options: StartOptions = {}): Promise<ListeningLedger> {
  const t = await startLedger(options)
  await t.app.listen({ port: 0, host: '127.0.0.1' })
  const address = t.app.server.address()
  if (address === null || typeof address === 'string') throw new Error('the ledger is not listening on a TCP port')
  return { ...t, port: address.port, url: `http://127.0.0.1:${address.port}` }
}
