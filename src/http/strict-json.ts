// Request bodies as I-JSON (RFC 7493): a body is parsed as sent or refused, never silently changed.
import { isUtf8 } from 'node:buffer'
import {
  DuplicateMemberName, InexactNumber, InvalidJson, InvalidUtf8, LoneSurrogate,
} from '../domain/errors.js'

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const MINUS = 0x2d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const LETTER_U = 0x75
/** Names that read unambiguously after a dot; any other name is written as ["…"]. */
const PLAIN_NAME = /^[A-Za-z0-9_$-]+$/

/**
 * The body's JSON value, exactly as sent. Throws InvalidUtf8, InvalidJson, DuplicateMemberName,
 * LoneSurrogate or InexactNumber, each with facts `{ field, offset }` (offset in bytes of the body).
 */
export function parseStrictJson(body: Buffer): unknown {
  if (!isUtf8(body)) {
    const offset = firstInvalidUtf8(body)
    throw new InvalidUtf8(`the body is not well-formed UTF-8 at byte ${offset}: a decoder would replace it with U+FFFD`,
      { field: 'body', offset })
  }
  if (body.length === 0) throw new InvalidJson('the body is empty: a JSON value is required', { field: 'body', offset: 0 })
  // Buffer#toString keeps a BOM, so JSON.parse would refuse it too; this says why.
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    throw new InvalidJson('the body starts with a byte order mark, which JSON does not allow', { field: 'body', offset: 0 })
  }
  const text = body.toString('utf8')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw describeSyntaxError(text, error)
  }
  // JSON.parse has proven the syntax; the scan only looks for what it would have changed silently.
  new StrictScanner(text).scan()
  return value
}

/** One open object or array on the way to the current token. */
interface Frame {
  isObject: boolean
  /** The current member name (objects) or element index (arrays). */
  name: string
  index: number
  /** Member names seen so far: names[0..count), and also in `lookup` once there are many. */
  names: string[]
  count: number
  lookup: Set<string> | undefined
}

/** Past this many members a Set beats a linear search; below it, a Set per object costs more than it saves. */
const LINEAR_NAMES = 8

class StrictScanner {
  // Frames are reused level by level (frames[0..depth) are open): no allocation per object or array.
  private readonly frames: Frame[] = []
  private depth = 0
  // Next quote and backslash at or after the last search, -1 when none is left: every character is
  // searched once per kind, so a 64 MiB string costs two native scans, however many escapes it has.
  private quoteAt = -1
  private backslashAt = 0
  private hasEscape = false
  private expectingName = false

  constructor(private readonly text: string) {}

