// Session ids and artifact names: the only strings that ever become paths under DATA_DIR.
import { InvalidName, InvalidSessionId } from './errors.js'

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
export const SESSION_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'
export const MAX_NAME_BYTES = 512
export const MAX_NAME_SEGMENTS = 8
/**
 * An artifact name as one regular expression, for the contract: 1–8 segments as above. Only ASCII
 * matches it, so its 512-character limit (maxLength) is the 512-byte one.
 */
export const ARTIFACT_NAME_PATTERN = `^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,${MAX_NAME_SEGMENTS - 1}}$`

export function isValidSessionId(sid: string): boolean {
  return SEGMENT.test(sid)
}

export function assertSessionId(sid: string): void {
  if (!isValidSessionId(sid)) {
    throw new InvalidSessionId(
      `session id ${JSON.stringify(sid)} must match ${SESSION_ID_PATTERN}`,
      { field: 'sid' },
    )
  }
}

/** Why `name` is not an artifact name, or undefined when it is one. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty'
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) return `must be at most ${MAX_NAME_BYTES} bytes`
  const segments = name.split('/')
  if (segments.length > MAX_NAME_SEGMENTS) return `must have at most ${MAX_NAME_SEGMENTS} segments`
  for (const segment of segments) {
    if (segment === '') return 'must not have empty segments (leading, trailing or double slash)'
    // The segment pattern already excludes '.', '..', leading dots, backslashes and control characters.
    if (!SEGMENT.test(segment)) {
      return `segment ${JSON.stringify(segment)} must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}`
    }
  }
  return undefined
}

export function assertArtifactName(name: string, field = 'name'): void {
  const problem = nameProblem(name)
  if (problem !== undefined) {
    throw new InvalidName(`artifact name ${JSON.stringify(name)} ${problem}`, { field, name })
  }
}

/**
 * The name among `existing` that cannot coexist with `name` because one is a directory prefix of
 * the other (`report` and `report/x.json`): on disk one would have to be both a file and a folder.
 */
export function conflictingName(name: string, existing: Iterable<string>): string | undefined {
  for (const other of existing) {
    if (other === name) continue
    if (other.startsWith(`${name}/`) || name.startsWith(`${other}/`)) return other
  }
  return undefined
}
