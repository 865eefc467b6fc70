import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ARTIFACT_NAME_PATTERN, conflictingName, isValidSessionId, MAX_NAME_BYTES, nameProblem } from '../../src/domain/names.js'

const segment = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/)

describe('artifact names', () => {
  it('accepts every name built from valid segments (1–8 of them)', () => {
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (segments) => {
      expect(nameProblem(segments.join('/'))).toBeUndefined()
    }))
  })

  it('never accepts a name with a dot segment, a leading dot, a backslash or a control character', () => {
    const bad = fc.oneof(
      fc.constantFrom('.', '..'),
      segment.map((s) => `.${s}`),
      segment.map((s) => `${s}\\x`),
      fc.tuple(segment, fc.integer({ min: 0, max: 31 })).map(([s, c]) => `${s}${String.fromCharCode(c)}`),
    )
    fc.assert(fc.property(fc.array(segment, { maxLength: 3 }), bad, fc.array(segment, { maxLength: 3 }), (before, b, after) => {
      expect(nameProblem([...before, b, ...after].join('/'))).toBeDefined()
    }))
  })

  it('refuses empty segments, more than 8 segments and more than 512 bytes', () => {
    expect(nameProblem('')).toBeDefined()
    expect(nameProblem('a//b')).toBeDefined()
    expect(nameProblem('/a')).toBeDefined()
    expect(nameProblem('a/')).toBeDefined()
    expect(nameProblem(Array(9).fill('a').join('/'))).toBeDefined()
    expect(nameProblem(Array(5).fill('a'.repeat(110)).join('/'))).toMatch(/512 bytes/)
  })

  it('finds the name that would be a folder of another', () => {
    expect(conflictingName('report/x.json', ['report'])).toBe('report')
    expect(conflictingName('report', ['report/x.json'])).toBe('report/x.json')
    expect(conflictingName('report.json', ['report'])).toBeUndefined()
    expect(conflictingName('reports/x', ['report'])).toBeUndefined()
  })
})

describe('session ids', () => {
  it('follow the pattern and never contain a slash', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      if (isValidSessionId(s)) expect(s).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)
    }))
    expect(isValidSessionId('..')).toBe(false)
    expect(isValidSessionId('a'.repeat(129))).toBe(false)
  })
})

describe('ARTIFACT_NAME_PATTERN, the contract’s form of the name rule', () => {
  it('accepts exactly the names nameProblem accepts', () => {
    const pattern = new RegExp(ARTIFACT_NAME_PATTERN, 'u')
    const part = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/)
    const candidate = fc.oneof(
      fc.array(part, { minLength: 1, maxLength: 10 }).map((parts) => parts.join('/')),
      fc.string({ maxLength: 40 }),
      fc.constantFrom('.', '..', 'a/./b', 'a/../b', '/a', 'a/', 'a//b', '.hidden', 'a\\b', 'a\u0000b', 'x'.repeat(129), `${'a/'.repeat(7)}a`, `${'a/'.repeat(8)}a`),
    )
    fc.assert(fc.property(candidate, (name) => {
      expect(pattern.test(name) && name.length <= MAX_NAME_BYTES).toBe(nameProblem(name) === undefined)
    }), { numRuns: 2000 })
  })
})
