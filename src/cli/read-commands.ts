// The commands that read: get, ls, log, status.
import { Option, type Command } from 'commander'
import type { CommitState, EntryKind, SessionState } from '../client/index.js'
import { COMMIT_STATES } from '../domain/commit-state.js'
import { ENTRY_KINDS } from '../domain/model.js'
import { SESSION_STATES } from '../domain/session.js'
import { artifactName, checkOutputPath, commitId, MAX_PAGE, MAX_SEQ, sessionId, since, wholeNumber } from './arguments.js'
import { refuseOptions, type CliContext } from './context.js'
import { fileProblem, isFileSystemError, LocalFileError, UsageError } from './failures.js'
import { bytes, printCommit, printJson, progressBar, short, statusTable, summarizeEntry, table } from './output.js'

export function registerGet(ctx: CliContext): void {
  ctx.clientCommand('get')
    .description('read an artifact, checked against its digest; to stdout or to a file')
    .argument('<session>', 'session id', sessionId)
    .argument('<name>', 'artifact name', artifactName)
    .option('-o, --output <file>', 'write to this file (atomically, only once verified); its folder must exist')
    .addOption(new Option('--version <n>', 'a version number (default: latest)').argParser(wholeNumber('--version', 1, MAX_SEQ)))
    .addOption(new Option('--at <seq>', 'as of this commit seq').argParser(wholeNumber('--at', 1, MAX_SEQ)))
    .action(async (session: string, name: string, flags: { output?: string; version?: number; at?: number }, command: Command) => {
      const { client, out } = ctx.connect(command)
      const read = { ...(flags.version === undefined ? {} : { version: flags.version }), ...(flags.at === undefined ? {} : { at: flags.at }) }
      if (flags.output === undefined) {
        const artifact = await client.get(session, name, read)
        if (out.json) printJson(out, { sessionId: session, name, version: artifact.version, sha256: artifact.sha256, size: artifact.bytes.byteLength, mediaType: artifact.mediaType, base64: artifact.bytes.toString('base64') })
        else ctx.io.stdout.write(artifact.bytes)
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
      else ctx.io.stderr.write(`${output}: ${bytes(saved.size)}, sha256 ${saved.sha256} verified\n`)
    })
}

export function registerLs(ctx: CliContext): void {
  ctx.clientCommand('ls')
    .description('list sessions, or the artifacts of one session')
    .argument('[session]', 'session id', sessionId)
    .addOption(new Option('--state <state>', 'sessions in this state').choices([...SESSION_STATES]))
    .addOption(new Option('--at <seq>', 'the session as of this commit seq').argParser(wholeNumber('--at', 1, MAX_SEQ)))
    .addOption(new Option('--limit <n>', `sessions per page (1 to ${MAX_PAGE})`).argParser(wholeNumber('--limit', 1, MAX_PAGE)).default(100))
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (session: string | undefined, flags: { state?: SessionState; at?: number; limit: number; cursor?: string }, command: Command) => {
      if (session === undefined) refuseOptions(command, ['at'], 'to the list of sessions: give a session, e.g. ls s1 --at 5')
      else refuseOptions(command, ['state', 'limit', 'cursor'], "to one session's artifacts, only to the list of sessions")
      const { client, out } = ctx.connect(command)
      if (session !== undefined) {
        const listing = await client.artifacts(session, flags.at === undefined ? {} : { at: flags.at })
        if (out.json) return printJson(out, listing)
        ctx.io.stdout.write(table([
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
      ctx.io.stdout.write(table([
        ['SESSION', 'STATE', 'ARTIFACTS', 'MISSING', 'DEADLINE', 'UPDATED'],
        ...page.sessions.map((s) => [
          s.id, s.closedBy === 'deadline' ? `${s.state} (deadline)` : s.state, String(s.artifacts.length), s.missing.join(',') || '-', s.deadline ?? '-', s.updatedAt,
        ]),
      ]))
      if (page.nextCursor !== null) ctx.io.stderr.write(`more: --cursor ${page.nextCursor}\n`)
    })
}

export function registerLog(ctx: CliContext): void {
  ctx.clientCommand('log')
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
      const { client, out } = ctx.connect(command)
      if (flags.commit !== undefined) {
        const commit = await client.commitById(flags.commit)
        if (out.json) return printJson(out, commit)
        printCommit(out, commit)
        ctx.io.stdout.write(table(commit.transitions.map((t) => ['  ', t.at, `${t.from ?? '-'} -> ${t.to}`, t.reason ?? ''])))
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
      ctx.io.stdout.write(table([
        ['SEQ', 'COMMIT', 'SESSION', 'KIND', 'STATE', 'WHAT', 'CREATED', 'ERROR'],
        ...page.commits.map((c) => [String(c.seq), c.id, c.sessionId, c.kind, c.state, summarizeEntry(c), c.createdAt, c.error?.code ?? '']),
      ]))
      if (page.nextCursor !== null) ctx.io.stderr.write(`more: --cursor ${page.nextCursor}\n`)
    })
}

export function registerStatus(ctx: CliContext): void {
  ctx.clientCommand('status')
    .description('service status: commits, storage, incomplete sessions, scrub and canary')
    .action(async (_flags: unknown, command: Command) => {
      const { client, out } = ctx.connect(command)
      const status = await client.status()
      if (out.json) return printJson(out, status)
      ctx.io.stdout.write(statusTable(status))
    })
}
