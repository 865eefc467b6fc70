// The `artifact-ledger` command: serve, push, get, ls, log, status, verify, complete.
// Exit codes (exit-codes.ts, told by --help): 0 done; 1 the service refused or failed, or a digest did
// not verify; 2 usage; 3 done, but the ledger reports a problem; 4 unreachable.
import { Command, CommanderError, Option } from 'commander'
import { LedgerClient, LedgerProblem, type CommitState, type EntryKind, type SessionState } from '../client/index.js'
import { COMMIT_STATES } from '../domain/commit-state.js'
import { ENTRY_KINDS } from '../domain/model.js'
import { SESSION_STATES } from '../domain/session.js'
import { SERVICE_VERSION } from '../version.js'
import {
  artifactName, bearerToken, checkOutputPath, commitId, idempotencyKey, jsonObject, MAX_ATTEMPTS, MAX_ERROR_MESSAGE_CHARS,
  MAX_ERROR_TYPE_CHARS, MAX_MESSAGE_CHARS, MAX_PAGE, MAX_SEQ, serviceUrl, sessionId, since, sizeInBytes, text, wholeNumber,
} from './arguments.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { fileProblem, isFileSystemError, LocalFileError, reportFailure, reportUsage, UsageError } from './failures.js'
import { clientCommandHelp, PROGRAM_HELP, SERVE_HELP } from './help.js'
import {
  bytes, printCommit, printJson, printSessionLine, printVerifyReport, progressBar, short, statusTable, summarizeEntry, table, type Output,
} from './output.js'
import { push } from './push.js'
import { watchOutput } from './stdout.js'

interface GlobalOptions {
  url?: string
  token?: string
  json: boolean
  attempts: number
}

export interface CliIo {
  stdout: Output['stdout']
  stderr: Output['stderr']
}

/** Runs one command line; resolves with the exit code instead of exiting, so tests can call it. */
export async function runCli(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const output = watchOutput(io.stdout, io.stderr)
  const code = await runCommand(argv, io)
  // The exit code waits for stdout: `> file` on a full disk has not delivered what was asked.
  const fate = await output.settled()
  if (fate === 'written' || fate === 'reader-gone') return code
  io.stderr.write(`artifact-ledger: cannot write to stdout: ${fileProblem(fate)}\n`)
  return code === EXIT.ok ? EXIT.failed : code
}

