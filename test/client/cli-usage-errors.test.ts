// The built command given a bad command line: exit 2, one line saying what is wrong and one hint on
// stderr, never the whole help, and not one request reaches the service.
import type { IncomingMessage } from 'node:http'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { CommitPage } from '../../src/client/index.js'
import { runCli, type CliRun } from './cli-process.js'
import { startListeningLedger, type ListeningLedger } from './listening-ledger.js'

let t: ListeningLedger
let work: string
/** Every request the service received, counted at its socket: the proof that nothing was sent. */
let requests: string[]
let logBefore: CommitPage
beforeEach(async () => {
  t = await startListeningLedger()
  work = await mkdtemp(join(tmpdir(), 'artifact-ledger-cli-'))
  await writeFile(join(work, 'a.txt'), 'alpha\n')
  const seeded = await fetch(`${t.url}/v1/sessions/s1/commits`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ artifacts: [{ name: 'a.txt', text: 'alpha\n' }] }),
  })
  expect(seeded.status).toBe(201)
  logBefore = await (await fetch(`${t.url}/v1/commits`)).json() as CommitPage
  requests = []
  t.app.server.on('request', (req: IncomingMessage) => requests.push(`${req.method} ${req.url}`))
})
afterEach(async () => {
  await t.cleanup()
  await rm(work, { recursive: true, force: true })
})

/** The run refused as usage, with its two lines on stderr, and the service untouched. */
async function expectUsageError(run: CliRun, command: string | undefined, says: string | RegExp): Promise<void> {
  const lines = run.stderr.split('\n')
  expect({ code: run.code, stdout: run.stdout.toString('utf8'), lines }).toEqual({
    code: 2,
    stdout: '',
    lines: [expect.stringMatching(/^artifact-ledger: \S/), `try 'artifact-ledger ${command === undefined ? '' : `${command} `}--help'`, ''],
  })
  expect(lines[0]).toMatch(says)
  expect(run.stderr).not.toMatch(/Usage:|Options:|\n\s+at /)
  expect(requests.splice(0)).toEqual([])
  const logAfter = await (await fetch(`${t.url}/v1/commits`)).json() as CommitPage
  expect(logAfter).toEqual(logBefore)
  // Our own look at the log is not the command's request.
  requests.splice(0)
}

