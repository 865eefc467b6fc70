// The `artifact-ledger` command: serve, push, get, ls, log, status, verify, complete.
// Exit codes: 0 done; 1 the service refused or failed, or a digest did not verify; 2 usage;
// 3 done, but the ledger reports a problem (session incomplete, verify findings); 4 unreachable.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander'
import {
  ContractMismatch, DigestMismatch, LedgerClient, LedgerClientError, LedgerProblem, LedgerUnavailable,
  type CommitRecord, type CommitState, type EntryKind, type SessionRecord, type SessionState,
} from '../client/index.js'
import { COMMIT_STATES } from '../domain/commit-state.js'
import { ENTRY_KINDS } from '../domain/model.js'
import { SESSION_STATES } from '../domain/session.js'
import { SERVICE_VERSION } from '../version.js'
import { bytes, printJson, progressBar, short, table, type Output } from './output.js'
import { push, PushUsageError } from './push.js'

export const EXIT = { ok: 0, failed: 1, usage: 2, reportedProblem: 3, unreachable: 4 } as const

interface GlobalOptions {
  url?: string
  token?: string
  json: boolean
  attempts: number
}

function wholeNumber(value: string): number {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number')
  return parsed
}

function sizeInBytes(value: string): number {
  const match = /^(\d+)\s*(|k|ki|kib|m|mi|mib|g|gi|gib)$/i.exec(value.trim())
  if (match === null) throw new InvalidArgumentError('expected a size like 8388608, 512KiB or 8MiB')
  const scale = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(match[2] ?? '').charAt(0).toLowerCase() as '' | 'k' | 'm' | 'g']
  return Number(match[1]) * scale
}

function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    throw new InvalidArgumentError('expected a JSON object')
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new InvalidArgumentError('expected a JSON object')
  return parsed as Record<string, unknown>
}

export interface CliIo {
  stdout: Output['stdout']
  stderr: Output['stderr']
}