/** Options given on the command line that `situation` makes meaningless: a usage error, never silently ignored. */
function refuseOptions(command: Command, attributes: string[], situation: string): void {
  const given = command.options
    .filter((option) => attributes.includes(option.attributeName()) && command.getOptionValueSource(option.attributeName()) === 'cli')
    .map((option) => option.long ?? option.flags)
  if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply ${situation}`)
}

async function runCommand(argv: string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok
  const clients: LedgerClient[] = []
  const program = new Command('artifact-ledger')
    .description('Verified, durable artifact storage: push files, read them back, watch sessions.')
    .version(SERVICE_VERSION)
    // Options belong to the command they follow, so `get --version 2` is the artifact's version, not ours.
    .enablePositionalOptions()
    .exitOverride()
    // Subcommands inherit this. Commander would print its error and then the whole help, burying the
    // line that matters; reportUsage prints one line and a hint instead.
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: () => undefined,
      outputError: () => undefined,
    })
    .addHelpText('after', PROGRAM_HELP)

  /** A subcommand that talks to the service, with the connection options every such command takes. */
  const clientCommand = (name: string, reportedProblem?: string): Command => program.command(name)
    .addOption(new Option('--url <url>', 'service URL (default http://127.0.0.1:8080)').env('ARTIFACT_LEDGER_URL'))
    .addOption(new Option('--token <token>', 'bearer token').env('ARTIFACT_LEDGER_TOKEN'))
    .option('--json', 'machine-readable JSON on stdout', false)
    .addOption(new Option('--attempts <n>', `attempts per request, retries included (1 to ${MAX_ATTEMPTS})`)
      .argParser(wholeNumber('--attempts', 1, MAX_ATTEMPTS)).default(8))
    .addHelpText('after', clientCommandHelp(reportedProblem))

  let jsonErrors = false
  const context = (command: Command): { client: LedgerClient; out: Output; options: GlobalOptions } => {
    const options = command.opts<GlobalOptions>()
    jsonErrors = options.json
    const source = (key: string): 'env' | 'option' => (command.getOptionValueSource(key) === 'env' ? 'env' : 'option')
    const url = options.url === undefined ? undefined : serviceUrl(options.url, source('url'))
    const token = options.token === undefined ? undefined : bearerToken(options.token, source('token'))
    const out: Output = { json: options.json, stdout: io.stdout, stderr: io.stderr }
    const client = new LedgerClient({
      ...(url === undefined ? {} : { url: url.href }),
      ...(token === undefined ? {} : { token }),
      // Only the values checked above: the client must not read the environment again on its own terms.
      env: {},
      retry: { maxAttempts: options.attempts },
      onRetry: ({ attempt, delayMs, error }) => {
        io.stderr.write(`artifact-ledger: attempt ${attempt}/${options.attempts} failed (${describe(error)}); retrying in ${(delayMs / 1000).toFixed(1)} s\n`)
      },
    })
    clients.push(client)
    return { client, out, options }
  }

  program.command('serve')
    .description('run the service (the same as npm start; configured by the environment, see README)')
    .addHelpText('after', SERVE_HELP)
    .action(async () => {
      await import('../main.js')
      // The server keeps the process alive; it exits through its own signal handling.
      await new Promise(() => {})
    })

  clientCommand('push', 'with --complete, the session closed incomplete or failed')
    .description('commit files atomically (large files are streamed, one commit each), verified end to end')
    .argument('<session>', 'session id', sessionId)
    .argument('<files...>', 'files to commit')
    .option('--name-as <names...>', 'store the files under these names, in order (default: base names)')
    .option('--expect <names...>', 'add these names to the artifacts the session must produce')
    .option('--complete', 'close the session after the commit; exit 3 if it is incomplete', false)
    .addOption(new Option('-m, --message <text>', 'commit message').argParser(text('--message', 0, MAX_MESSAGE_CHARS)))
    .addOption(new Option('--metadata <json>', 'commit metadata, a JSON object').argParser(jsonObject('--metadata')))
    .addOption(new Option('--stream-over <size>', 'stream files larger than this with PUT (0 to 256MiB)')
      .argParser(sizeInBytes('--stream-over')).default(8 * 1024 * 1024, '8MiB'))
    .addOption(new Option('--idempotency-key <key>', 'reuse this key so a rerun of the same push commits once').argParser(idempotencyKey))
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
    .argument('<session>', 'session id', sessionId)
    .argument('<name>', 'artifact name', artifactName)
    .option('-o, --output <file>', 'write to this file (atomically, only once verified); its folder must exist')
    .addOption(new Option('--version <n>', 'a version number (default: latest)').argParser(wholeNumber('--version', 1, MAX_SEQ)))
    .addOption(new Option('--at <seq>', 'as of this commit seq').argParser(wholeNumber('--at', 1, MAX_SEQ)))
    .action(async (session: string, name: string, flags: { output?: string; version?: number; at?: number }, command: Command) => {
      const { client, out } = context(command)
      const read = { ...(flags.version === undefined ? {} : { version: flags.version }), ...(flags.at === undefined ? {} : { at: flags.at }) }
      if (flags.output === undefined) {
        const artifact = await client.get(session, name, read)
        if (out.json) printJson(out, { sessionId: session, name, version: artifact.version, sha256: artifact.sha256, size: artifact.bytes.byteLength, mediaType: artifact.mediaType, base64: artifact.bytes.toString('base64') })
        else io.stdout.write(artifact.bytes)
        return
      }
      const output = flags.output
      await checkOutputPath(output)
      const bar = progressBar(out, name)
      const saved = await client.download(session, name, output, { ...read, onProgress: bar }).catch((error: unknown) => {
        // Its folder went away or filled up mid-download: say so about the path given, not the temp file beside it.
        if (isFileSystemError(error)) throw new LocalFileError(`cannot write ${output}: ${fileProblem(error)}`, { cause: error })
        throw error
      })
      bar.finish()
      if (out.json) printJson(out, { sessionId: session, name, output, ...saved })
      else io.stderr.write(`${output}: ${bytes(saved.size)}, sha256 ${saved.sha256} verified\n`)
    })

  clientCommand('ls')
    .description('list sessions, or the artifacts of one session')
    .argument('[session]', 'session id', sessionId)
    .addOption(new Option('--state <state>', 'sessions in this state').choices([...SESSION_STATES]))
    .addOption(new Option('--at <seq>', 'the session as of this commit seq').argParser(wholeNumber('--at', 1, MAX_SEQ)))
    .addOption(new Option('--limit <n>', `sessions per page (1 to ${MAX_PAGE})`).argParser(wholeNumber('--limit', 1, MAX_PAGE)).default(100))
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (session: string | undefined, flags: { state?: SessionState; at?: number; limit: number; cursor?: string }, command: Command) => {
      if (session === undefined) refuseOptions(command, ['at'], 'to the list of sessions: give a session, e.g. ls s1 --at 5')
      else refuseOptions(command, ['state', 'limit', 'cursor'], "to one session's artifacts, only to the list of sessions")
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
    .argument('[session]', 'only this session', sessionId)
    .addOption(new Option('--commit <id>', 'show one commit and its state transitions').argParser(commitId))
    .addOption(new Option('--state <state>', 'only entries in this state').choices([...COMMIT_STATES]))
    .addOption(new Option('--kind <kind>', 'only entries of this kind').choices([...ENTRY_KINDS]))
    .addOption(new Option('--since <seq-or-time>', 'commits after this seq, or since this RFC 3339 time').argParser(since))
    .addOption(new Option('--limit <n>', `commits per page (1 to ${MAX_PAGE})`).argParser(wholeNumber('--limit', 1, MAX_PAGE)).default(100))
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (session: string | undefined, flags: { commit?: string; state?: CommitState; kind?: EntryKind; since?: string; limit: number; cursor?: string }, command: Command) => {
      if (flags.commit !== undefined) {
        if (session !== undefined) throw new UsageError('--commit shows one entry, whatever its session: leave out the session')
        refuseOptions(command, ['state', 'kind', 'since', 'limit', 'cursor'], 'with --commit, which shows one entry')
      }
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
      io.stdout.write(statusTable(status))
    })

  clientCommand('verify', 'files were found missing, corrupt or orphaned')
    .description('re-read and hash stored files; exit 3 if anything is missing, corrupt or orphaned')
    .argument('[session]', 'only this session', sessionId)
    .option('--no-repair', 'only report; do not rewrite plain files from intact objects')
    .option('--repair-objects', 'also rebuild a bad object from an intact plain copy', false)
    .action(async (session: string | undefined, flags: { repair: boolean; repairObjects: boolean }, command: Command) => {
      const { client, out } = context(command)
      const report = await client.verify({ repair: flags.repair, repairObjects: flags.repairObjects, ...(session === undefined ? {} : { sessionId: session }) })
      if (out.json) printJson(out, report)
      else printVerifyReport(out, report)
      if (!report.ok) exitCode = EXIT.reportedProblem
    })

  clientCommand('complete', 'the session closed incomplete (expected artifacts missing) or failed')
    .description('close a session; exit 3 if it is incomplete (expected artifacts missing) or failed')
    .argument('<session>', 'session id', sessionId)
    .addOption(new Option('--error <message>', 'report that the writer failed: the session closes failed with this message')
      .argParser(text('--error', 0, MAX_ERROR_MESSAGE_CHARS)))
    .addOption(new Option('--error-type <type>', 'the kind of failure reported with --error')
      .argParser(text('--error-type', 1, MAX_ERROR_TYPE_CHARS)).default('Error'))
    .action(async (session: string, flags: { error?: string; errorType: string }, command: Command) => {
      if (flags.error === undefined) refuseOptions(command, ['errorType'], 'without --error, the failure it describes')
      const { client, out } = context(command)
      const record = await client.complete(session, flags.error === undefined ? {} : { error: { type: flags.errorType, message: flags.error } })
      if (out.json) printJson(out, record)
      else printSessionLine(out, record)
      if (record.state !== 'complete') exitCode = EXIT.reportedProblem
    })

  const wantsJson = argv.includes('--json')
  const commandName = program.commands.find((command) => command.name() === argv[0])?.name()
  try {
    await program.parseAsync(argv, { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      if (error.exitCode === 0) return EXIT.ok
      return reportUsage(io, commanderMessage(error, argv), commandName, wantsJson)
    }
    if (error instanceof UsageError) return reportUsage(io, error.message, commandName, wantsJson)
    return reportFailure(error, io, jsonErrors)
  } finally {
    for (const client of clients) client.close()
  }
}

/** Commander's message on one line, without its "error: " (reportUsage says whose error it is). */
function commanderMessage(error: CommanderError, argv: string[]): string {
  // Commander answers a missing command with its whole help (silenced above) and no message of its own.
  if (error.code === 'commander.help') return argv[0] === 'help' ? `unknown command '${argv[1] ?? ''}'` : 'no command given'
  return error.message.replace(/^error: /, '').replace('\n(Did you mean', ' (did you mean').split('\n').join(' ')
}

function describe(error: unknown): string {
  if (error instanceof LedgerProblem) return `${error.status} ${error.code ?? ''}`.trim()
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : (error as Error).message
}
