// Re-reads and hashes every stored file (or one session's) and reports what is missing, corrupt or stray.
import type { CommitLog, ObjectFiles, PlainFiles } from '../domain/ports.js'

export interface VerifyFinding {
  kind: 'object' | 'plain' | 'temp'
  path: string
  sha256?: string
  sessionId?: string
  name?: string
  /** For a plain file that differs from the log: the digest found on disk. */
  actualSha256?: string
}

export interface VerifyReport {
  scope: { sessionId: string | null }
  ok: boolean
  checked: { objects: number; plainFiles: number; bytes: number }
  missing: VerifyFinding[]
  corrupt: VerifyFinding[]
  orphaned: VerifyFinding[]
  startedAt: string
  finishedAt: string
  durationMs: number
}

export interface VerifyParts {
  log: CommitLog
  objects: ObjectFiles
  plain: PlainFiles
  isObjectInUse: (sha256: string) => boolean
}

export async function verifyStorage(parts: VerifyParts, sessionId?: string): Promise<VerifyReport> {
  const { log, objects, plain } = parts
  const startedAt = new Date()
  const report: VerifyReport = {
    scope: { sessionId: sessionId ?? null },
    ok: true,
    checked: { objects: 0, plainFiles: 0, bytes: 0 },
    missing: [],
    corrupt: [],
    orphaned: [],
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationMs: 0,
  }

  const referenced = new Set<string>()
  for (const { sha256, size } of [...log.referencedObjects(sessionId)]) {
    referenced.add(sha256)
    const finding = { kind: 'object' as const, path: objects.relativePathOf(sha256), sha256 }
    const state = await objects.check(sha256)
    report.checked.objects++
    if (state === 'ok') report.checked.bytes += size
    else (state === 'missing' ? report.missing : report.corrupt).push(finding)
    log.setObjectState(sha256, state)
  }

  const latestBySession = new Map<string, Map<string, string>>()
  for (const { sessionId: sid, name, sha256 } of [...log.latestForVerify(sessionId)]) {
    let names = latestBySession.get(sid)
    if (names === undefined) latestBySession.set(sid, (names = new Map<string, string>()))
    names.set(name, sha256)
    const path = `sessions/${sid}/${name}`
    const actual = await plain.digestOf(sid, name)
    report.checked.plainFiles++
    if (actual === undefined) report.missing.push({ kind: 'plain', path, sessionId: sid, name, sha256 })
    else if (actual !== sha256) report.corrupt.push({ kind: 'plain', path, sessionId: sid, name, sha256, actualSha256: actual })
  }

  const sessionDirs = sessionId === undefined ? await plain.listSessionDirs() : [sessionId]
  for (const sid of sessionDirs) {
    const known = latestBySession.get(sid)
    for (const file of await plain.listFiles(sid)) {
      if (known?.has(file) === true) continue
      const kind = file.split('/').some((segment) => segment.startsWith('.tmp-')) ? 'temp' : 'plain'
      report.orphaned.push({ kind, path: `sessions/${sid}/${file}`, sessionId: sid })
    }
  }

  if (sessionId === undefined) {
    for await (const entry of objects.walk()) {
      if (entry.sha256 !== undefined && (referenced.has(entry.sha256) || parts.isObjectInUse(entry.sha256))) continue
      report.orphaned.push({
        kind: entry.sha256 === undefined ? 'temp' : 'object',
        path: entry.relativePath,
        ...(entry.sha256 === undefined ? {} : { sha256: entry.sha256 }),
      })
    }
  }

  const finishedAt = new Date()
  report.finishedAt = finishedAt.toISOString()
  report.durationMs = finishedAt.getTime() - startedAt.getTime()
  report.ok = report.missing.length === 0 && report.corrupt.length === 0 && report.orphaned.length === 0
  return report
}
