// Small helpers of the scripts that start throwaway servers (PostgreSQL, RGW, the cluster, the soak).
import { accessSync, constants } from 'node:fs'
import { createServer } from 'node:net'

/**
 * A port on 127.0.0.1 that nothing listens on right now. Another process may take it before the caller
 * binds it: callers that can retry on EADDRINUSE do.
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address())
      server.close(() => resolve(port))
    })
  })
}

/** True when `path` is a file this process may execute (a server binary to start). */
export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** True while a process with this pid exists (signal 0 checks without signalling). */
export function alive(pid) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