/** [what is wrong, the command line, the command whose help is hinted, what the error line says] */
const cases: Array<[string, string[], string | undefined, string | RegExp]> = [
  // URLs
  ['--url that is not a URL', ['status', '--url', 'not-a-url'], 'status', '--url not-a-url: not a URL'],
  ['--url that is not http or https', ['ls', '--url', 'ftp://127.0.0.1:8080'], 'ls', '--url ftp://127.0.0.1:8080: only http: and https:'],
  ['--url with credentials in it', ['ls', '--url', 'http://user:secret@127.0.0.1:8080'], 'ls', 'no credentials in the URL'],
  ['--url with a query', ['ls', '--url', 'http://127.0.0.1:8080/?x=1'], 'ls', 'no query or fragment'],
  // Numbers: zero, negative, fractions, exponents, hex, empty, huge
  ['--attempts 0', ['status', '--attempts', '0'], 'status', '--attempts 0: expected a whole number from 1 to 100'],
  ['--attempts -1', ['status', '--attempts', '-1'], 'status', '--attempts -1: expected a whole number'],
  ['--attempts 1.5', ['status', '--attempts', '1.5'], 'status', '--attempts 1.5: expected a whole number'],
  ['--attempts 1e3', ['status', '--attempts', '1e3'], 'status', '--attempts 1e3: expected a whole number'],
  ['--attempts empty', ['status', '--attempts', ''], 'status', '--attempts "": expected a whole number'],
  ['--attempts huge', ['status', '--attempts', '99999999999999999999'], 'status', '--attempts 99999999999999999999: expected'],
  ['--limit 0', ['ls', '--limit', '0'], 'ls', '--limit 0: expected a whole number from 1 to 1000'],
  ['--limit above the service page limit', ['log', '--limit', '1001'], 'log', '--limit 1001: expected a whole number from 1 to 1000'],
  ['--version 0', ['get', 's1', 'a.txt', '--version', '0'], 'get', '--version 0: expected a whole number from 1'],
  ['--version 0x10', ['get', 's1', 'a.txt', '--version', '0x10'], 'get', '--version 0x10: expected a whole number'],
  ['--at with 16 digits', ['get', 's1', 'a.txt', '--at', '1000000000000000'], 'get', '--at 1000000000000000: expected a whole number'],
  ['ls --at -3', ['ls', 's1', '--at', '-3'], 'ls', '--at -3: expected a whole number'],
  ['--stream-over -1', ['push', 's1', 'a.txt', '--stream-over', '-1'], 'push', '--stream-over -1: expected a size'],
  ['--stream-over 1.5MiB', ['push', 's1', 'a.txt', '--stream-over', '1.5MiB'], 'push', '--stream-over 1.5MiB: expected a size'],
  ['--stream-over beyond 256MiB', ['push', 's1', 'a.txt', '--stream-over', '1GiB'], 'push', '--stream-over 1GiB: expected a size from 0 to 256MiB'],
  ['--since that is neither a seq nor a time', ['log', '--since', 'yesterday'], 'log', '--since yesterday: expected a commit seq or an RFC 3339 time'],
  // Session ids, artifact names and commit ids
  ['a session id with a space', ['get', 'a b', 'a.txt'], 'get', 'session id "a b": expected a letter or digit'],
  ['a session id that climbs out', ['push', '..', 'a.txt'], 'push', 'session id ..: expected'],
  ['a session id with a slash', ['ls', 's1/x'], 'ls', 'session id s1/x'],
  ['a session id for log', ['log', '.hidden'], 'log', 'session id .hidden'],
  ['a session id for verify', ['verify', 's 1'], 'verify', 'session id "s 1"'],
  ['a session id for complete', ['complete', '_x'], 'complete', 'session id _x'],
  ['an artifact name that climbs out', ['get', 's1', '../a.txt'], 'get', 'name ../a.txt is not an artifact name'],
  ['an --expect name that is not a name', ['push', 's1', 'a.txt', '--expect', 'ok.txt', 'x//y'], 'push', '--expect x//y is not an artifact name'],
  ['a --name-as name that is not a name', ['push', 's1', 'a.txt', '--name-as', '.a.txt'], 'push', '--name-as .a.txt is not an artifact name'],
  ['--commit that is not a commit id', ['log', '--commit', '42'], 'log', '--commit 42: expected a commit id'],
  // Files
  ['a file to push that does not exist', ['push', 's1', 'missing.txt'], 'push', 'cannot read missing.txt: no such file or folder (ENOENT)'],
  ['a folder to push', ['push', 's1', '.'], 'push', '. is not a regular file'],
  // Other values the service would refuse
  ['a --token with a space', ['status', '--token', 'abc def'], 'status', '--token is not a bearer token'],
  ['--metadata that is not an object', ['push', 's1', 'a.txt', '--metadata', '[1]'], 'push', '--metadata [1]: expected a JSON object'],
  ['--idempotency-key longer than 128', ['push', 's1', 'a.txt', '--idempotency-key', 'k'.repeat(129)], 'push', '--idempotency-key'],
  ['-m longer than the service keeps', ['push', 's1', 'a.txt', '-m', 'm'.repeat(4097)], 'push', '--message is 4097 characters long'],
  // Options that would be silently ignored
  ['ls --at without a session', ['ls', '--at', '3'], 'ls', '--at does not apply to the list of sessions'],
  ['ls <session> with --limit', ['ls', 's1', '--limit', '5'], 'ls', "--limit does not apply to one session's artifacts"],
  ['log --commit with a session', ['log', 's1', '--commit', '0190a0b0-0000-7000-8000-000000000000'], 'log', '--commit shows one entry'],
  ['complete --error-type without --error', ['complete', 's1', '--error-type', 'RuntimeError'], 'complete', '--error-type does not apply without --error'],
  // What commander finds
  ['a missing argument', ['get', 's1'], 'get', "missing required argument 'name'"],
  ['an unknown command', ['pus', 's1'], undefined, "unknown command 'pus' (did you mean push?)"],
  ['an unknown option', ['status', '--jsn'], 'status', "unknown option '--jsn' (did you mean --json?)"],
  ['a choice that is not one', ['ls', '--state', 'done'], 'ls', "argument 'done' is invalid. Allowed choices are"],
  ['too many arguments', ['status', 'now'], 'status', "too many arguments for 'status'"],
  ['no command at all', [], undefined, 'no command given'],
  ['help for a command that does not exist', ['help', 'nope'], undefined, "unknown command 'nope'"],
]