/** Runs one command line; resolves with the exit code instead of exiting, so tests can call it. */
export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exitCode: number = EXIT.ok
  const clients: LedgerClient[] = []
  const program = new Command('artifact-ledger')
    .description('Verified, durable artifact storage: push files, read them back, watch sessions.')
    .version(SERVICE_VERSION)
    // Options belong to the command they follow, so `get --version 2` is the artifact's version, not ours.
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()

  /** A subcommand that talks to the service, with the connection options every such command takes. */
  const clientCommand = (name: string): Command => program.command(name)
    .addOption(new Option('--url <url>', 'service URL (default http://127.0.0.1:8080)').env('ARTIFACT_LEDGER_URL'))
    .addOption(new Option('--token <token>', 'bearer token').env('ARTIFACT_LEDGER_TOKEN'))
    .option('--json', 'machine-readable JSON on stdout', false)
    .addOption(new Option('--attempts <n>', 'attempts per request, retries included').argParser(wholeNumber).default(8))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError()

  let jsonErrors = false
  const context = (command: Command): { client: LedgerClient; out: Output; options: GlobalOptions } => {
    const options = command.opts<GlobalOptions>()
    jsonErrors = options.json
    const out: Output = { json: options.json, stdout: io.stdout, stderr: io.stderr }
    const client = new LedgerClient({
      ...(options.url === undefined ? {} : { url: options.url }),
      ...(options.token === undefined ? {} : { token: options.token }),
      retry: { maxAttempts: Math.max(1, options.attempts) },
      onRetry: ({ attempt, delayMs, error }) => {
        io.stderr.write(`artifact-ledger: attempt ${attempt}/${options.attempts} failed (${describe(error)}); retrying in ${(delayMs / 1000).toFixed(1)} s\n`)
      },
    })
    clients.push(client)
    return { client, out, options }
  }

  program.command('serve')
    .description('run the service (the same as npm start; configured by the environment, see README)')
    .action(async () => {
      await import('../main.js')
      // The server keeps the process alive; it exits through its own signal handling.
      await new Promise(() => {})
    })

  clientCommand('push')
    .description('commit files atomically (large files are streamed, one commit each), verified end to end')
    .argument('<session>', 'session id')
    .argument('<files...>', 'files to commit')
    .option('--name-as <names...>', 'store the files under these names, in order (default: base names)')
    .option('--expect <names...>', 'add these names to the artifacts the session must produce')
    .option('--complete', 'close the session after the commit; exit 3 if it is incomplete', false)
    .option('-m, --message <text>', 'commit message')
    .addOption(new Option('--metadata <json>', 'commit metadata, a JSON object').argParser(jsonObject))
    .addOption(new Option('--stream-over <size>', 'stream files larger than this with PUT').argParser(sizeInBytes).default(8 * 1024 * 1024, '8MiB'))
    .option('--idempotency-key <key>', 'reuse this key so a rerun of the same push commits once')
    .action(async (session: string, files: string[], flags: {
      nameAs?: string[]; expect?: string[]; complete: boolean; message?: string; metadata?: Record<string, unknown>; streamOver: number; idempotencyKey?: string
    }, command: Command) => {
      const { client, out } = context(command)
      let bar: ReturnType<typeof progressBar> | undefined
      const result = await push(client, session, files, {
        ...flags,
        streamOverBytes: flags.streamOver,
        onUploadStart: (name) => (bar = progressBar(out, name)),
        onUploadEnd: () => bar?.finish(),
      })
      if (out.json) printJson(out, result)
      else {
        for (const commit of result.commits) printCommit(out, commit)
        printSessionLine(out, result.session)
      }
      if (flags.complete && result.session.state !== 'complete') exitCode = EXIT.reportedProblem
    })

  clientCommand('get')
    .description('read an artifact, checked against its digest; to stdout or to a file')
    .argument('<session>', 'session id')
    .argument('<name>', 'artifact name')
    .option('-o, --output <file>', 'write to this file (atomically, only once verified)')
    .addOption(new Option('--version <n>', 'a version number (default: latest)').argParser(wholeNumber))
    .addOption(new Option('--at <seq>', 'as of this commit seq').argParser(wholeNumber))
    .action(async (session: string, name: string, flags: { output?: string; version?: number; at?: number }, command: Command) => {
      const { client, out } = context(command)
      const read = { ...(flags.version === undefined ? {} : { version: flags.version }), ...(flags.at === undefined ? {} : { at: flags.at }) }
      if (flags.output === undefined) {
        const artifact = await client.get(session, name, read)
        if (out.json) printJson(out, { sessionId: session, name, version: artifact.version, sha256: artifact.sha256, size: artifact.bytes.byteLength, mediaType: artifact.mediaType, base64: artifact.bytes.toString('base64') })
        else io.stdout.write(artifact.bytes)
        return
      }
      const bar = progressBar(out, name)
      const saved = await client.download(session, name, flags.output, { ...read, onProgress: bar })
      bar.finish()
      if (out.json) printJson(out, { sessionId: session, name, output: flags.output, ...saved })
      else io.stderr.write(`${flags.output}: ${bytes(saved.size)}, sha256 ${saved.sha256} verified\n`)
    })

  clientCommand('ls')
    .description('list sessions, or the artifacts of one session')
    .argument('[session]', 'session id')
    .addOption(new Option('--state <state>', 'sessions in this state').choices([...SESSION_STATES]))
    .addOption(new Option('--at <seq>', 'the session as of this commit seq').argParser(wholeNumber))
    .addOption(new Option('--limit <n>', 'sessions per page').argParser(wholeNumber).default(100))
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (session: string | undefined, flags: { state?: SessionState; at?: number; limit: number; cursor?: string }, command: Command) => {
      const { client, out } = context(command)
      if (session !== undefined) {
        const listing = await client.artifacts(session, flags.at === undefined ? {} : { at: flags.at })
        if (out.json) return printJson(out, listing)
        io.stdout.write(table([
          ['NAME', 'VERSION', 'SIZE', 'MEDIA TYPE', 'SHA256', 'COMMITTED'],
          ...listing.artifacts.map((a) => [a.name, String(a.version), bytes(a.size), a.mediaType, short(a.sha256), a.committedAt]),
        ]))
        return
      }
      const page = await client.sessions({
        limit: flags.limit,
        ...(flags.state === undefined ? {} : { state: flags.state }),
        ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
      })
      if (out.json) return printJson(out, page)
      io.stdout.write(table([
        ['SESSION', 'STATE', 'ARTIFACTS', 'MISSING', 'DEADLINE', 'UPDATED'],
        ...page.sessions.map((s) => [
          s.id, s.closedBy === 'deadline' ? `${s.state} (deadline)` : s.state, String(s.artifacts.length), s.missing.join(',') || '-', s.deadline ?? '-', s.updatedAt,
        ]),
      ]))
      if (page.nextCursor !== null) io.stderr.write(`more: --cursor ${page.nextCursor}\n`)
    })

  clientCommand('log')
    .description('the log (commits and session changes), newest last; or one entry with its transitions')
    .argument('[session]', 'only this session')
    .option('--commit <id>', 'show one commit and its state transitions')
    .addOption(new Option('--state <state>', 'only entries in this state').choices([...COMMIT_STATES]))
    .addOption(new Option('--kind <kind>', 'only entries of this kind').choices([...ENTRY_KINDS]))
    .option('--since <seq-or-time>', 'commits after this seq, or since this RFC 3339 time')
    .addOption(new Option('--limit <n>', 'commits per page').argParser(wholeNumber).default(100))
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (session: string | undefined, flags: { commit?: string; state?: CommitState; kind?: EntryKind; since?: string; limit: number; cursor?: string }, command: Command) => {
      const { client, out } = context(command)
      if (flags.commit !== undefined) {
        const commit = await client.commitById(flags.commit)
        if (out.json) return printJson(out, commit)
        printCommit(out, commit)
        io.stdout.write(table(commit.transitions.map((t) => ['  ', t.at, `${t.from ?? '-'} -> ${t.to}`, t.reason ?? ''])))
        return
      }
      const page = await client.commits({
        limit: flags.limit,
        ...(session === undefined ? {} : { session }),
        ...(flags.state === undefined ? {} : { state: flags.state }),
        ...(flags.kind === undefined ? {} : { kind: flags.kind }),
        ...(flags.since === undefined ? {} : { since: flags.since }),
        ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
      })
      if (out.json) return printJson(out, page)
      io.stdout.write(table([
        ['SEQ', 'COMMIT', 'SESSION', 'KIND', 'STATE', 'WHAT', 'CREATED', 'ERROR'],
        ...page.commits.map((c) => [String(c.seq), c.id, c.sessionId, c.kind, c.state, summarizeEntry(c), c.createdAt, c.error?.code ?? '']),
      ]))
      if (page.nextCursor !== null) io.stderr.write(`more: --cursor ${page.nextCursor}\n`)
    })

  clientCommand('status')
    .description('service status: commits, storage, incomplete sessions, scrub and canary')
    .action(async (_flags: unknown, command: Command) => {
      const { client, out } = context(command)
      const status = await client.status()
      if (out.json) return printJson(out, status)
      const c = status.commits
      io.stdout.write(table([
        ['service', `${status.service} ${status.version}, ${status.phase}, up ${status.uptimeSeconds} s`],
        ['commits', `${c.committed} committed, ${c.failed} failed, ${c.aborted} aborted, ${c.pending} pending`],
        ['last commit', status.lastCommit === null ? '-' : `${status.lastCommit.sessionId} seq ${status.lastCommit.seq} at ${status.lastCommit.at}`],
        ['last failure', status.lastFailure === null ? '-' : `${status.lastFailure.sessionId} seq ${status.lastFailure.seq}: ${status.lastFailure.code}: ${status.lastFailure.detail}`],
        ['storage', `${status.storage.objectCount} objects, ${bytes(status.storage.objectBytes)}; ${bytes(status.storage.freeBytes)} free`],
        ['sessions', `${status.sessions.total} (${status.sessions.open} open, ${status.sessions.complete} complete, ${status.sessions.incomplete} incomplete, ` +
          `${status.sessions.failed} failed; ${status.sessions.closedByDeadline} closed by their deadline)`],
        ['incomplete', status.sessions.incompleteIds.join(', ') || '-'],
        ['failed', status.sessions.failedIds.join(', ') || '-'],
        ['last scrub', status.lastScrub === null ? '-' : `${status.lastScrub.finishedAt}: ${status.lastScrub.ok ? 'ok' : 'FOUND PROBLEMS'}`],
        ['canary', status.canary === null ? '-' : `${status.canary.ok ? 'ok' : `FAILING: ${status.canary.error ?? ''}`} (${status.canary.latencyMs} ms)`],
        ['fault', status.unrecoveredFault === null ? '-' : `${status.unrecoveredFault.code}: ${status.unrecoveredFault.detail}`],
        ['owed to the log', status.owedFailures === 0 ? '-' : `${status.owedFailures} failed commits not recorded yet`],
        ['background', status.backgroundErrors.map((e) => `${e.path}: ${e.code} (${e.count}×)`).join('; ') || '-'],
      ]))
    })

  clientCommand('verify')
    .description('re-read and hash stored files; exit 3 if anything is missing, corrupt or orphaned')
    .argument('[session]', 'only this session')
    .option('--no-repair', 'only report; do not rewrite plain files from intact objects')
    .option('--repair-objects', 'also rebuild a bad object from an intact plain copy', false)
    .action(async (session: string | undefined, flags: { repair: boolean; repairObjects: boolean }, command: Command) => {
      const { client, out } = context(command)
      const report = await client.verify({ repair: flags.repair, repairObjects: flags.repairObjects, ...(session === undefined ? {} : { sessionId: session }) })
      if (out.json) printJson(out, report)
      else {
        io.stdout.write(`checked ${report.checked.objects} objects and ${report.checked.plainFiles} plain files (${bytes(report.checked.bytes)}) in ${report.durationMs} ms: ${report.ok ? 'ok' : 'PROBLEMS FOUND'}\n`)
        const findings = [
          ...report.missing.map((f) => ['missing', f.path, f.repaired === true ? 'repaired' : '']),
          ...report.corrupt.map((f) => ['corrupt', f.path, f.repaired === true ? 'repaired' : '']),
          ...report.orphaned.map((f) => ['orphaned', f.path, '']),
        ]
        if (findings.length > 0) io.stdout.write(table(findings))
      }
      if (!report.ok) exitCode = EXIT.reportedProblem
    })

  clientCommand('complete')
    .description('close a session; exit 3 if it is incomplete (expected artifacts missing) or failed')
    .argument('<session>', 'session id')
    .option('--error <message>', 'report that the writer failed: the session closes failed with this message')
    .option('--error-type <type>', 'the kind of failure reported with --error', 'Error')
    .action(async (session: string, flags: { error?: string; errorType: string }, command: Command) => {
      const { client, out } = context(command)
      const record = await client.complete(session, flags.error === undefined ? {} : { error: { type: flags.errorType, message: flags.error } })
      if (out.json) printJson(out, record)
      else printSessionLine(out, record)
      if (record.state !== 'complete') exitCode = EXIT.reportedProblem
    })

  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage
    return reportFailure(error, io, jsonErrors)
  } finally {
    for (const client of clients) client.close()
  }
}

