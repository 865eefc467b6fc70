// The `artifact-ledger` command: serve, push, get, ls, log, status, verify, complete, backup.
// Exit codes (exit-codes.ts, told by --help): 0 done; 1 the service refused or failed, or a digest did
// not verify; 2 usage; 3 done, but the ledger reports a problem; 4 unreachable.
import { Command, CommanderError } from 'commander'
import { SERVICE_VERSION } from '../version.js'
import { registerBackup } from './backup-command.js'
import { createContext, type CliIo } from './context.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { fileProblem, reportFailure, reportUsage, UsageError } from './failures.js'
import { PROGRAM_HELP } from './help.js'
import { registerGet, registerLog, registerLs, registerStatus } from './read-commands.js'
import { watchOutput } from './stdout.js'
import { registerComplete, registerPush, registerRm, registerServe, registerVerify } from './write-commands.js'

export type { CliIo }

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

async function runCommand(argv: string[], io: CliIo): Promise<ExitCode> {
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
  const context = createContext(io, program)
  // In the order --help lists them.
  for (const register of [registerServe, registerPush, registerGet, registerLs, registerLog, registerStatus, registerVerify, registerComplete, registerRm, registerBackup]) register(context)

  const wantsJson = argv.includes('--json')
  const commandName = program.commands.find((command) => command.name() === argv[0])?.name()
  try {
    await program.parseAsync(argv, { from: 'user' })
    return context.exitCode()
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      if (error.exitCode === 0) return EXIT.ok
      return reportUsage(io, commanderMessage(error, argv), commandName, wantsJson)
    }
    if (error instanceof UsageError) return reportUsage(io, error.message, commandName, wantsJson)
    return reportFailure(error, io, context.jsonErrors())
  } finally {
    context.close()
  }
}

/** Commander's message on one line, without its "error: " (reportUsage says whose error it is). */
function commanderMessage(error: CommanderError, argv: string[]): string {
  // Commander answers a missing command with its whole help (silenced above) and no message of its own.
  if (error.code === 'commander.help') return argv[0] === 'help' ? `unknown command '${argv[1] ?? ''}'` : 'no command given'
  return error.message.replace(/^error: /, '').replace('\n(Did you mean', ' (did you mean').split('\n').join(' ')
}
