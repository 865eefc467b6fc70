// Classifies filesystem errors into the domain's storage failures, keeping the errno and the step.
import { InsufficientStorage, StorageFault, type LedgerError } from '../../domain/errors.js'

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT'])

export function errnoOf(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code
  return undefined
}

export function isNotFound(error: unknown): boolean {
  return errnoOf(error) === 'ENOENT'
}

export function isNoSpace(error: unknown): boolean {
  const code = errnoOf(error)
  return code !== undefined && (NO_SPACE.has(code) || code === 'SQLITE_FULL')
}

/** Wraps a failed step: the message names the step and errno, never a stack trace or absolute path. */
export function storageFailure(step: string, target: string, error: unknown): LedgerError {
  const errno = errnoOf(error) ?? 'unknown'
  const facts = { step, path: target, errno }
  if (isNoSpace(error)) return new InsufficientStorage(`no space left on the device (${errno} during ${step})`, facts, { cause: error })
  return new StorageFault(`${step} failed with ${errno}`, facts, { cause: error })
}
