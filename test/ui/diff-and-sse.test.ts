// The web view's two pieces of logic that are not DOM: the line diff and the event-stream parser (plain ES
// modules, imported here as the browser loads them).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

interface DiffLine { op: ' ' | '+' | '-'; text: string }
interface SseEvent { id: string; event: string; data: string }
interface SseParserLike { feed(text: string): SseEvent[]; lastEventId: string; retryMs: number | undefined }

// Specifiers as values: these are untyped browser modules, not part of the TypeScript program.
const diffModule = '../../ui/diff.js'
const sseModule = '../../ui/sse.js'
const { lineDiff, MAX_DIFF_CELLS } = (await import(diffModule)) as { lineDiff: (a: string, b: string) => DiffLine[] | null; MAX_DIFF_CELLS: number }
const { SseParser } = (await import(sseModule)) as { SseParser: new () => SseParserLike }

const side = (lines: DiffLine[], keep: ' ' | '+' | '-') => lines.filter((l) => l.op === ' ' || l.op === keep).map((l) => l.text)

describe('lineDiff', () => {
  it('marks the lines removed and added between two versions, keeping the common ones', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nc\nd\n')).toEqual([
      { op: ' ', text: 'a' }, { op: '-', text: 'b' }, { op: ' ', text: 'c' }, { op: '+', text: 'd' },
    ])
    expect(lineDiff('', 'x')).toEqual([{ op: '+', text: 'x' }])
    expect(lineDiff('same\n', 'same\n')).toEqual([{ op: ' ', text: 'same' }])
  })

  it('always rebuilds both texts, with a longest common subsequence as the unchanged lines', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', '{', '}', ''), { maxLength: 30 })
    fc.assert(fc.property(lines, lines, (a, b) => {
      const diff = lineDiff(a.join('\n'), b.join('\n'))
      expect(diff).not.toBeNull()
      const result = diff ?? []
      // A final line end ends the last line; it does not start an empty one.
      const expected = (x: string[]) => {
        const split = x.join('\n') === '' ? [] : x.join('\n').split('\n')
        return split[split.length - 1] === '' ? split.slice(0, -1) : split
      }
      expect(side(result, '-')).toEqual(expected(a))
      expect(side(result, '+')).toEqual(expected(b))
      // A reference LCS length: the diff keeps exactly that many lines.
      const A = expected(a)
      const B = expected(b)
      const table = Array.from({ length: A.length + 1 }, () => new Array<number>(B.length + 1).fill(0))
      for (let i = A.length - 1; i >= 0; i -= 1) for (let j = B.length - 1; j >= 0; j -= 1) {
        table[i]![j] = A[i] === B[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!)
      }
      expect(result.filter((l) => l.op === ' ').length).toBe(table[0]![0])
    }))
  })

  it('declines texts too large to compare rather than freezing the page', () => {
    const lines = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 10
    const a = Array.from({ length: lines }, (_, i) => `a${i}`).join('\n')
    const b = Array.from({ length: lines }, (_, i) => `b${i}`).join('\n')
    expect(lineDiff(a, b)).toBeNull()
    // Equal heads and tails cost nothing: one changed line in a large file is still compared.
    expect(lineDiff(`${a}\nx`, `${a}\ny`)?.filter((l) => l.op !== ' ')).toEqual([{ op: '-', text: 'x' }, { op: '+', text: 'y' }])
  })
})

describe('SseParser', () => {
  it('reads the events of the /v1/events contract: retry, ids, JSON data, heartbeats ignored', () => {
    const parser = new SseParser()
    const events = parser.feed('retry: 2000\n\n: heartbeat\n\nid: 7\ndata: {"seq":7}\n\nid: 8\ndata: {"seq":8}\n\n')
    expect(events).toEqual([{ id: '7', event: 'message', data: '{"seq":7}' }, { id: '8', event: 'message', data: '{"seq":8}' }])
    expect(parser.retryMs).toBe(2000)
    expect(parser.lastEventId).toBe('8')
  })

  it('gives the same events however the stream is cut into chunks, with CRLF, CR or LF line ends', () => {
    const stream = 'id: 1\r\ndata: a\r\ndata: b\r\n\r\n: c\rid: 2\rdata:x\r\rid: 3\ndata: {"k": "v: w"}\n\n'
    const whole = new SseParser().feed(stream)
    expect(whole).toEqual([
      { id: '1', event: 'message', data: 'a\nb' }, { id: '2', event: 'message', data: 'x' }, { id: '3', event: 'message', data: '{"k": "v: w"}' },
    ])
    fc.assert(fc.property(fc.array(fc.nat(stream.length), { maxLength: 8 }), (cuts) => {
      const points = [...new Set(cuts)].sort((x, y) => x - y)
      const parser = new SseParser()
      const events: SseEvent[] = []
      let from = 0
      for (const point of [...points, stream.length]) {
        events.push(...parser.feed(stream.slice(from, point)))
        from = point
      }
      expect(events).toEqual(whole)
    }))
  })

  it('holds back an event until its blank line arrives', () => {
    const parser = new SseParser()
    expect(parser.feed('id: 4\ndata: {"seq":4}\n')).toEqual([])
    expect(parser.feed('\n')).toEqual([{ id: '4', event: 'message', data: '{"seq":4}' }])
  })
})
