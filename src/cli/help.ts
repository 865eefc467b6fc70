// What --help says after the options: the exit codes a script branches on, and the environment read
// when an option is left out. Built from exit-codes.ts, so the help cannot drift from what runCli returns.
import { EXIT } from './exit-codes.js'

const MEANING = {
  [EXIT.ok]: 'done',
  [EXIT.failed]: 'the service refused or failed, a digest did not verify, or a local file was not written',
  [EXIT.usage]: 'usage: a bad command line or option value; nothing was sent',
  [EXIT.reportedProblem]: 'done, but the ledger reports a problem (session incomplete or failed, verify findings)',
  [EXIT.unreachable]: 'the service stayed unreachable for every attempt (see --attempts)',
}

const CLIENT_ENVIRONMENT = [
  ['ARTIFACT_LEDGER_URL', 'the service, when --url is not given (default http://127.0.0.1:8080)'],
  ['ARTIFACT_LEDGER_TOKEN', 'bearer token, when --token is not given (empty: no token)'],
]

// Pointed to, not copied: the table in README.md is the one kept up to date with config.ts.
const SERVER_ENVIRONMENT = [
  "serve reads the server's settings (PORT, HOST, DATA_DIR, AUTH_TOKENS, LOG_LEVEL, ...);",
  'every variable, with its default, is in the Configuration table of README.md',
]

function section(title: string, rows: string[][], notes: string[] = []): string {
  const width = Math.max(0, ...rows.map((row) => (row[0] ?? '').length))
  const lines = [...rows.map(([key = '', text = '']) => `  ${key.padEnd(width)}  ${text}`), ...notes.map((note) => `  ${note}`)]
  // Commander puts a line break after the text: sections end without one and are joined by one.
  return `\n${title}:\n${lines.join('\n')}`
}

function exitCodes(codes: readonly number[], overrides: Partial<Record<number, string>> = {}): string {
  return section('Exit codes', codes.map((code) => [String(code), overrides[code] ?? MEANING[code as keyof typeof MEANING]]))
}

/** After the list of commands: every code, and the environment of the client commands and of serve. */
export const PROGRAM_HELP = exitCodes(Object.values(EXIT)) + '\n' + section('Environment', CLIENT_ENVIRONMENT, SERVER_ENVIRONMENT)

/**
 * After a client command's options: the codes it can return. `problem` is what exit 3 means for this
 * command; a command that never reports one leaves it out, and the code with it.
 */
export function clientCommandHelp(problem?: string): string {
  const codes = problem === undefined
    ? [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.unreachable]
    : [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.reportedProblem, EXIT.unreachable]
  return exitCodes(codes, problem === undefined ? {} : { [EXIT.reportedProblem]: `done, but ${problem}` }) + '\n' +
    section('Environment', CLIENT_ENVIRONMENT)
}

/** backup works on a data dir on this host: its settings are the server's, its failures local. */
export const BACKUP_HELP = exitCodes([EXIT.ok, EXIT.failed, EXIT.usage, EXIT.reportedProblem], {
  [EXIT.failed]: 'no backup (no manifest.json): objects missing or corrupt in the source, past GC_GRACE_SECONDS, or an I/O error',
  [EXIT.usage]: 'usage: a bad command line or option value; nothing was done',
  [EXIT.reportedProblem]: 'with --verify: the backup does not match its manifest',
}) + '\n' + section('Environment', [
  ['DATA_DIR', "the data dir, when --data-dir is not given (default ./data, the server's default)"],
  ['GC_GRACE_SECONDS', 'when --gc-grace-seconds is not given (default 3600). Garbage collection removes an object only when'],
  ['', 'nothing references it and it was uploaded and released longer ago than this; a backup that gets its last'],
  ['', 'object within this time of its snapshot cannot lose one to GC. Use the value the service runs with.'],
], [
  'The backup takes no lock and does not stop the service: ledger.db is copied as one SQLite snapshot, then',
  'the objects it refers to (hard links on the same filesystem, else copies, every one hashed), then the plain',
  'view, then manifest.json. Restore: start the service with DATA_DIR=<dir>. Copy the backup off this host.',
])

/** serve is the service itself: its codes are a server's, its settings the server's variables. */
export const SERVE_HELP = exitCodes([EXIT.ok, EXIT.failed, EXIT.usage], {
  [EXIT.ok]: 'stopped by SIGTERM or SIGINT, once in-flight requests finished',
  [EXIT.failed]: 'could not start (a bad setting, the data dir in use by another server) or stopped on an error',
  [EXIT.usage]: 'usage: a bad command line',
}) + '\n' + section('Environment', [], SERVER_ENVIRONMENT)
