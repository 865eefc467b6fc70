// parseStrictJson: bodies are taken exactly as sent or refused with the field and byte at fault.
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  DuplicateMemberName, InexactNumber, InvalidJson, InvalidUtf8, LedgerError, LoneSurrogate,
} from '../../src/domain/errors.js'
import { parseStrictJson } from '../../src/http/strict-json.js'

function parse(body: string | Buffer): unknown {
  return parseStrictJson(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
}

/** The error parseStrictJson throws for `body`; fails the test if it returns instead. */
function refusal(body: string | Buffer): LedgerError {
  try {
    parse(body)
  } catch (error) {
    if (error instanceof LedgerError) return error
    throw error
  }
  throw new Error(`expected a refusal, but the body was accepted: ${body.toString().slice(0, 80)}`)
}

describe('numbers', () => {
  it.each([
    '9007199254740993', '1.00000000000000000001', '1e-400', '1e400', '-1e400',
    '123456789012345678901234567890', '1e-99999999999999999999', '1e99999999999999999999',
    '0.1000000000000000000000000001', '-9007199254740993.0', `0.${'0'.repeat(323)}4`,
    `0.${'0'.repeat(310)}123456789012345`, '1234567890123456789', '0.12345678901234567890',
  ])('refuses %s as a number that would change when stored', (token) => {
    const error = refusal(token)
    expect(error).toBeInstanceOf(InexactNumber)
    expect(error.facts).toEqual({ field: 'body', offset: 0 })
  })

  it.each([
    '0.1', '1.0', '1.5e3', '1E2', '-0', '0e5', '9007199254740992', '1e21', '5e-324', '0.30000000000000004',
    '100', '-12.50', '-0.0e-99999999999999999999', `0.${'0'.repeat(298)}123456789012345`,
    `0.${'0'.repeat(400)}`, '100000000000000000000', '123456789012345', '1' + '0'.repeat(400) + 'e-400', '0.5E+1', '1e+21',
  ])('accepts %s as JSON.parse reads it', (token) => {
    expect(parse(token)).toBe(JSON.parse(token))
  })

  it('names the field and the byte where the number starts', () => {
    const error = refusal('{"artifacts":[{"name":"a","json":{"n":9007199254740993}}]}')
    expect(error).toBeInstanceOf(InexactNumber)
    expect(error.facts).toEqual({ field: 'artifacts[0].json.n', offset: 38 })
    expect(error.message).toBe('artifacts[0].json.n: 9007199254740993 cannot be stored exactly (it would become 9007199254740992)')
  })

  it('counts the offset in bytes, not UTF-16 units', () => {
    const error = refusal('{"é😀":1,"n":1e400}')
    expect(error.facts).toEqual({ field: 'n', offset: 16 })
    expect(error.message).toContain('Infinity')
  })

  it('indexes array elements in the field', () => {
    expect(refusal('[1, 2, [3, 1e-400]]').facts).toEqual({ field: '[2][1]', offset: 11 })
    expect(refusal('{"metadata":{"run":[0.5,0.25,1e999]}}').facts).toEqual({ field: 'metadata.run[2]', offset: 29 })
  })

  it('quotes member names that would not read plainly after a dot', () => {
    expect(refusal('{"a b":{"":1e400}}').facts).toEqual({ field: '["a b"][""]', offset: 11 })
  })
})

describe('duplicate member names', () => {
  it('refuses a duplicate at the top level and names the member', () => {
    const body = '{"artifacts":[],"message":"x","artifacts":[]}'
    const error = refusal(body)
    expect(error).toBeInstanceOf(DuplicateMemberName)
    expect(error.facts).toEqual({ field: 'artifacts', offset: body.lastIndexOf('"artifacts"') })
    expect(error.message).toBe('duplicate member name "artifacts" in body at byte 30: one of its values would be silently dropped')
  })

  it('compares names after unescaping them', () => {
    const error = refusal('{"a":1,"\\u0061":2}')
    expect(error).toBeInstanceOf(DuplicateMemberName)
    expect(error.facts).toEqual({ field: 'a', offset: 7 })
    expect(refusal('{"\\"q\\"":1,"\\u0022q\\u0022":2}')).toBeInstanceOf(DuplicateMemberName)
    expect(refusal('{"😀":1,"\\ud83d\\ude00":2}')).toBeInstanceOf(DuplicateMemberName)
  })

  it('gives the path of a duplicate nested in an array of objects', () => {
    const body = '{"artifacts":[{"json":{"x":1}},{"json":{"y":2,"x":3,"x":4}}]}'
    const error = refusal(body)
    expect(error).toBeInstanceOf(DuplicateMemberName)
    expect(error.facts).toEqual({ field: 'artifacts[1].json.x', offset: body.lastIndexOf('"x"') })
    expect(error.message).toContain('in artifacts[1].json at byte')
  })

  it('finds a duplicate among many members', () => {
    const members = Array.from({ length: 40 }, (_, k) => `"m${k}":${k}`)
    const error = refusal(`{"big":{${members.join(',')},"m17":0}}`)
    expect(error).toBeInstanceOf(DuplicateMemberName)
    expect(error.facts['field']).toBe('big.m17')
    const later = Array.from({ length: 40 }, (_, k) => `"m${k + 40}":${k}`)
    const siblings = `[{${members.join(',')}},{${members.join(',')}},{${later.join(',')}}]`
    expect(parse(siblings)).toEqual(JSON.parse(siblings))
  })

  it('accepts the same name in sibling and nested objects', () => {
    const body = '{"x":{"x":{"x":1}},"y":[{"x":1},{"x":2}]}'
    expect(parse(body)).toEqual(JSON.parse(body))
  })

  it('does not take a string value for a member name', () => {
    const body = '{"a":"b","b":"a","c":["a","a"]}'
    expect(parse(body)).toEqual(JSON.parse(body))
  })
})

describe('surrogate escapes', () => {
  it('accepts a valid pair', () => {
    expect(parse('"\\ud83d\\ude00"')).toBe('😀')
    expect(parse('{"\\uD83D\\uDE00":"\\uDBFF\\uDFFF"}')).toEqual({ '😀': '\u{10FFFF}' })
  })

  it.each([
    ['a lone high surrogate', '"x\\ud83d"', 2],
    ['a lone high surrogate before another escape', '"\\ud83d\\n"', 1],
    ['a lone low surrogate', '"\\ude00x"', 1],
    ['a reversed pair', '"\\ude00\\ud83d"', 1],
    ['two high surrogates', '"\\ud83d\\ud83d"', 1],
    ['a high surrogate before an escaped backslash', '"\\ud83d\\\\ude00"', 1],
  ])('refuses %s', (_, body, offset) => {
    const error = refusal(body)
    expect(error).toBeInstanceOf(LoneSurrogate)
    expect(error.facts).toEqual({ field: 'body', offset })
  })

  it('does not take an escaped backslash followed by u for an escape', () => {
    expect(parse('"\\\\ud800"')).toBe('\\ud800')
  })

  it('names the field of a string value and of a member name', () => {
    expect(refusal('{"metadata":{"run":"é\\udc00"}}').facts).toEqual({ field: 'metadata.run', offset: 22 })
    const error = refusal('{"metadata":{"\\ud800":1}}')
    expect(error).toBeInstanceOf(LoneSurrogate)
    expect(error.facts).toEqual({ field: 'metadata["\\ud800"]', offset: 14 })
  })
})

describe('UTF-8', () => {
  it.each([
    ['a 0xFF byte', [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d], 6],
    ['an overlong encoding of /', [0x22, 0x61, 0xc0, 0xaf, 0x22], 2],
    ['an encoded surrogate', [0x22, 0xc3, 0xa9, 0xed, 0xa0, 0x80, 0x22], 3],
    ['a sequence truncated at the end', [0x22, 0x61, 0x22, 0xf0, 0x9f, 0x98], 3],
    ['a code point beyond U+10FFFF', [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], 1],
    ['a lone continuation byte', [0x22, 0x80, 0x22], 1],
  ])('refuses %s with its byte offset', (_, bytes, offset) => {
    const error = refusal(Buffer.from(bytes))
    expect(error).toBeInstanceOf(InvalidUtf8)
    expect(error.facts).toEqual({ field: 'body', offset })
    expect(error.message).toContain(`at byte ${offset}`)
  })

  it('refuses a byte order mark as invalid JSON', () => {
    const error = refusal(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))
    expect(error).toBeInstanceOf(InvalidJson)
    expect(error.facts).toEqual({ field: 'body', offset: 0 })
  })
})

