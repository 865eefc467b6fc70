// Reading a stored file as a source for another write: opened only when the first chunk is asked for.
import { createReadStream } from 'node:fs'
import { storageFailure } from './io-errors.js'

/**
 * A file's bytes, opened only when the first chunk is asked for and closed when iteration stops:
 * a write that fails before reading leaves no open descriptor and no unhandled stream error.
 */
export async function* readLazily(path: string, shownAs: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer
  } catch (error) {
    throw storageFailure('read', shownAs, error)
  }
}