function printCommit(out: Output, commit: CommitRecord): void {
  out.stdout.write(`commit ${commit.id} (seq ${commit.seq}) ${commit.state} in ${commit.sessionId}\n`)
  out.stdout.write(table(commit.artifacts.map((a) => ['  ', a.name, `v${a.version ?? '-'}`, bytes(a.size), `sha256 ${a.sha256 ?? '-'}`])))
}

function printSessionLine(out: Output, session: SessionRecord): void {
  const missing = session.missing.length > 0 ? `; missing: ${session.missing.join(', ')}` : ''
  const byDeadline = session.closedBy === 'deadline' ? ' (closed by its deadline)' : ''
  const error = session.error === null ? '' : `; ${session.error.type}: ${session.error.message}`
  out.stdout.write(`session ${session.id}: ${session.state}${byDeadline}${missing}${error}\n`)
}

function describe(error: unknown): string {
  if (error instanceof LedgerProblem) return `${error.status} ${error.code ?? ''}`.trim()
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : (error as Error).message
}

/** Every failure ends up here: printed whole on stderr (and as JSON with --json), never swallowed. */
function reportFailure(error: unknown, io: CliIo, json: boolean): number {
  if (error instanceof PushUsageError) {
    io.stderr.write(`artifact-ledger: ${error.message}\n`)
    return EXIT.usage
  }
  if (error instanceof LedgerProblem) {
    io.stderr.write(`artifact-ledger: ${error.message}${error.attempts > 1 ? ` (after ${error.attempts} attempts)` : ''}\n`)
    if (json) io.stdout.write(JSON.stringify({ error: 'problem', status: error.status, problem: error.problem }, null, 2) + '\n')
    return EXIT.failed
  }
  if (error instanceof LedgerUnavailable) {
    io.stderr.write(`artifact-ledger: ${error.message}\n`)
    if (json) io.stdout.write(JSON.stringify({ error: 'unavailable', detail: error.message, attempts: error.attempts }, null, 2) + '\n')
    return EXIT.unreachable
  }
  if (error instanceof DigestMismatch || error instanceof ContractMismatch || error instanceof LedgerClientError || error instanceof TypeError) {
    io.stderr.write(`artifact-ledger: ${error.name}: ${error.message}\n`)
    if (json) io.stdout.write(JSON.stringify({ error: error.name, detail: error.message }, null, 2) + '\n')
    return EXIT.failed
  }
  io.stderr.write(`artifact-ledger: ${(error as Error).stack ?? String(error)}\n`)
  return EXIT.failed
}

/** What a log entry did, in a few words: the artifacts of a commit, or the session change. */
function summarizeEntry(entry: CommitRecord): string {
  if (entry.close !== null) return `closed ${entry.close.state} by ${entry.close.closedBy}`
  const parts: string[] = []
  if (entry.artifacts.length > 0) parts.push(entry.artifacts.map((a) => a.name).join(','))
  if (entry.expect !== null) {
    parts.push([...entry.expect.add.map((n) => `+${n}`), ...entry.expect.remove.map((n) => `-${n}`)].join(',') + ' expected')
  }
  if (entry.session !== null) parts.push(entry.session.created ? 'created' : 'updated')
  return parts.join('; ')
}
