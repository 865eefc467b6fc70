// The durable small-file cycle with Node's own fs calls, run as its own process: the physical limit per write.
// Usage: node bench/fsync-cycle.mjs <dir> <concurrency> <seconds> <bytes>; prints one JSON line.
import { constants } from 'node:fs'
import { mkdir, open, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { randomBytes } from 'node:crypto'

const [dir, concurrencyArg, secondsArg, bytesArg] = process.argv.slice(2)
const concurrency = Number(concurrencyArg)
const seconds = Number(secondsArg)
const payload = randomBytes(Number(bytesArg))

/** temp beside target, write, fsync, rename, fsync dir: the steps the service's verified writer takes. */
async function cycle(n) {
  const temp = join(dir, `.tmp-${process.pid}-${n}`)
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644)
  try {
    await handle.write(payload, 0, payload.byteLength)
    await handle.sync()
  } finally {
    await handle.close()
  }
  await rename(temp, join(dir, `f-${n}.bin`))
  const dirHandle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY)
  try {
    await dirHandle.sync()
  } finally {
    await dirHandle.close()
  }
}

await mkdir(dir, { recursive: true })
const latencies = []
let next = 0
const started = performance.now()
const deadline = started + seconds * 1000
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < deadline) {
    const t0 = performance.now()
    await cycle(next++)
    latencies.push(performance.now() - t0)
  }
}))
const wallSeconds = (performance.now() - started) / 1000
process.stdout.write(`${JSON.stringify({ latencies, wallSeconds, cpu: process.cpuUsage() })}\n`)
