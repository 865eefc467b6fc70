// The session helper: a writer's whole run as one call, so "forgot to complete" and "threw half-way
// and reported success" cannot happen. A run that returns completes the session (and throws when it
// closed incomplete); a run that throws reports the failure to the service, then rethrows.
import { readFile, stat } from 'node:fs/promises'
import { LedgerClientError } from './errors.js'
import type { ArtifactContent, CommitRecord, SessionChanges, SessionRecord, WriterFailure } from './types.js'

/** What a session block needs of the client: LedgerClient has it (declared here, so the two do not import each other). */
export interface SessionClient {
  commit(sessionId: string, artifacts: ArtifactContent[]): Promise<CommitRecord>
  putFile(sessionId: string, name: string, path: string, options?: { mediaType?: string }): Promise<CommitRecord>
  putSession(sessionId: string, changes: SessionChanges): Promise<SessionRecord>
  expect(sessionId: string, names: string[]): Promise<SessionRecord>
  fail(sessionId: string, failure: WriterFailure): Promise<SessionRecord>
  complete(sessionId: string): Promise<SessionRecord>
}

/** Files up to this size are committed inline; larger ones are streamed with PUT (as the CLI does). */
export const DEFAULT_STREAM_OVER_BYTES = 8 * 1024 * 1024

export interface SessionRunOptions {
  /** Names the session must produce; added to its expected artifacts (atomically) before the run. */
  expect?: string[]
  /** RFC 3339 or a Date: when the service closes the session if this run never does (it must lie ahead). */
  deadline?: string | Date
  metadata?: Record<string, unknown>
  streamOverBytes?: number
}

/** The session closed without every expected artifact (or had been closed failed already). */
export class SessionIncomplete extends LedgerClientError {
  override name = 'SessionIncomplete'
  constructor(readonly session: SessionRecord) {
    super(`session ${session.id} closed ${session.state}${session.missing.length > 0 ? `; missing: ${session.missing.join(', ')}` : ''}`)
  }
}

/** What a run saves through: each call is one verified commit in the session. */
export class SessionWriter {
  readonly commits: CommitRecord[] = []

  constructor(
    private readonly client: SessionClient,
    readonly sessionId: string,
    private readonly streamOverBytes: number,
  ) {}

  async saveJson(name: string, json: unknown): Promise<CommitRecord> {
    return this.keep(this.client.commit(this.sessionId, [{ name, json }]))
  }

  async saveText(name: string, text: string): Promise<CommitRecord> {
    return this.keep(this.client.commit(this.sessionId, [{ name, text }]))
  }

  async saveBytes(name: string, bytes: Uint8Array, mediaType?: string): Promise<CommitRecord> {
    return this.keep(this.client.commit(this.sessionId, [{ name, bytes, ...(mediaType === undefined ? {} : { mediaType }) }]))
  }

  /** A file's exact bytes: inline when small, streamed with PUT (never read whole) when large. */
  async saveFile(name: string, path: string, mediaType?: string): Promise<CommitRecord> {
    const { size } = await stat(path)
    const media = mediaType === undefined ? {} : { mediaType }
    if (size > this.streamOverBytes) return this.keep(this.client.putFile(this.sessionId, name, path, media))
    return this.keep(this.client.commit(this.sessionId, [{ name, bytes: await readFile(path), ...media }]))
  }

  /** More names the session must produce, added atomically. */
  async expect(names: string[]): Promise<SessionRecord> {
    return this.client.expect(this.sessionId, names)
  }

  private async keep(saving: Promise<CommitRecord>): Promise<CommitRecord> {
    const record = await saving
    this.commits.push(record)
    return record
  }
}

/**
 * Runs `run` as the writer of a session. Before it: the expectations (and deadline, metadata) are
 * declared. When it returns: the session is completed, and SessionIncomplete is thrown unless it
 * closed complete. When it throws: the failure is reported (the session closes `failed` with the
 * error's name and message) and the error is rethrown; if reporting fails too, that is attached to
 * the rethrown error as `reportError`, never swallowed and never in its place.
 */
export async function runSession<T>(client: SessionClient, sessionId: string, options: SessionRunOptions, run: (session: SessionWriter) => Promise<T>): Promise<{ result: T; session: SessionRecord }> {
  if (options.deadline !== undefined || options.metadata !== undefined) {
    await client.putSession(sessionId, {
      ...(options.deadline === undefined ? {} : { deadline: options.deadline instanceof Date ? options.deadline.toISOString() : options.deadline }),
      ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    })
  }
  if (options.expect !== undefined && options.expect.length > 0) await client.expect(sessionId, options.expect)
  const writer = new SessionWriter(client, sessionId, options.streamOverBytes ?? DEFAULT_STREAM_OVER_BYTES)
  let result: T
  try {
    result = await run(writer)
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error))
    try {
      await client.fail(sessionId, failure)
    } catch (reportError) {
      if (error instanceof Error) Object.assign(error, { reportError })
    }
    throw error
  }
  const session = await client.complete(sessionId)
  if (session.state !== 'complete') throw new SessionIncomplete(session)
  return { result, session }
}
