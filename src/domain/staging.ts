// How content is received for staging, whatever the store: the size limit is checked on every chunk as
// it arrives, before anything is kept, and a failure of the source itself is the source's, not the store's.
import type { StageOptions } from './ports.js'

export type ReceiveOptions = Partial<Pick<StageOptions, 'limit' | 'sourceFailure'>>

export async function* receive(source: Uint8Array | AsyncIterable<Uint8Array>, options: ReceiveOptions): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    if (options.limit !== undefined && source.byteLength > options.limit.bytes) throw options.limit.error()
    yield source
    return
  }
  let received = 0
  const iterator = source[Symbol.asyncIterator]()
  for (;;) {
    let next: IteratorResult<Uint8Array>
    try {
      next = await iterator.next()
    } catch (error) {
      throw options.sourceFailure?.(error) ?? error
    }
    if (next.done === true) return
    received += next.value.byteLength
    if (options.limit !== undefined && received > options.limit.bytes) throw options.limit.error()
    yield next.value
  }
}
