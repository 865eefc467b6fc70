// Reads Prometheus text exposition in tests: each sample line as `name{labels}` → value.
export type Samples = Map<string, number>

/** Sample lines only (no # HELP / # TYPE); label sets are kept exactly as the exporter wrote them. */
export function parseExposition(text: string): Samples {
  const samples: Samples = new Map()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const cut = line.lastIndexOf(' ')
    const raw = line.slice(cut + 1)
    // prom-client writes NaN as `Nan`; Prometheus parses either spelling.
    samples.set(line.slice(0, cut), /^nan$/i.test(raw) ? Number.NaN : Number(raw))
  }
  return samples
}

/** The value of one series, failing loudly when the exporter does not have it. */
export function sampleOf(samples: Samples, series: string): number {
  const value = samples.get(series)
  if (value === undefined) throw new Error(`no sample ${series} in the exposition; have: ${[...samples.keys()].filter((k) => k.startsWith(series.split('{')[0] ?? '')).join(', ')}`)
  return value
}
