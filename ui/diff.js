// A line diff by longest common subsequence: small and exact, quadratic, so it is capped.

/** Beyond this many cells (lines of a × lines of b) the table would take too long or too much memory. */
export const MAX_DIFF_CELLS = 4_000_000

/**
 * The lines of `before` and `after` as a list of { op, text }: op is ' ' (in both), '-' (only before) or '+'
 * (only after), in order. Returns null when the texts are too large to compare here.
 */
export function lineDiff(before, after) {
  const a = splitLines(before)
  const b = splitLines(after)
  // Equal heads and tails need no table; most versions differ in a few places.
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1
  const midA = a.slice(head, a.length - tail)
  const midB = b.slice(head, b.length - tail)
  if (midA.length * midB.length > MAX_DIFF_CELLS) return null
  const result = a.slice(0, head).map((text) => ({ op: ' ', text }))
  result.push(...middle(midA, midB))
  result.push(...a.slice(a.length - tail).map((text) => ({ op: ' ', text })))
  return result
}

function splitLines(text) {
  if (text === '') return []
  const lines = text.split(/\r\n|\n/)
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

function middle(a, b) {
  const n = a.length
  const m = b.length
  // lengths[i * (m + 1) + j]: the LCS length of a[i:] and b[j:].
  const lengths = new Uint32Array((n + 1) * (m + 1))
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lengths[i * (m + 1) + j] = a[i] === b[j]
        ? lengths[(i + 1) * (m + 1) + j + 1] + 1
        : Math.max(lengths[(i + 1) * (m + 1) + j], lengths[i * (m + 1) + j + 1])
    }
  }
  const out = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: ' ', text: a[i] })
      i += 1
      j += 1
    } else if (lengths[(i + 1) * (m + 1) + j] >= lengths[i * (m + 1) + j + 1]) {
      out.push({ op: '-', text: a[i] })
      i += 1
    } else {
      out.push({ op: '+', text: b[j] })
      j += 1
    }
  }
  while (i < n) out.push({ op: '-', text: a[i++] })
  while (j < m) out.push({ op: '+', text: b[j++] })
  return out
}
