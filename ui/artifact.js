// One artifact: its versions, the content shown as text (never as HTML), binary offered for download, a line diff.
import { artifactPath, getJson, request } from './api.js'
import { artifactHref, formatBytes, formatTime, h, sessionHref, show, table } from './dom.js'
import { lineDiff } from './diff.js'

/** Past this size the content is offered for download rather than shown. */
const MAX_SHOWN_BYTES = 2 * 1024 * 1024

export function isJson(mediaType) {
  return /^application\/(.+\+)?json\b/i.test(mediaType)
}

export function isText(mediaType) {
  return /^text\//i.test(mediaType) || isJson(mediaType) || /^application\/(.+\+)?(xml|yaml|x-ndjson|javascript)\b/i.test(mediaType)
}

async function versionBytes(sid, name, version) {
  const response = await request(`${artifactPath(sid, name)}?version=${version}`)
  return new Uint8Array(await response.arrayBuffer())
}

/** The text to show: JSON re-indented, other text decoded as UTF-8 (bad bytes shown as U+FFFD). */
function readable(bytes, mediaType) {
  const text = new TextDecoder('utf-8').decode(bytes)
  if (!isJson(mediaType)) return text
  try {
    return JSON.stringify(JSON.parse(text), null, 2)
  } catch {
    return text
  }
}

function downloadButton(bytes, mediaType, fileName) {
  return h('button', { type: 'button', onclick: () => {
    const url = URL.createObjectURL(new Blob([bytes], { type: mediaType }))
    const link = h('a', { href: url, download: fileName })
    document.body.append(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(url), 10_000)
  } }, `Download ${fileName} (${formatBytes(bytes.byteLength)})`)
}

function diffView(before, after) {
  const lines = lineDiff(before, after)
  if (lines === null) return h('p', { class: 'muted' }, 'These versions are too large to compare here.')
  const changed = lines.filter((line) => line.op !== ' ').length
  return [h('p', {}, changed === 0 ? 'No line differs.' : `${changed} lines differ.`),
    h('pre', { 'aria-label': 'line diff' }, lines.map((line) => h('span', { class: line.op === '+' ? 'diff-add' : line.op === '-' ? 'diff-del' : '' }, `${line.op} ${line.text}\n`)))]
}

export async function artifactPage(sid, name, query) {
  const { versions } = await getJson(`${artifactPath(sid, name)}?versions`)
  const readableVersions = versions.filter((v) => v.removed === undefined)
  const latest = readableVersions[readableVersions.length - 1]
  const wanted = Number(query.get('version') ?? latest?.version)
  const current = versions.find((v) => v.version === wanted)
  const header = [
    h('p', {}, h('a', { href: sessionHref(sid) }, `← session ${sid}`)),
    h('h1', {}, h('code', {}, name)),
    table(['version', 'size', 'sha256', 'media type', 'committed', 'commit'], versions.map((v) => h('tr', { 'aria-current': v.version === wanted ? 'true' : null },
      h('td', {}, v.removed === undefined ? h('a', { href: artifactHref(sid, name, v.version) }, `v${v.version}`) : `v${v.version} (${v.removed.kind})`),
      h('td', {}, formatBytes(v.size)), h('td', { class: 'digest' }, v.sha256), h('td', {}, v.mediaType), h('td', {}, formatTime(v.committedAt)),
      h('td', { class: 'mono' }, `seq ${v.seq}`)))),
  ]
  if (current === undefined || current.removed !== undefined) {
    show(header, h('p', { class: 'muted' }, current === undefined ? 'No readable version.' : `Version ${current.version} was removed (${current.removed.kind}).`))
    return
  }
  const bytes = await versionBytes(sid, name, current.version)
  const fileName = name.split('/').pop()
  const content = !isText(current.mediaType) || bytes.byteLength > MAX_SHOWN_BYTES
    ? h('p', {}, `${current.mediaType} is not shown here. `, downloadButton(bytes, current.mediaType, fileName))
    : [h('pre', { tabindex: '0', 'aria-label': `content of version ${current.version}` }, readable(bytes, current.mediaType)), downloadButton(bytes, current.mediaType, fileName)]
  const diffTarget = h('div', {})
  const others = readableVersions.filter((v) => v.version !== current.version && isText(v.mediaType) && v.size <= MAX_SHOWN_BYTES)
  const diffForm = !isText(current.mediaType) || others.length === 0 ? null : h('form', { class: 'filters', onsubmit: async (event) => {
    event.preventDefault()
    const other = Number(new FormData(event.target).get('against'))
    const before = versions.find((v) => v.version === other)
    diffTarget.replaceChildren(h('p', {}, 'Comparing…'))
    let older
    try {
      older = readable(await versionBytes(sid, name, other), before.mediaType)
    } catch (error) {
      diffTarget.replaceChildren(h('p', { class: 'problem', role: 'alert' }, h('code', {}, error.code ?? 'error'), ' ', error.detail ?? String(error.message ?? error)))
      return
    }
    const newer = readable(bytes, current.mediaType)
    const [from, to] = other < current.version ? [older, newer] : [newer, older]
    diffTarget.replaceChildren(h('h3', {}, `v${Math.min(other, current.version)} → v${Math.max(other, current.version)}`), ...[diffView(from, to)].flat())
  } },
  h('label', {}, 'Compare with', h('select', { name: 'against' }, others.map((v) => h('option', { value: v.version }, `v${v.version}`)))),
  h('button', { type: 'submit' }, 'Show diff'))
  show(header, h('h2', {}, `Version ${current.version}`), content, diffForm === null ? null : [h('h2', {}, 'Diff'), diffForm, diffTarget])
}