describe('syntax', () => {
  it.each([
    ['', 0], ['   ', 3], ['{"a":}', 5], ['[1,2', 4], ['{"a":1,}', 7], ['tru', 0], ['01', 1], ['{"a" 1}', 5],
    ['"é" x', 5], ['"a\tb"', 2], ['"\\x"', 1], ['[1]]', 3], ['{"a":1 "b":2}', 7], ['-', 0], ['1.', 1], ['nul', 0],
  ])('refuses %j as invalid JSON at byte %i', (body, offset) => {
    const error = refusal(body)
    expect(error).toBeInstanceOf(InvalidJson)
    expect(error.facts).toEqual({ field: 'body', offset })
  })

  it('reports what JSON.parse said', () => {
    expect(refusal('{"a":1,}').message).toMatch(/^the body is not valid JSON \(at byte 7\): .+/)
  })

  it('refuses 200k unclosed brackets as invalid JSON rather than crashing', () => {
    const error = refusal('['.repeat(200_000))
    expect(error).toBeInstanceOf(InvalidJson)
    expect(error.facts).toEqual({ field: 'body', offset: 200_000 })
  })

  it('scans 200k levels of balanced nesting without recursion', () => {
    const body = '{"a":'.repeat(100_000) + '['.repeat(100_000) + '1e400' + ']'.repeat(100_000) + '}'.repeat(100_000)
    const error = refusal(body)
    expect(error).toBeInstanceOf(InexactNumber)
    expect(error.facts['offset']).toBe(600_000)
    expect(() => parse('['.repeat(200_000) + ']'.repeat(200_000))).not.toThrow()
  })
})

