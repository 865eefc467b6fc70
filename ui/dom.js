// DOM building without HTML strings: every value is set as text, so nothing the API returns is ever parsed as markup.

/** h('a', { href: '#/' }, 'text', child): attributes as properties or attributes; children as text nodes or elements. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') element.className = value
    else if (key.startsWith('on')) element.addEventListener(key.slice(2), value)
    else element.setAttribute(key, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue
    element.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
}

/** Replaces what the main area shows, and moves focus there so keyboard and screen-reader users follow. */
export function show(...children) {
  const main = document.getElementById('main')
  main.replaceChildren()
  append(main, children)
  main.focus({ preventScroll: true })
}

export function table(headings, rows) {
  return h('table', {}, h('thead', {}, h('tr', {}, headings.map((x) => h('th', { scope: 'col' }, x)))), h('tbody', {}, rows))
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** Times as the API gives them (UTC, RFC 3339), trimmed to the second: unambiguous across time zones. */
export function formatTime(iso) {
  return iso === null || iso === undefined ? '—' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

export function stateBadge(state) {
  return h('span', { class: `state-${state}` }, state)
}

/** The link to one session or artifact; names keep their slashes, each segment encoded. */
export function sessionHref(sid) {
  return `#/sessions/${encodeURIComponent(sid)}`
}

export function artifactHref(sid, name, version) {
  const path = `#/sessions/${encodeURIComponent(sid)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`
  return version === undefined ? path : `${path}?version=${version}`
}