  scan(): void {
    const { text } = this
    let i = 0
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === QUOTE) {
        const end = this.endOfString(i)
        if (this.expectingName) this.enterMember(i, end)
        this.expectingName = false
        i = end + 1
      } else if (c === MINUS || (c >= 0x30 && c <= 0x39)) {
        i = this.checkNumber(i)
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        this.open(c === OPEN_BRACE)
        i++
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        this.depth--
        i++
      } else if (c === COMMA) {
        const top = this.top()
        if (!top.isObject) top.index++
        this.expectingName = top.isObject
        i++
      } else {
        // Whitespace, ':' and the literals true, false, null: nothing in them can change.
        i++
      }
    }
  }

  private open(isObject: boolean): void {
    let frame = this.frames[this.depth]
    if (frame === undefined) {
      frame = { isObject, name: '', index: 0, names: [], count: 0, lookup: undefined }
      this.frames.push(frame)
    } else {
      frame.isObject = isObject
      frame.index = 0
      frame.count = 0
      frame.lookup = undefined
    }
    this.depth++
    this.expectingName = isObject
  }

  /** Index of the quote closing the string opened at `start`; refuses a lone surrogate escape on the way. */
  private endOfString(start: number): number {
    const { text } = this
    this.hasEscape = false
    let i = start + 1
    for (;;) {
      if (this.quoteAt < i) this.quoteAt = text.indexOf('"', i)
      if (this.backslashAt !== -1 && this.backslashAt < i) this.backslashAt = text.indexOf('\\', i)
      if (this.backslashAt === -1 || this.backslashAt > this.quoteAt) return this.quoteAt
      this.hasEscape = true
      i = this.skipEscape(start, this.backslashAt)
    }
  }

  private skipEscape(stringStart: number, at: number): number {
    const { text } = this
    if (text.charCodeAt(at + 1) !== LETTER_U) return at + 2
    const unit = parseInt(text.slice(at + 2, at + 6), 16)
    if (unit < 0xd800 || unit > 0xdfff) return at + 6
    if (unit <= 0xdbff && text.charCodeAt(at + 6) === BACKSLASH && text.charCodeAt(at + 7) === LETTER_U) {
      const low = parseInt(text.slice(at + 8, at + 12), 16)
      if (low >= 0xdc00 && low <= 0xdfff) return at + 12
    }
    throw this.loneSurrogate(stringStart, at)
  }

  private loneSurrogate(stringStart: number, at: number): LoneSurrogate {
    const isName = this.expectingName
    if (isName) this.top().name = JSON.parse(this.text.slice(stringStart, endOfValidString(this.text, stringStart))) as string
    const field = this.field()
    const offset = byteOffset(this.text, at)
    return new LoneSurrogate(`${field}: ${this.text.slice(at, at + 6)} at byte ${offset} is half of a UTF-16 surrogate pair `
      + `and has no UTF-8 form${isName ? ' (in a member name)' : ''}`, { field, offset })
  }

  private enterMember(start: number, end: number): void {
    const slice = this.text.slice(start + 1, end)
    const name = this.hasEscape ? JSON.parse(`"${slice}"`) as string : slice
    const frame = this.top()
    frame.name = name
    if (!isRepeated(frame, name)) return
    const field = this.field()
    const container = this.field(this.depth - 1)
    const offset = byteOffset(this.text, start)
    throw new DuplicateMemberName(`duplicate member name ${JSON.stringify(name)} in ${container} at byte ${offset}: `
      + 'one of its values would be silently dropped', { field, offset })
  }

  /** Returns the index after the number token at `start`, refusing it if its value would change. */
  private checkNumber(start: number): number {
    const { text } = this
    let i = text.charCodeAt(start) === MINUS ? start + 1 : start
    let leadingZeros = 0
    let significant = 0
    let hasExponent = false
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === 0x30 && significant === 0) leadingZeros++
      else if (c >= 0x30 && c <= 0x39) significant++
      else if (c === 0x65 || c === 0x45) hasExponent = true
      else if (c !== 0x2e && c !== 0x2b && c !== MINUS) break
    }
    // Distinct decimals of at most 15 significant digits (DBL_DIG) are distinct normal doubles, so the
    // shortest form of the nearest double is this same value: no conversion needed. Without an
    // exponent and with under 300 leading zeros the token is far from subnormals and overflow,
    // where that no longer holds.
    if (!hasExponent && significant <= 15 && leadingZeros < 300) return i
    const token = text.slice(start, i)
    const stored = String(Number(token))
    if (stored === token || isSameDecimal(token, stored)) return i
    const field = this.field()
    const shown = token.length > 60 ? `${token.slice(0, 40)}… (${token.length} characters)` : token
    throw new InexactNumber(`${field}: ${shown} cannot be stored exactly (it would become ${stored})`,
      { field, offset: byteOffset(text, start) })
  }

  private top(): Frame {
    const frame = this.frames[this.depth - 1]
    if (frame === undefined) throw new Error('strict-json: no open object or array')
    return frame
  }

  /** The path to the current token as a caller writes it: artifacts[0].json.score; the root is `body`. */
  private field(depth = this.depth): string {
    let field = ''
    for (const frame of this.frames.slice(0, depth)) {
      if (!frame.isObject) field += `[${frame.index}]`
      else if (PLAIN_NAME.test(frame.name)) field += field === '' ? frame.name : `.${frame.name}`
      else field += `[${JSON.stringify(frame.name)}]`
    }
    return field === '' ? 'body' : field
  }
}

/** Records a member name of `frame`; true when the object already has it. */
function isRepeated(frame: Frame, name: string): boolean {
  if (frame.lookup !== undefined) {
    if (frame.lookup.has(name)) return true
    frame.lookup.add(name)
    return false
  }
  for (let k = 0; k < frame.count; k++) if (frame.names[k] === name) return true
  frame.names[frame.count++] = name
  if (frame.count === LINEAR_NAMES) frame.lookup = new Set(frame.names.slice(0, LINEAR_NAMES))
  return false
}

/** Compares exact decimal values; `stored` is what String() prints for the nearest double. */
function isSameDecimal(token: string, stored: string): boolean {
  if (stored === 'Infinity' || stored === '-Infinity') return false
  const a = normalizeDecimal(token)
  const b = normalizeDecimal(stored)
  if (a === 'zero' || b === 'zero') return a === b
  // Exponents last: once the digits match, the token's exponent is near the double's, so BigInt
  // never parses the millions of digits a hostile `1e-999…` may carry.
  return a.isNegative === b.isNegative && a.digits === b.digits && exponentOf(a) === exponentOf(b)
}

/** A decimal value as digits × 10^(exponentText + shift). */
interface Decimal {
  isNegative: boolean
  /** Significant digits, no leading or trailing zeros. */
  digits: string
  exponentText: string
  shift: number
}

/** BigInt, because the text may say 1e-99999999999999999999. */
function exponentOf(decimal: Decimal): bigint {
  return BigInt(decimal.exponentText) + BigInt(decimal.shift)
}

