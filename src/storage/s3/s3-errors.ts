// Classifies S3 and network errors into the domain's storage failures, in one place (like
// files/io-errors.ts): the step and the key are kept, never a stack trace or a secret.
import { InsufficientStorage, LedgerError, StorageFault } from '../../domain/errors.js'

interface S3ErrorShape {
  name?: string
  code?: string
  $metadata?: { httpStatusCode?: number }
}

/** Errors of the connection itself: the object store is down, unreachable or too slow. */
const UNREACHABLE = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError',
])
/** The bucket is full: RGW's quota, a server that says so with 507. */
const NO_SPACE = new Set(['QuotaExceeded', 'EntityTooLarge', 'InsufficientStorage'])
const REFUSED_CREDENTIALS = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'Forbidden'])

function shapeOf(error: unknown): S3ErrorShape {
  return typeof error === 'object' && error !== null ? error : {}
}

export function statusOf(error: unknown): number | undefined {
  return shapeOf(error).$metadata?.httpStatusCode
}

/** The object (or the multipart upload) is not there. */
export function isNotFound(error: unknown): boolean {
  const { name } = shapeOf(error)
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || statusOf(error) === 404
}

/** A conditional write lost: If-None-Match found the key, or If-Match found another version. */
export function isPreconditionFailed(error: unknown): boolean {
  return shapeOf(error).name === 'PreconditionFailed' || statusOf(error) === 412
}

/** What the failure is called: S3's error code, a socket's errno, or the SDK's name for it. */
function codeOf(error: unknown): string | undefined {
  const { code, name, $metadata } = shapeOf(error)
  if (typeof code === 'string') return code
  const cause = (error as { cause?: unknown } | undefined)?.cause
  const causeCode = shapeOf(cause).code
  if (typeof causeCode === 'string') return causeCode
  if ($metadata !== undefined || (typeof name === 'string' && UNREACHABLE.has(name))) return name
  return undefined
}

/**
 * Wraps a failed step: the message names the step and the S3 code or errno. A LedgerError is already
 * the domain's; an error that came from neither S3 nor the network (a bug's TypeError) is returned as it is.
 */
export function s3Failure(step: string, key: string, error: unknown): unknown {
  if (error instanceof LedgerError) return error
  const code = codeOf(error)
  if (code === undefined) return error
  const status = statusOf(error)
  const facts = { step, path: key, code, ...(status === undefined ? {} : { status }) }
  if (NO_SPACE.has(code) || status === 507) {
    return new InsufficientStorage(`the object store has no room left (${code} during ${step})`, facts, { cause: error })
  }
  if (UNREACHABLE.has(code)) return new StorageFault(`the object store is unreachable (${code} during ${step})`, facts, { cause: error })
  if (REFUSED_CREDENTIALS.has(code)) {
    return new StorageFault(`the object store refused the credentials (${code} during ${step})`, facts, { cause: error })
  }
  return new StorageFault(`${step} failed with ${code}${status === undefined ? '' : ` (HTTP ${status})`}`, facts, { cause: error })
}