describe('artifact-ledger usage errors', () => {
  it.each(cases)('exits 2 with one line and a hint for %s, before any request', async (_what, args, command, says) => {
    await expectUsageError(await runCli(args, { url: t.url, cwd: work }), command, says)
  })

  it('names ARTIFACT_LEDGER_URL when the variable holds garbage', async () => {
    const run = await runCli(['status'], { url: 'garbage', cwd: work })
    await expectUsageError(run, 'status', 'ARTIFACT_LEDGER_URL=garbage: not a URL')
  })

  it('refuses an empty ARTIFACT_LEDGER_URL instead of quietly talking to the default service', async () => {
    const run = await runCli(['ls'], { url: '', cwd: work })
    await expectUsageError(run, 'ls', 'ARTIFACT_LEDGER_URL is empty')
  })

  it('names ARTIFACT_LEDGER_TOKEN, without echoing it, when the variable holds a stray newline', async () => {
    const run = await runCli(['status'], { url: t.url, cwd: work, env: { ARTIFACT_LEDGER_TOKEN: 'secret-token\n' } })
    await expectUsageError(run, 'status', 'ARTIFACT_LEDGER_TOKEN is not a bearer token')
    expect(run.stderr).not.toContain('secret-token')
  })

  it('also answers as JSON on stdout with --json, after the two lines on stderr', async () => {
    const run = await runCli(['ls', '--json', '--limit', '0'], { url: t.url, cwd: work })
    expect(run.code).toBe(2)
    expect(run.stderr.split('\n')).toEqual(['artifact-ledger: --limit 0: expected a whole number from 1 to 1000', "try 'artifact-ledger ls --help'", ''])
    expect(JSON.parse(run.stdout.toString('utf8'))).toEqual({ error: 'usage', detail: '--limit 0: expected a whole number from 1 to 1000' })
    expect(requests).toEqual([])
  })
})

describe('artifact-ledger get -o into a folder that does not exist', () => {
  it('exits 2 naming the path given, not a temp file, before any request, and leaves nothing behind', async () => {
    const before = await readdir(work, { recursive: true })

    const run = await runCli(['get', 's1', 'a.txt', '-o', 'missing/dir/file'], { url: t.url, cwd: work })

    await expectUsageError(run, 'get', 'cannot write missing/dir/file: the folder missing/dir does not exist')
    expect(run.stderr).not.toContain('.part')
    expect(await readdir(work, { recursive: true })).toEqual(before)
  })

  it('exits 2 when -o names a folder, and 2 when part of its path is a file', async () => {
    await mkdir(join(work, 'out'))

    await expectUsageError(await runCli(['get', 's1', 'a.txt', '-o', 'out'], { url: t.url, cwd: work }), 'get', 'cannot write out: it is a folder')
    await expectUsageError(await runCli(['get', 's1', 'a.txt', '-o', 'a.txt/x'], { url: t.url, cwd: work }), 'get', 'cannot write a.txt/x: a.txt is not a folder')
  })
})