describe('large bodies', () => {
  it('parses a 16 MiB base64 string', () => {
    const data = randomBytes(12 * 1024 * 1024).toString('base64')
    const value = parse(`{"name":"blob","data":"${data}","n":[1,2.5]}`) as { name: string; data: string; n: number[] }
    expect(value.name).toBe('blob')
    expect(value.data.length).toBe(16 * 1024 * 1024)
    expect(value.data === data).toBe(true)
    expect(value.n).toEqual([1, 2.5])
  })

  it('decides numbers with millions of digits', () => {
    expect(refusal(`[1e-${'9'.repeat(5_000_000)}]`).facts).toEqual({ field: '[0]', offset: 1 })
    expect(refusal(`1e${'9'.repeat(5_000_000)}`)).toBeInstanceOf(InexactNumber)
    expect(parse(`1e${'0'.repeat(5_000_000)}1`)).toBe(10)
    expect(parse(`1${'0'.repeat(5_000_000)}e-5000000`)).toBe(1)
    expect(refusal(`1${'0'.repeat(5_000_000)}1e-5000001`)).toBeInstanceOf(InexactNumber)
  })

  it('finds a duplicate after a long string full of escapes', () => {
    const long = '\\n\\"\\u00e9'.repeat(200_000)
    const error = refusal(`{"a":"${long}","a":1}`)
    expect(error).toBeInstanceOf(DuplicateMemberName)
    expect(error.facts['field']).toBe('a')
  })
})

/** Reference oracle, written independently of src/: token and stored text compared as exact rationals. */
function toRational(text: string): { numerator: bigint; power: bigint } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text)
  if (match === null) throw new Error(`not a decimal: ${text}`)
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = match
  const magnitude = BigInt(whole + fraction)
  return { numerator: sign === '-' ? -magnitude : magnitude, power: BigInt(exponent) - BigInt(fraction.length) }
}

function isExactReference(token: string): boolean {
  const stored = String(Number(token))
  if (!Number.isFinite(Number(token))) return false
  const a = toRational(token)
  const b = toRational(stored)
  // -0 and 0 are the same decimal value.
  if (a.numerator === 0n || b.numerator === 0n) return a.numerator === 0n && b.numerator === 0n
  const low = a.power < b.power ? a.power : b.power
  return a.numerator * 10n ** (a.power - low) === b.numerator * 10n ** (b.power - low)
}

function isAccepted(token: string): boolean {
  try {
    parse(token)
    return true
  } catch (error) {
    if (error instanceof InexactNumber) return false
    throw error
  }
}

describe('properties', () => {
  it('parses any JSON.stringify output to what JSON.parse gives', () => {
    fc.assert(fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), fc.boolean(), (value, indent) => {
      const text = JSON.stringify(value, null, indent ? 2 : undefined)
      expect(parse(text)).toEqual(JSON.parse(text))
    }), { numRuns: 300 })
  })

  it('accepts what String() prints for any finite double', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (d) => {
      expect(parse(String(d))).toBe(JSON.parse(String(d)))
    }), { numRuns: 1000 })
  })

  const decimalToken = fc.oneof(
    fc.stringMatching(/^-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][+-]?[0-9]{1,3})?$/),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    fc.bigInt({ min: 2n ** 53n - 20n, max: 2n ** 53n + 20n }).map(String),
    // Far below 1: subnormals, where a few significant digits are already too many.
    fc.tuple(fc.integer({ min: 280, max: 330 }), fc.stringMatching(/^[1-9][0-9]{0,16}$/))
      .map(([zeros, digits]) => `0.${'0'.repeat(zeros)}${digits}`),
    // Near a double: the shortest form, with trailing zeros, or with one digit more.
    fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom('', '0', '000', '1', '5', '9'))
      .map(([d, extra]) => {
        const [mantissa = '', exponent] = String(d).split('e')
        const withDot = mantissa.includes('.') ? mantissa : `${mantissa}.0`
        return `${withDot}${extra}${exponent === undefined ? '' : `e${exponent}`}`
      }),
  )

  it('refuses a decimal token exactly when its value differs from the stored double', () => {
    fc.assert(fc.property(decimalToken, (token) => {
      expect(isAccepted(token)).toBe(isExactReference(token))
    }), { numRuns: 3000 })
  })
})
