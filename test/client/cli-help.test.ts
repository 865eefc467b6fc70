// What `--help` tells a script author: the exit codes to branch on and the environment variables read,
// at the top level and for each command; for serve, where the server's settings are described.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runCli } from './cli-process.js'

// Help needs no service: nothing listens here, and a request would fail the run.
const NO_SERVICE = 'http://127.0.0.1:9'

async function help(...args: string[]): Promise<string> {
  const run = await runCli(args, { url: NO_SERVICE })
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' })
  return run.stdout.toString('utf8')
}

/** The codes listed under "Exit codes:", in order. */
function exitCodesIn(text: string): number[] {
  const section = text.split('\nExit codes:\n')[1]?.split('\n\n')[0] ?? ''
  return [...section.matchAll(/^ {2}(\d) {2}\S/gm)].map((match) => Number(match[1]))
}

describe('artifact-ledger --help', () => {
  it('lists every exit code with its meaning, and the environment variables, serve\'s included', async () => {
    const text = await help('--help')

    expect(exitCodesIn(text)).toEqual([0, 1, 2, 3, 4])
    expect(text).toMatch(/^ {2}0 {2}done$/m)
    expect(text).toMatch(/^ {2}1 {2}the service refused or failed, a digest did not verify/m)
    expect(text).toMatch(/^ {2}2 {2}usage/m)
    expect(text).toMatch(/^ {2}3 {2}done, but the ledger reports a problem/m)
    expect(text).toMatch(/^ {2}4 {2}the service stayed unreachable/m)
    expect(text).toMatch(/^Environment:\n {2}ARTIFACT_LEDGER_URL {4}.*default http:\/\/127\.0\.0\.1:8080/m)
    expect(text).toMatch(/^ {2}ARTIFACT_LEDGER_TOKEN {2}bearer token/m)
    expect(text).toContain('Configuration table of README.md')
  })

  it.each([
    ['push', [0, 1, 2, 3, 4]],
    ['get', [0, 1, 2, 4]],
    ['ls', [0, 1, 2, 4]],
    ['log', [0, 1, 2, 4]],
    ['status', [0, 1, 2, 4]],
    ['verify', [0, 1, 2, 3, 4]],
    ['complete', [0, 1, 2, 3, 4]],
  ])('lists the exit codes %s can end with, and ARTIFACT_LEDGER_URL and ARTIFACT_LEDGER_TOKEN', async (command, codes) => {
    const text = await help(command, '--help')

    expect(exitCodesIn(text)).toEqual(codes)
    expect(text).toContain('\nEnvironment:\n  ARTIFACT_LEDGER_URL ')
    expect(text).toContain('\n  ARTIFACT_LEDGER_TOKEN ')
    expect(await help('help', command)).toBe(text)
  })

  it("lists serve's exit codes and points to the Configuration table for the server's variables", async () => {
    const text = await help('serve', '--help')

    expect(exitCodesIn(text)).toEqual([0, 1, 2])
    expect(text).toMatch(/^ {2}0 {2}stopped by SIGTERM or SIGINT/m)
    expect(text).toContain('PORT, HOST, DATA_DIR, AUTH_TOKENS')
    expect(text).toContain('Configuration table of README.md')
    expect(text).not.toContain('ARTIFACT_LEDGER_URL')
  })

  it('points to a Configuration table that exists and lists the variables help names', async () => {
    const readme = await readFile(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8')
    const table = readme.split('\n## Configuration\n')[1]?.split('\n## ')[0] ?? ''

    for (const variable of ['PORT', 'HOST', 'DATA_DIR', 'AUTH_TOKENS', 'LOG_LEVEL']) expect(table).toContain(`| \`${variable}\` |`)
  })
})
