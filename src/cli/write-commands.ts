// The commands that write: serve, push, verify (which may repair), complete, rm.
import { Option, type Command } from 'commander'
import { artifactName, idempotencyKey, jsonObject, MAX_ERROR_MESSAGE_CHARS, MAX_ERROR_TYPE_CHARS, MAX_MESSAGE_CHARS, sessionId, sizeInBytes, text } from './arguments.js'
import { refuseOptions, type CliContext } from './context.js'
import { SERVE_HELP } from './help.js'
import { printCommit, printJson, printSessionLine, printVerifyReport, progressBar } from './output.js'
import { push } from './push.js'

export function registerServe(ctx: CliContext): void {
  ctx.program.command('serve')
    .description('run the service (the same as npm start; configured by the environment, see README)')
    .addHelpText('after', SERVE_HELP)
    .action(async () => {
      await import('../main.js')
      // The server keeps the process alive; it exits through its own signal handling.
      await new Promise(() => {})
    })
}

export function registerPush(ctx: CliContext): void {
  ctx.clientCommand('push', 'with --complete, the session closed incomplete or failed')
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
      const { client, out } = ctx.connect(command)
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
      if (flags.complete && result.session.state !== 'complete') ctx.reportProblem()
    })
}

export function registerVerify(ctx: CliContext): void {
  ctx.clientCommand('verify', 'files were found missing, corrupt or orphaned')
    .description('re-read and hash stored files; exit 3 if anything is missing, corrupt or orphaned')
    .argument('[session]', 'only this session', sessionId)
    .option('--no-repair', 'only report; do not rewrite plain files from intact objects')
    .option('--repair-objects', 'also rebuild a bad object from an intact plain copy', false)
    .action(async (session: string | undefined, flags: { repair: boolean; repairObjects: boolean }, command: Command) => {
      const { client, out } = ctx.connect(command)
      const report = await client.verify({ repair: flags.repair, repairObjects: flags.repairObjects, ...(session === undefined ? {} : { sessionId: session }) })
      if (out.json) printJson(out, report)
      else printVerifyReport(out, report)
      if (!report.ok) ctx.reportProblem()
    })
}

export function registerComplete(ctx: CliContext): void {
  ctx.clientCommand('complete', 'the session closed incomplete (expected artifacts missing) or failed')
    .description('close a session; exit 3 if it is incomplete (expected artifacts missing) or failed')
    .argument('<session>', 'session id', sessionId)
    .addOption(new Option('--error <message>', 'report that the writer failed: the session closes failed with this message')
      .argParser(text('--error', 0, MAX_ERROR_MESSAGE_CHARS)))
    .addOption(new Option('--error-type <type>', 'the kind of failure reported with --error')
      .argParser(text('--error-type', 1, MAX_ERROR_TYPE_CHARS)).default('Error'))
    .action(async (session: string, flags: { error?: string; errorType: string }, command: Command) => {
      if (flags.error === undefined) refuseOptions(command, ['errorType'], 'without --error, the failure it describes')
      const { client, out } = ctx.connect(command)
      const record = await client.complete(session, flags.error === undefined ? {} : { error: { type: flags.errorType, message: flags.error } })
      if (out.json) printJson(out, record)
      else printSessionLine(out, record)
      if (record.state !== 'complete') ctx.reportProblem()
    })
}

export function registerRm(ctx: CliContext): void {
  ctx.clientCommand('rm', 'it was already deleted')
    .description('delete an artifact (every version of it), or with no name the whole session (admin token); exit 3 if it was already deleted')
    .argument('<session>', 'session id', sessionId)
    .argument('[name]', 'artifact name', artifactName)
    .action(async (session: string, name: string | undefined, _flags: unknown, command: Command) => {
      const { client, out } = ctx.connect(command)
      const entry = name === undefined ? await client.deleteSession(session) : await client.deleteArtifact(session, name)
      const what = name === undefined ? `session ${session}` : `${session}/${name}`
      if (entry === undefined) {
        out.stderr.write(`${what} was already deleted\n`)
        ctx.reportProblem()
        return
      }
      if (out.json) printJson(out, entry)
      else out.stdout.write(`deleted ${what}: ${entry.delete?.removedVersions ?? 0} versions, log entry seq ${entry.seq}\n`)
    })
}
