// The built command writing into a pipe whose reader stops early (`| head`, `| true`): it ends quietly
// with its own exit code. A stdout that cannot be written (a full disk) is a failure, exit 1.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CommitRecord } from '../../src/client/index.js'
import { runCli, type CliRun } from './cli-process.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

const MiB = 1024 * 1024

let t: ListeningLedger
let work: string
beforeEach(async () => {
  t = await startListeningLedger()
  work = await mkdtemp(join(tmpdir(), 'artifact-ledger-cli-'))
})
afterEach(async () => {
  await t.cleanup()
  await rm(work, { recursive: true, force: true })
})

function cli(args: string[], stdout?: 'closed' | number): Promise<CliRun> {
  return runCli(args, { url: t.url, cwd: work, ...(stdout === undefined ? {} : { stdout }) })
}

/** `artifact-ledger <args> | head -c <count>`: both real processes, the pipe between them the kernel's. */
function throughHead(args: string[], count: number): Promise<{ cli: CliRun; head: Buffer }> {
  const head = spawn('head', ['-c', String(count)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const headOut: Buffer[] = []
  head.stdout.on('data', (chunk: Buffer) => headOut.push(chunk))
  const headDone = new Promise((resolve) => head.once('close', resolve))
  const run = runCli(args, { url: t.url, cwd: work, stdout: head.stdin })
  // The command holds its own copy of the write end; ours closes so head sees the end of input when the command ends.
  head.stdin.destroy()
  return Promise.all([run, headDone]).then(([cli]) => ({ cli, head: Buffer.concat(headOut) }))
}

describe('artifact-ledger output into a pipe whose reader stops early', () => {
  it('ends a get of 8 MiB piped into head -c 10 with exit 0 and nothing on stderr', async () => {
    const blob = randomBytes(8 * MiB)
    await writeFile(join(work, 'big.bin'), blob)
    expect((await cli(['push', 's1', 'big.bin'])).code).toBe(0)

    const { cli: run, head } = await throughHead(['get', 's1', 'big.bin'], 10)

    expect({ code: run.code, signal: run.signal, stderr: run.stderr }).toEqual({ code: 0, signal: null, stderr: '' })
    expect(head).toEqual(blob.subarray(0, 10))
  })

  it('ends every command that prints with its own exit code and no stack trace when the reader is gone before it writes', async () => {
    await writeFile(join(work, 'a.txt'), 'alpha\n')
    expect((await cli(['push', 's1', 'a.txt', '--expect', 'b.txt'])).code).toBe(0)
    const log = await (await fetch(`${t.url}/v1/commits?session=s1&kind=artifacts`)).json() as { commits: CommitRecord[] }
    const commitId = (log.commits[0] as CommitRecord).id
    await writeFile(join(t.dataDir, 'sessions/s1/a.txt'), 'tampered\n')

    const commands: Array<{ args: string[]; code: number }> = [
      { args: ['ls'], code: 0 },
      { args: ['ls', 's1'], code: 0 },
      { args: ['log'], code: 0 },
      { args: ['log', '--commit', commitId], code: 0 },
      { args: ['status'], code: 0 },
      { args: ['status', '--json'], code: 0 },
      { args: ['get', 's1', 'a.txt', '--json'], code: 0 },
      { args: ['push', 's2', 'a.txt', '--json'], code: 0 },
      // A problem the ledger reports stays reported: the closed pipe does not turn 3 into 0.
      { args: ['verify', '--no-repair'], code: 3 },
      { args: ['complete', 's1'], code: 3 },
      { args: ['--help'], code: 0 },
      { args: ['push', '--help'], code: 0 },
    ]
    for (const { args, code } of commands) {
      const run = await cli(args, 'closed')
      expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code, stderr: '' })
    }
    // The commands did their work although no one read what they printed.
    expect((await fetch(`${t.url}/v1/sessions/s2`)).status).toBe(200)
    expect(await (await fetch(`${t.url}/v1/sessions/s1`)).json()).toMatchObject({ state: 'incomplete' })
  })
})

describe('artifact-ledger output into a stdout that cannot be written', () => {
  // /dev/full fails every write with ENOSPC: the disk-full case of `get … > file`, without filling a disk.
  it('exits 1 and says stdout could not be written, when a get to stdout hits a full disk', async () => {
    expect(existsSync('/dev/full')).toBe(true)
    await writeFile(join(work, 'a.txt'), 'alpha\n')
    expect((await cli(['push', 's1', 'a.txt'])).code).toBe(0)
    const full = openSync('/dev/full', 'w')
    try {
      const run = await cli(['get', 's1', 'a.txt'], full)

      expect(run.code).toBe(1)
      expect(run.stderr).toBe('artifact-ledger: cannot write to stdout: no space left on the device (ENOSPC)\n')
    } finally {
      closeSync(full)
    }
  })
})
