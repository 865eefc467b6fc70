// `artifact-ledger push`: files in, one verified atomic commit out (plus one streamed commit per
// large file), then the session's expectations and, if asked, its completion.
import { createHash, randomUUID } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { basename, extname } from 'node:path'
import type { CommitRecord, LedgerClient, SessionRecord } from '../client/index.js'
import { nameError, quote } from './arguments.js'
import { fileProblem, isFileSystemError, LocalFileError, UsageError } from './failures.js'

export interface PushOptions {
  nameAs?: string[]
  expect?: string[]
  complete?: boolean
  message?: string
  metadata?: Record<string, unknown>
  /** Files larger than this are streamed by PUT, each as a commit of its own. */
  streamOverBytes: number
  /** Reused by a rerun of the same push, so a job restarted from scratch does not commit twice. */
  idempotencyKey?: string
  onUploadStart?: (name: string) => (sent: number, total: number) => void
  onUploadEnd?: () => void
}

export interface PushResult {
  sessionId: string
  commits: CommitRecord[]
  /** The session after the push: its expectations, missing names and, with --complete, its final state. */
  session: SessionRecord
}

const MEDIA_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.ndjson': 'application/x-ndjson',
  '.txt': 'text/plain; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gz': 'application/gzip',
  '.zip': 'application/zip',
  '.tar': 'application/x-tar',
  '.parquet': 'application/vnd.apache.parquet',
}

export function mediaTypeFor(path: string): string {
  return MEDIA_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

interface PlannedFile {
  path: string
  name: string
  size: number
  mediaType: string
}

/**
 * Every file readable, every name one the service accepts, before anything is sent: a name the service
 * refused would otherwise fail the atomic commit after the large files had been streamed.
 */
async function plan(files: string[], nameAs: string[] | undefined, expect: string[] | undefined): Promise<PlannedFile[]> {
  if (files.length === 0) throw new UsageError('push needs at least one file')
  if (nameAs !== undefined && nameAs.length !== files.length) {
    throw new UsageError(`--name-as gives ${nameAs.length} name(s) for ${files.length} file(s); give one per file, in order`)
  }
  for (const name of expect ?? []) {
    const error = nameError(`--expect ${quote(name)}`, name)
    if (error !== undefined) throw error
  }
  const planned = await Promise.all(files.map(async (path, i) => {
    let size: number
    try {
      const info = await stat(path)
      if (!info.isFile()) throw new UsageError(`${path} is not a regular file`)
      size = info.size
    } catch (error) {
      if (error instanceof UsageError) throw error
      throw new UsageError(`cannot read ${path}: ${fileProblem(error)}`)
    }
    const name = nameAs?.[i] ?? basename(path)
    const error = nameAs === undefined
      ? nameError(`${quote(path)} would be stored as ${quote(name)}, which`, name, '; use --name-as')
      : nameError(`--name-as ${quote(name)}`, name)
    if (error !== undefined) throw error
    return { path, name, size, mediaType: mediaTypeFor(path) }
  }))
  const seen = new Set<string>()
  for (const file of planned) {
    if (seen.has(file.name)) throw new UsageError(`two files would be stored as ${file.name}; use --name-as`)
    seen.add(file.name)
  }
  return planned
}

/**
 * The key of one streamed file, derived from the push's key so a rerun reuses it. A long name is
 * replaced by its sha256, keeping the key within the service's 255 characters.
 */
function streamedFileKey(baseKey: string, name: string): string {
  const key = `${baseKey}/${name}`
  return key.length <= 255 ? key : `${baseKey}/${createHash('sha256').update(name).digest('hex')}`
}

/**
 * Small files go in one atomic commit, sent as their exact bytes. A `.json` file must parse, so a
 * truncated metrics file is refused here rather than stored. Large files are streamed first, each its
 * own commit, so the atomic commit of the small ones lands last and only if the large ones did.
 */
export async function push(client: LedgerClient, sessionId: string, files: string[], options: PushOptions): Promise<PushResult> {
  const planned = await plan(files, options.nameAs, options.expect)
  const streamed = planned.filter((f) => f.size > options.streamOverBytes)
  const inline = planned.filter((f) => f.size <= options.streamOverBytes)
  const contents = await Promise.all(inline.map(async (file) => {
    const bytes = await readFile(file.path).catch((error: unknown) => {
      throw new UsageError(`cannot read ${file.path}: ${fileProblem(error)}`)
    })
    if (file.mediaType === 'application/json') {
      try {
        JSON.parse(bytes.toString('utf8'))
      } catch (error) {
        throw new UsageError(`${file.path} is not valid JSON (${(error as Error).message}); nothing was pushed`)
      }
    }
    return { name: file.name, bytes, mediaType: file.mediaType }
  }))

  if (options.expect !== undefined && options.expect.length > 0) await client.expect(sessionId, options.expect)

  const baseKey = options.idempotencyKey ?? randomUUID()
  const commits: CommitRecord[] = []
  for (const file of streamed) {
    const onProgress = options.onUploadStart?.(file.name)
    try {
      commits.push(await client.putFile(sessionId, file.name, file.path, {
        mediaType: file.mediaType,
        idempotencyKey: streamedFileKey(baseKey, file.name),
        ...(onProgress === undefined ? {} : { onProgress }),
      }))
    } catch (error) {
      // The file changed under the push (removed, made unreadable): name it as the user gave it.
      if (isFileSystemError(error)) throw new LocalFileError(`cannot read ${file.path}: ${fileProblem(error)}`, { cause: error })
      throw error
    } finally {
      options.onUploadEnd?.()
    }
  }
  if (contents.length > 0) {
    commits.push(await client.commit(sessionId, contents, {
      idempotencyKey: baseKey,
      ...(options.message === undefined ? {} : { message: options.message }),
      ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    }))
  }
  const session = options.complete === true ? await client.complete(sessionId) : await client.getSession(sessionId)
  return { sessionId, commits, session }
}
