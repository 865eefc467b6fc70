import { spawn, spawnSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DataDirInUse, LOCK_FILE, lockDataDir } from '../src/storage/data-dir-lock.js'
import { makeDataDir } from './support/start-ledger.js'
import { killAllServers, startServer } from './support/server-process.js'

afterEach(async () => {
  await killAllServers()
})

describe('one service per DATA_DIR', () => {
  it('takes the data dir, refuses it to a second holder, and gives it back on release', async () => {
    const dataDir = await makeDataDir()
    const release = lockDataDir(dataDir)
    expect((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid))
    // A live process (a child that sleeps) holding the lock keeps us out.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30_000)'])
    try {
      release()
      await writeFile(join(dataDir, LOCK_FILE), `${sleeper.pid}\n`)
      expect(() => lockDataDir(dataDir)).toThrow(DataDirInUse)
    } finally {
      sleeper.kill('SIGKILL')
    }
  })

  it('takes over a lock whose process is gone, as after a kill -9', async () => {
    const dataDir = await makeDataDir()
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
    await writeFile(join(dataDir, LOCK_FILE), `${gone.stdout}\n`)
    const release = lockDataDir(dataDir)
    expect((await readFile(join(dataDir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid))
    release()
  })

  it('stops a second built server on the same DATA_DIR with one line, leaving the first serving', async () => {
    const dataDir = await makeDataDir()
    const first = await startServer({ dataDir })
    await first.waitReady()
    const second = spawnSync(process.execPath, ['dist/main.js'], {
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' }, encoding: 'utf8', timeout: 20_000,
    })
    expect(second.status).toBe(1)
    expect(second.stderr.trim().split('\n')).toHaveLength(1)
    expect(second.stderr).toContain('is in use by process')
    expect((await first.readiness())?.status).toBe(200)
  })
})
