// Whether what the command printed arrived. A reader that stopped reading (`get … | head`) is not a
// failure: the command did what it was asked and no one is left to tell. A write that failed (a full
// disk behind `> file`) is one: the output the user asked for is not there.
import type { Writable } from 'node:stream'

export type OutputFate = 'written' | 'reader-gone' | Error

export interface WatchedOutput {
  /** Waits until everything written so far has left the process (writes complete in order), then says how. */
  settled(): Promise<OutputFate>
}

function isReaderGone(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'EPIPE'
}

/**
 * Listens for stdout's and stderr's errors from the first write on: an 'error' event nobody hears ends
 * the process with a stack trace. The listeners stay attached: a failed stream emits its 'error' after
 * the write callbacks ran, so possibly after `settled` resolved.
 */
export function watchOutput(stdout: Writable, stderr: Writable): WatchedOutput {
  let failure: Error | undefined
  stdout.on('error', (error: Error) => {
    failure ??= error
  })
  stderr.on('error', () => {
    // stderr is where failures are told: once it is gone there is nowhere left to tell its own, and
    // the exit code still says how the command went.
  })
  return {
    settled: () => new Promise((resolve) => {
      stdout.write('', (error) => {
        // After an EPIPE the stream is destroyed and this write fails as well: the first failure says why.
        const cause = failure ?? error ?? undefined
        if (cause === undefined) resolve('written')
        else resolve(isReaderGone(cause) ? 'reader-gone' : cause)
      })
    }),
  }
}
