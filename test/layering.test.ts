// STYLE.md's layering, checked on every import in src/: imports point inward (http → ledger → domain),
// the ledger reaches storage only through domain/ports.ts, adapters never reach into one another, only
// the wiring places (main.ts, scripts/, storage/open-storage.ts) choose adapters, and nothing is a cycle.
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = resolve(import.meta.dirname, '../src')

interface Import {
  from: string
  /** A path relative to src/ for our own modules, the specifier for a package. */
  to: string
  local: boolean
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [])
}

const imports: Import[] = sourceFiles(SRC).flatMap((file) => {
  const from = relative(SRC, file)
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:^import[^'"]*|^export[^'"]* from |import\()\s*['"]([^'"]+)['"]/gm)].map((m): Import => {
    const specifier = m[1] ?? ''
    const local = specifier.startsWith('.')
    return { from, to: local ? relative(SRC, resolve(dirname(file), specifier)).replace(/\.js$/, '.ts') : specifier, local }
  })
})

/** The layer of a module: its top folder, or its own name for the files at the top of src/. */
function layerOf(path: string): string {
  const [top = '', next] = path.split('/')
  return next === undefined ? top.replace(/\.ts$/, '') : top
}

/** Which layers each layer may import from (besides itself); main and scripts wire everything. */
const MAY_IMPORT: Record<string, readonly string[] | 'anything'> = {
  domain: [],
  ledger: ['domain'],
  storage: ['domain'],
  http: ['domain', 'ledger', 'config', 'version'],
  app: ['domain', 'ledger', 'http'],
  client: ['domain', 'http', 'version'],
  cli: ['client', 'domain', 'version', 'main', 'backup', 'config'],
  // The CLI's door to a data dir on this host (backup): the local storage tools, nothing of the service.
  backup: ['storage'],
  config: [],
  version: [],
  main: 'anything',
  scripts: 'anything',
}

/** Packages that belong to an outer layer: the inner ones never see them. */
const FORBIDDEN_PACKAGES: Record<string, RegExp> = {
  domain: /^(fastify|@fastify\/|better-sqlite3|postgres|@aws-sdk\/|pino|node:fs|node:path|node:os)/,
  ledger: /^(fastify|@fastify\/|better-sqlite3|postgres|@aws-sdk\/|pino|node:fs|node:path|node:os)/,
}

/** Neutral pieces adapters may share: one unit-of-work gate, and the SQL logs' row mapping and counter names. */
const SHARED_BY_ADAPTERS = ['storage/unit-gate.ts', 'storage/sql-rows.ts', 'storage/counter-families.ts']
const STORAGE_ADAPTERS = ['storage/sqlite/', 'storage/postgres/', 'storage/files/', 'storage/memory/', 'storage/in-process/', 'storage/s3/']

describe('layering (STYLE.md)', () => {
  it('finds the imports it checks', () => {
    expect(imports.filter((i) => i.local).length).toBeGreaterThan(200)
  })

  it('points every import inward', () => {
    const outward = imports.filter((i) => i.local).filter((i) => {
      const [from, to] = [layerOf(i.from), layerOf(i.to)]
      const allowed = MAY_IMPORT[from]
      if (allowed === undefined) return true
      return from !== to && allowed !== 'anything' && !allowed.includes(to)
    })
    expect(outward.map((i) => `${i.from} → ${i.to}`)).toEqual([])
  })

  it('lets the ledger reach storage only through domain/ports.ts', () => {
    const past = imports.filter((i) => layerOf(i.from) === 'ledger' && i.to.startsWith('domain/ports/'))
    expect(past.map((i) => `${i.from} → ${i.to}`)).toEqual([])
  })

  it('keeps fastify, SQLite and the filesystem out of the domain and the ledger', () => {
    const leaks = imports.filter((i) => !i.local && FORBIDDEN_PACKAGES[layerOf(i.from)]?.test(i.to) === true)
    expect(leaks.map((i) => `${i.from} → ${i.to}`)).toEqual([])
  })

  it('keeps each storage adapter to itself: only the wiring place sees them all', () => {
    const across = imports.filter((i) => {
      const adapter = STORAGE_ADAPTERS.find((prefix) => i.from.startsWith(prefix))
      return adapter !== undefined && i.local && i.to.startsWith('storage/') && !i.to.startsWith(adapter) && !SHARED_BY_ADAPTERS.includes(i.to)
    })
    expect(across.map((i) => `${i.from} → ${i.to}`)).toEqual([])
  })

  it('chooses adapters in the wiring places only', () => {
    const choosers = new Set(imports.filter((i) => i.local && STORAGE_ADAPTERS.some((prefix) => i.to.startsWith(prefix)) && layerOf(i.from) !== 'storage').map((i) => i.from))
    expect([...choosers]).toEqual([])
    const wiring = new Set(imports.filter((i) => i.to === 'storage/open-storage.ts').map((i) => i.from))
    expect([...wiring].sort()).toEqual(['main.ts', 'scripts/write-openapi.ts'])
  })

  it('has no import cycle', () => {
    const edges = new Map<string, string[]>()
    for (const i of imports.filter((each) => each.local)) edges.set(i.from, [...(edges.get(i.from) ?? []), i.to])
    const cycles: string[] = []
    const state = new Map<string, 'visiting' | 'done'>()
    const visit = (node: string, path: string[]): void => {
      if (state.get(node) === 'done') return
      if (state.get(node) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(node)), node].join(' → '))
        return
      }
      state.set(node, 'visiting')
      for (const next of edges.get(node) ?? []) visit(next, [...path, node])
      state.set(node, 'done')
    }
    for (const node of edges.keys()) visit(node, [])
    expect(cycles).toEqual([])
  })
})
