// The sessions list (filter by state, find by id) and one session: expected vs present vs missing, versions, timeline.
import { artifactPath, getJson, withQuery } from './api.js'
import { artifactHref, formatBytes, formatTime, h, sessionHref, show, stateBadge, table } from './dom.js'
import { entryTable } from './entries.js'

const SESSION_STATES = ['open', 'complete', 'incomplete', 'failed', 'deleted']

function missingCell(session) {
  if (session.missing.length === 0) return h('span', { class: 'muted' }, '—')
  const shown = session.missing.slice(0, 5).join(', ')
  return h('span', { class: 'bad' }, session.missing.length > 5 ? `${shown} … (+${session.missing.length - 5})` : shown)
}

export async function sessionsPage(query) {
  const state = query.get('state') ?? ''
  const cursor = query.get('cursor') ?? ''
  const search = query.get('q') ?? ''
  const page = await getJson(withQuery('/v1/sessions', { state, cursor, limit: 200 }))
  const rows = page.sessions.filter((s) => search === '' || s.id.includes(search))
  const form = h('form', { class: 'filters', onsubmit: (event) => {
    event.preventDefault()
    const data = new FormData(event.target)
    location.hash = `#/sessions?${new URLSearchParams({ state: String(data.get('state')), q: String(data.get('q')) })}`
  } },
  h('label', {}, 'State', h('select', { name: 'state' }, h('option', { value: '' }, 'any'),
    SESSION_STATES.map((s) => h('option', { value: s, selected: s === state }, s)))),
  h('label', {}, 'Id contains', h('input', { name: 'q', value: search, type: 'search' })),
  h('button', { type: 'submit' }, 'Filter'),
  search === '' ? null : h('a', { href: sessionHref(search) }, `Open session “${search}”`))
  const next = page.nextCursor === null ? null
    : h('a', { href: `#/sessions?${new URLSearchParams({ state, q: search, cursor: page.nextCursor })}` }, 'Next page →')
  show(
    h('h1', {}, 'Sessions'), form,
    h('p', { class: 'muted' }, `${rows.length} of ${page.sessions.length} sessions on this page (id order)${search === '' ? '' : '; the id filter applies to this page'}`),
    table(['id', 'state', 'deadline', 'closed by', 'missing', 'artifacts', 'updated'], rows.map((s) => h('tr', {},
      h('td', {}, h('a', { href: sessionHref(s.id) }, s.id)), h('td', {}, stateBadge(s.state), s.hold ? ' (hold)' : ''),
      h('td', {}, formatTime(s.deadline)), h('td', {}, s.closedBy ?? '—'), h('td', {}, missingCell(s)),
      h('td', {}, s.artifacts.length), h('td', {}, formatTime(s.updatedAt))))),
    next,
  )
}

/** Every version of each artifact, newest first; at most 100 artifacts are asked for, at 8 requests at a time. */
async function histories(sid, names) {
  const result = new Map()
  const queue = names.slice(0, 100)
  async function worker() {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      result.set(name, (await getJson(`${artifactPath(sid, name)}?versions`)).versions)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  return result
}

function versionRows(sid, name, versions) {
  return [...versions].reverse().map((v, index) => h('tr', {},
    h('td', {}, index === 0 ? h('a', { href: artifactHref(sid, name) }, name) : ''),
    h('td', {}, v.removed === undefined ? h('a', { href: artifactHref(sid, name, v.version) }, `v${v.version}`) : `v${v.version}`),
    h('td', {}, formatBytes(v.size)), h('td', { class: 'digest' }, v.sha256), h('td', {}, v.mediaType),
    h('td', {}, formatTime(v.committedAt)),
    h('td', {}, v.removed === undefined ? '' : h('span', { class: 'warn' }, `${v.removed.kind} (seq ${v.removed.seq})`))))
}

export async function sessionPage(sid) {
  const session = await getJson(`/v1/sessions/${encodeURIComponent(sid)}`)
  const present = new Map(session.artifacts.map((a) => [a.name, a]))
  const names = [...new Set([...session.expectedArtifacts, ...present.keys()])].sort()
  const missing = new Set(session.missing)
  const [versions, log] = await Promise.all([
    histories(sid, [...present.keys()]),
    getJson(withQuery('/v1/commits', { session: sid, limit: 500 })),
  ])
  show(
    h('h1', {}, 'Session ', h('code', {}, session.id)),
    h('p', {}, stateBadge(session.state), session.closedBy === null ? '' : ` — closed by ${session.closedBy} at ${formatTime(session.completedAt)}`,
      `; deadline ${formatTime(session.deadline)}`, session.hold ? '; on hold' : ''),
    session.error === null ? null : h('p', { class: 'problem' }, h('code', {}, session.error.type), ' ', session.error.message),
    h('h2', {}, `Expected ${session.expectedArtifacts.length}, present ${present.size}, missing ${missing.size}`),
    table(['artifact', 'expected', 'present', 'status'], names.map((name) => {
      const artifact = present.get(name)
      return h('tr', {},
        h('td', {}, artifact === undefined ? name : h('a', { href: artifactHref(sid, name) }, name)),
        h('td', {}, session.expectedArtifacts.includes(name) ? 'yes' : 'no'),
        h('td', {}, artifact === undefined ? '—' : `v${artifact.version}, ${formatBytes(artifact.size)}`),
        h('td', {}, missing.has(name) ? h('span', { class: 'bad' }, 'missing') : artifact === undefined ? '' : h('span', { class: 'good' }, 'present')))
    })),
    h('h2', {}, 'Versions'),
    present.size === 0 ? h('p', { class: 'muted' }, 'no artifacts') : table(['artifact', 'version', 'size', 'sha256', 'media type', 'committed', 'removed'],
      [...versions.keys()].sort().flatMap((name) => versionRows(sid, name, versions.get(name)))),
    present.size > 100 ? h('p', { class: 'muted' }, 'versions are shown for the first 100 artifacts') : null,
    h('h2', {}, 'Timeline'),
    entryTable(log.commits, { showSession: false }),
    log.nextCursor === null ? null : h('p', {}, h('a', { href: `#/commits?${new URLSearchParams({ session: sid, cursor: log.nextCursor })}` }, 'More entries in the commit log →')),
  )
}
