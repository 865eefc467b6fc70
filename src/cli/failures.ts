// How a run that did not succeed ends: a usage error as one line and a hint (exit 2); any other failure
// as one line naming what failed, also as JSON on stdout with --json; nothing swallowed.
import { ContractMismatch, DigestMismatch, LedgerClientError, LedgerProblem, LedgerUnavailable } from '../client/index.js'
import { EXIT, type ExitCode } from './exit-codes.js'
import type { Output } from './output.js'

type Io = Pick<Output, 'stdout' | 'stderr'>

/** A command line the user got wrong, found before any request: exit 2, nothing was sent. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** A local file that failed once requests had begun (`get -o` written, a pushed file read), named as the user gave it: exit 1. */
export class LocalFileError extends Error {
  override readonly name = 'LocalFileError'
}

/** A local operation (a backup) that could not be done, said in its own words: exit 1. */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed'
}

/** One line saying what is wrong, one saying where to look; never the whole help, which would bury the line. */
export function reportUsage(io: Io, message: string, command: string | undefined, json: boolean): ExitCode {
  io.stderr.write(`artifact-ledger: ${message}\n`)
  io.stderr.write(`try 'artifact-ledger ${command === undefined ? '' : `${command} `}--help'\n`)
  if (json) io.stdout.write(JSON.stringify({ error: 'usage', detail: message }, null, 2) + '\n')
  return EXIT.usage
}

/** Every failure after the command line was accepted ends up here: printed on stderr (and as JSON with --json). */
export function reportFailure(error: unknown, io: Io, json: boolean): ExitCode {
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
  if (error instanceof LocalFileError) {
    io.stderr.write(`artifact-ledger: ${error.message}\n`)
    if (json) io.stdout.write(JSON.stringify({ error: 'local_file', detail: error.message }, null, 2) + '\n')
    return EXIT.failed
  }
  if (error instanceof CommandFailed) {
    io.stderr.write(`artifact-ledger: ${error.message}\n`)
    if (json) io.stdout.write(JSON.stringify({ error: 'failed', detail: error.message }, null, 2) + '\n')
    return EXIT.failed
  }
  if (error instanceof DigestMismatch || error instanceof ContractMismatch || error instanceof LedgerClientError || error instanceof TypeError) {
    io.stderr.write(`artifact-ledger: ${error.name}: ${error.message}\n`)
    if (json) io.stdout.write(JSON.stringify({ error: error.name, detail: error.message }, null, 2) + '\n')
    return EXIT.failed
  }
  // Anything else is a bug in the command: loud, with its stack.
  io.stderr.write(`artifact-ledger: ${(error as Error).stack ?? String(error)}\n`)
  return EXIT.failed
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'part of the path is a file, not a folder',
  EISDIR: 'it is a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
}

/**
 * What went wrong with a local file, in words: Node's own message names the path it touched (for
 * `get -o` a temp file the user never heard of), so the caller names the path the user gave.
 */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === undefined) return (error as Error).message
  return `${FILE_PROBLEMS[code] ?? 'failed'} (${code})`
}

/** A Node file-system error (it carries the path it touched), as opposed to a network or service error. */
export function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).path === 'string' && typeof (error as NodeJS.ErrnoException).code === 'string'
}
