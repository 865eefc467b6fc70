// What every command of the CLI shares: its streams, the connection options of a client command, the
// client made from them (checked first, never read again from the environment), and the exit code.
import { Option, type Command } from 'commander'
import { LedgerClient, LedgerProblem } from '../client/index.js'
import { bearerToken, MAX_ATTEMPTS, serviceUrl, wholeNumber } from './arguments.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import { UsageError } from './failures.js'
import { clientCommandHelp } from './help.js'
import type { Output } from './output.js'

export interface CliIo {
  stdout: Output['stdout']
  stderr: Output['stderr']
}

export interface GlobalOptions {
  url?: string
  token?: string
  json: boolean
  attempts: number
}

export interface CliContext {
  readonly io: CliIo
  readonly program: Command
  /** A subcommand that talks to the service, with the connection options every such command takes. */
  clientCommand(name: string, reportedProblem?: string): Command
  /** The client, output and options of a command about to run. */
  connect(command: Command): { client: LedgerClient; out: Output; options: GlobalOptions }
  /** Done, but the ledger reports a problem: the run ends with exit code 3. */
  reportProblem(): void
}

/** The context of one run, and what the run needs back from it: its exit code, its clients, how errors are shown. */
export function createContext(io: CliIo, program: Command): CliContext & { exitCode(): ExitCode; jsonErrors(): boolean; close(): void } {
  let exitCode: ExitCode = EXIT.ok
  let jsonErrors = false
  const clients: LedgerClient[] = []
  return {
    io,
    program,
    clientCommand: (name, reportedProblem) => program.command(name)
      .addOption(new Option('--url <url>', 'service URL (default http://127.0.0.1:8080)').env('ARTIFACT_LEDGER_URL'))
      .addOption(new Option('--token <token>', 'bearer token').env('ARTIFACT_LEDGER_TOKEN'))
      .option('--json', 'machine-readable JSON on stdout', false)
      .addOption(new Option('--attempts <n>', `attempts per request, retries included (1 to ${MAX_ATTEMPTS})`)
        .argParser(wholeNumber('--attempts', 1, MAX_ATTEMPTS)).default(8))
      .addHelpText('after', clientCommandHelp(reportedProblem)),
    connect(command) {
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
    },
    reportProblem() {
      exitCode = EXIT.reportedProblem
    },
    exitCode: () => exitCode,
    jsonErrors: () => jsonErrors,
    close() {
      for (const client of clients) client.close()
    },
  }
}

/** Options given on the command line that `situation` makes meaningless: a usage error, never silently ignored. */
export function refuseOptions(command: Command, attributes: string[], situation: string): void {
  const given = command.options
    .filter((option) => attributes.includes(option.attributeName()) && command.getOptionValueSource(option.attributeName()) === 'cli')
    .map((option) => option.long ?? option.flags)
  if (given.length > 0) throw new UsageError(`${given.join(', ')} ${given.length === 1 ? 'does' : 'do'} not apply ${situation}`)
}

function describe(error: unknown): string {
  if (error instanceof LedgerProblem) return `${error.status} ${error.code ?? ''}`.trim()
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : (error as Error).message
}
