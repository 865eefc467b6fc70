import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson, decodeBase64, prepareContent } from '../../src/domain/content.js'
import { sha256 } from '../support/factories.js'

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'] })).toBe('{"a":[true,null,"x"],"b":1}')
  })

  it('formats numbers as ECMAScript does (the RFC 8785 test values)', () => {
    expect(canonicalJson([1e21, 1e-7, 0.000001, -0, 333333333.3333333])).toBe('[1e+21,1e-7,0.000001,0,333333333.3333333]')
  })

  it('is stable: any JSON value canonicalises to text that parses back and canonicalises the same', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const text = canonicalJson(value)
      expect(canonicalJson(JSON.parse(text))).toBe(text)
    }))
  })

  it('refuses values with no canonical form instead of changing them', () => {
    expect(() => canonicalJson({ x: Infinity })).toThrow(/finite/)
    expect(() => canonicalJson({ x: '\ud800' })).toThrow(/surrogate/)
  })
})

describe('prepareContent', () => {
  it('stores text as UTF-8, base64 decoded and json canonical, and hashes what it stores', () => {
    expect(prepareContent({ name: 'a', text: 'é' }, 0).bytes).toEqual(Buffer.from('é', 'utf8'))
    expect(prepareContent({ name: 'a', base64: 'AAH/' }, 0).bytes).toEqual(Buffer.from([0, 1, 255]))
    const json = prepareContent({ name: 'a', json: { z: 1, a: 2 } }, 0)
    expect(json.bytes.toString()).toBe('{"a":2,"z":1}')
    expect(json.sha256).toBe(sha256('{"a":2,"z":1}'))
  })

  it('refuses base64 that is not canonical padded RFC 4648', () => {
    expect(() => prepareContent({ name: 'a', base64: 'AAH' }, 0)).toThrow(/base64/)
    expect(() => prepareContent({ name: 'a', base64: 'A A=' }, 0)).toThrow(/base64/)
  })

  it('accepts an upper-case client digest of the stored bytes', () => {
    expect(prepareContent({ name: 'a', text: 'x', sha256: sha256('x').toUpperCase() }, 0).sha256).toBe(sha256('x'))
  })
})

describe('decodeBase64', () => {
  // The grammar of RFC 4648 §4 padded base64, as the old regex checked it: the oracle.
  const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/
  const nearBase64 = fc.string({ unit: fc.constantFrom(...'AZaz09+/=-_ *\n\u00e9'.split(''), 'Q', 'g'), maxLength: 24 })

  it('accepts exactly what the RFC 4648 grammar accepts, and decodes it as Node does', () => {
    fc.assert(fc.property(fc.oneof(nearBase64, fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'))), (text) => {
      const decoded = decodeBase64(text)
      expect(decoded !== undefined).toBe(PADDED_BASE64.test(text))
      if (decoded !== undefined) expect(decoded.equals(Buffer.from(text, 'base64'))).toBe(true)
    }), { numRuns: 5000 })
  })

  it('refuses the URL-safe alphabet, whitespace, missing padding and padding inside', () => {
    for (const text of ['ab-_', 'ab c', 'Zg', 'Zg=', 'Zg==Zg==', 'Z===', 'Zm9v\n']) expect(decodeBase64(text)).toBeUndefined()
    expect(decodeBase64('')?.byteLength).toBe(0)
    expect(decodeBase64('Zm9vYg==')?.toString()).toBe('foob')
  })
})
