// The commit log (filter by state, kind, session; newest first or paged from a seq) and the live stream of new entries.
import { authHeaders, getJson, withQuery } from './api.js'
import { h, show } from './dom.js'
import { ENTRY_KINDS, ENTRY_STATES, entryRow, entryTable, latestEntries, logEnd } from './entries.js'
import { followEvents } from './sse.js'

function select(name, label, values, chosen) {
  return h('label', {}, label, h('select', { name }, h('option', { value: '' }, 'any'), values.map((v) => h('option', { value: v, selected: v === chosen }, v))))
}

export async function commitsPage(query) {
  const filter = { state: query.get('state') ?? '', kind: query.get('kind') ?? '', session: query.get('session') ?? '' }
  const from = query.get('since') ?? ''
  const cursor = query.get('cursor') ?? ''
  const form = h('form', { class: 'filters', onsubmit: (event) => {
    event.preventDefault()
    const data = Object.fromEntries([...new FormData(event.target)].filter(([, v]) => v !== ''))
    location.hash = `#/commits?${new URLSearchParams(data)}`
  } },
  select('state', 'State', ENTRY_STATES, filter.state), select('kind', 'Kind', ENTRY_KINDS, filter.kind),
  h('label', {}, 'Session', h('input', { name: 'session', value: filter.session })),
  h('label', {}, 'From seq (empty: the newest 100)', h('input', { name: 'since', value: from, inputmode: 'numeric', pattern: '[0-9]*' })),
  h('button', { type: 'submit' }, 'Show'))
  if (from === '' && cursor === '') {
    const entries = await latestEntries(filter, logEnd(await getJson('/v1/status')), 100)
    show(h('h1', {}, 'Commit log'), form, h('p', { class: 'muted' }, `The newest ${entries.length} matching entries, newest first.`), entryTable(entries))
    return
  }
  const page = await getJson(withQuery('/v1/commits', { ...filter, since: from, cursor, limit: 200 }))
  const next = page.nextCursor === null ? null : h('a', { href: `#/commits?${new URLSearchParams({ ...filter, cursor: page.nextCursor })}` }, 'Next page →')
  show(h('h1', {}, 'Commit log'), form, h('p', { class: 'muted' }, 'Oldest first from the seq given.'), entryTable(page.commits), next)
}

/** Keeps the live table to this many rows. */
const MAX_LIVE_ROWS = 500

export async function livePage(query, signal) {
  const session = query.get('session') ?? ''
  const state = h('p', { role: 'status' }, 'Connecting…')
  const body = h('tbody', {})
  const headings = ['seq', 'time', 'session', 'kind', 'state', 'what / why']
  show(h('h1', {}, 'Live'),
    h('form', { class: 'filters', onsubmit: (event) => {
      event.preventDefault()
      const value = String(new FormData(event.target).get('session'))
      location.hash = value === '' ? '#/live' : `#/live?${new URLSearchParams({ session: value })}`
    } }, h('label', {}, 'Only session', h('input', { name: 'session', value: session })), h('button', { type: 'submit' }, 'Follow')),
    state,
    h('table', { 'aria-live': 'polite' }, h('thead', {}, h('tr', {}, headings.map((x) => h('th', { scope: 'col' }, x)))), body))
  let received = 0
  await followEvents(withQuery('/v1/events', { session }), {
    headers: authHeaders(),
    signal,
    onEvent: (event) => {
      received += 1
      body.prepend(entryRow(JSON.parse(event.data)))
      while (body.rows.length > MAX_LIVE_ROWS) body.lastElementChild.remove()
      state.textContent = `Connected; ${received} new entries since this page opened (last seq ${event.id}).`
    },
    onStatus: (status, problem) => {
      if (status === 'open') state.textContent = received === 0 ? 'Connected; waiting for new entries…' : state.textContent
      else if (status === 'closed') state.textContent = 'The stream ended; reconnecting…'
      else state.replaceChildren(h('span', { class: 'problem' }, h('code', {}, problem.code), ` ${problem.detail}`, problem.status === 503 ? ' (retrying)' : ''))
    },
  })
}
