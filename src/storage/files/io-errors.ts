// Classifies filesystem errors into the domain's storage failures, keeping the errno and the step.
import { InsufficientStorage, StorageFault, TooManyOpenFiles } from '../../domain/errors.js'

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT'])
/** The process or the system is out of file descriptors: a limit of this host, not a fault of the disk. */
const NO_FILE_HANDLES = new Set(['EMFILE', 'ENFILE'])

export function errnoOf(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code
  return undefined
}

export function isNotFound(error: unknown): boolean {
  return errnoOf(error) === 'ENOENT'
}

export function isNoSpace(error: unknown): boolean {
  const code = errnoOf(error)
  return code !== undefined && NO_SPACE.has(code)
}

/**
 * Wraps a failed step: the message names the step and errno, never a stack trace or absolute path.
 * An error without an errno did not come from the disk (a TypeError is a bug): it is returned as it
 * is, to be reported as the bug it is rather than as a storage fault.
 */
export function storageFailure(step: string, target: string, error: unknown): unknown {
  const errno = errnoOf(error)
  if (errno === undefined) return error
  const facts = { step, path: target, errno }
  if (isNoSpace(error)) return new InsufficientStorage(`no space left on the device (${errno} during ${step})`, facts, { cause: error })
  if (NO_FILE_HANDLES.has(errno)) {
    return new TooManyOpenFiles(`the service is out of file handles (${errno} during ${step}); retry shortly`, facts, { cause: error })
  }
  return new StorageFault(`${step} failed with ${errno}`, facts, { cause: error })
}
