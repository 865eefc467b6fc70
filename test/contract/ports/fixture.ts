// What every contract suite shares: a fresh fixture per test, closed after it, and bytes read back whole.
import { afterEach, beforeEach } from 'vitest'

/**
 * Opens a fixture before each test of the suite (handing it to `use`) and closes it after. `replace`
 * puts another in its place (a log reopened), which is the one closed then.
 */
export function eachFixture<F extends { close(): Promise<void> }>(open: () => Promise<F>, use: (fixture: F) => void): { replace(next: F): void } {
  let fixture: F | undefined
  const replace = (next: F): void => {
    fixture = next
    use(next)
  }
  beforeEach(async () => {
    replace(await open())
  })
  afterEach(async () => {
    await fixture?.close()
    fixture = undefined
  })
  return { replace }
}

/** Everything a stream or async iterable yields, as text. */
export async function textOf(source: NodeJS.ReadableStream | AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of source as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString()
}