function normalizeDecimal(text: string): Decimal | 'zero' {
  const isNegative = text.startsWith('-')
  const unsigned = isNegative ? text.slice(1) : text
  const e = unsigned.search(/[eE]/)
  const mantissa = e === -1 ? unsigned : unsigned.slice(0, e)
  const dot = mantissa.indexOf('.')
  const fraction = dot === -1 ? '' : mantissa.slice(dot + 1)
  const allDigits = dot === -1 ? mantissa : mantissa.slice(0, dot) + fraction
  // Loops rather than /0+$/, which backtracks quadratically on a long run of zeros.
  let first = 0
  while (allDigits.charCodeAt(first) === 0x30) first++
  if (first === allDigits.length) return 'zero'
  let end = allDigits.length
  while (allDigits.charCodeAt(end - 1) === 0x30) end--
  const exponentText = e === -1 ? '0' : unsigned.slice(e + 1)
  return { isNegative, digits: allDigits.slice(first, end), exponentText, shift: allDigits.length - end - fraction.length }
}

function byteOffset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index), 'utf8')
}

/** Start of the first ill-formed sequence, by the table of well-formed UTF-8 (Unicode 15, table 3-7). */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0
  while (i < bytes.length) {
    const lead = bytes[i] ?? 0
    if (lead < 0x80) {
      i++
      continue
    }
    let length: number
    let low = 0x80
    let high = 0xbf
    if (lead >= 0xc2 && lead <= 0xdf) length = 2
    else if (lead === 0xe0) [length, low] = [3, 0xa0] // overlong below U+0800
    else if (lead === 0xed) [length, high] = [3, 0x9f] // surrogates U+D800–U+DFFF
    else if (lead >= 0xe1 && lead <= 0xef) length = 3
    else if (lead === 0xf0) [length, low] = [4, 0x90] // overlong below U+10000
    else if (lead === 0xf4) [length, high] = [4, 0x8f] // beyond U+10FFFF
    else if (lead >= 0xf1 && lead <= 0xf3) length = 4
    else return i
    for (let k = 1; k < length; k++) {
      const next = bytes[i + k]
      if (next === undefined || next < (k === 1 ? low : 0x80) || next > (k === 1 ? high : 0xbf)) return i
    }
    i += length
  }
  return bytes.length
}

function describeSyntaxError(text: string, error: unknown): unknown {
  if (error instanceof RangeError) {
    const offset = byteOffset(text, text.length - text.trimStart().length)
    return new InvalidJson('the body is nested too deeply to parse', { field: 'body', offset }, { cause: error })
  }
  if (!(error instanceof SyntaxError)) return error
  const offset = byteOffset(text, locateSyntaxError(text))
  return new InvalidJson(`the body is not valid JSON (at byte ${offset}): ${error.message}`, { field: 'body', offset },
    { cause: error })
}

const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y
const JSON_SPACE = /[ \t\n\r]*/y

/**
 * Error path only: where the first syntax error starts (a UTF-16 index), since JSON.parse does not
 * always say. An iterative grammar walk, so hostile nesting cannot overflow the stack here either.
 */
function locateSyntaxError(text: string): number {
  const closers: number[] = []
  let expect: 'value' | 'value-or-close' | 'name' | 'name-or-close' | 'after' = 'value'
  let i = 0
  for (;;) {
    JSON_SPACE.lastIndex = i
    JSON_SPACE.test(text)
    i = JSON_SPACE.lastIndex
    if (i >= text.length) return text.length
    const c = text.charCodeAt(i)
    const closer = closers[closers.length - 1]
    if (expect === 'after') {
      if (c === COMMA && closer !== undefined) expect = closer === CLOSE_BRACE ? 'name' : 'value'
      else if (c === closer) closers.pop()
      else return i
      i++
    } else if ((expect === 'value-or-close' && c === CLOSE_BRACKET) || (expect === 'name-or-close' && c === CLOSE_BRACE)) {
      closers.pop()
      expect = 'after'
      i++
    } else if (expect === 'name' || expect === 'name-or-close') {
      if (c !== QUOTE) return i
      const end = endOfValidString(text, i)
      if (end < 0) return ~end
      JSON_SPACE.lastIndex = end
      JSON_SPACE.test(text)
      if (text.charCodeAt(JSON_SPACE.lastIndex) !== 0x3a) return JSON_SPACE.lastIndex
      i = JSON_SPACE.lastIndex + 1
      expect = 'value'
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      closers.push(c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET)
      expect = c === OPEN_BRACE ? 'name-or-close' : 'value-or-close'
      i++
    } else if (c === QUOTE) {
      const end = endOfValidString(text, i)
      if (end < 0) return ~end
      i = end
      expect = 'after'
    } else {
      JSON_NUMBER.lastIndex = i
      const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i))
      if (literal !== undefined) i += literal.length
      else if (JSON_NUMBER.test(text)) i = JSON_NUMBER.lastIndex
      else return i
      expect = 'after'
    }
  }
}

/** Index after the string opened at `start`, or ~index of its first fault. */
function endOfValidString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) return i + 1
    if (c < 0x20) return ~i
    if (c !== BACKSLASH) continue
    const escape = text[i + 1] ?? ''
    if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 5
    else if (escape !== '' && '"\\/bfnrt'.includes(escape)) i++
    else return ~i
  }
  return ~text.length
}
