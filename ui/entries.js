// Log entries (GET /v1/commits, /v1/events): how one reads in a table, and the latest ones matching a filter.
import { getJson, withQuery } from './api.js'
import { artifactHref, formatBytes, formatTime, h, sessionHref, stateBadge, table } from './dom.js'

export const ENTRY_STATES = ['pending', 'committed', 'failed', 'aborted']
export const ENTRY_KINDS = ['artifacts', 'expect', 'close', 'session', 'delete', 'expire']

/** What the entry did, in a few words. */
function summary(entry) {
  switch (entry.kind) {
    case 'artifacts':
      return entry.artifacts.map((a, i) => [i > 0 ? ', ' : '', a.version === null
        ? a.name
        : h('a', { href: artifactHref(entry.sessionId, a.name, a.version) }, `${a.name} v${a.version}`), a.size === null ? '' : ` (${formatBytes(a.size)})`])
    case 'expect':
      return `expect +[${entry.expect?.add.join(', ') ?? ''}] −[${entry.expect?.remove.join(', ') ?? ''}]`
    case 'close': {
      const close = entry.close
      if (close === null) return 'close'
      const missing = close.missing.length > 0 ? `, missing ${close.missing.join(', ')}` : ''
      const error = close.error === null ? '' : `, writer error ${close.error.type}: ${close.error.message}`
      return `closed ${close.state} by ${close.closedBy}${missing}${error}`
    }
    case 'session': {
      const s = entry.session
      if (s === null) return 'session'
      const parts = [s.created ? 'created' : 'changed']
      if (s.deadline !== null) parts.push(`deadline ${formatTime(s.deadline)}`)
      if (s.hold !== undefined) parts.push(s.hold ? 'hold on' : 'hold off')
      if (s.retention !== undefined) parts.push(`retention ${JSON.stringify(s.retention)}`)
      return parts.join(', ')
    }
    case 'delete':
      return entry.delete === null ? 'delete' : `deleted ${entry.delete.target}${entry.delete.name === null ? '' : ` ${entry.delete.name}`} (${entry.delete.removedVersions} versions) by ${entry.delete.by}`
    case 'expire':
      return entry.expire === null ? 'expire' : `expired ${entry.expire.versions.map((v) => `${v.name} v${v.version}`).join(', ')}`
    default:
      return entry.kind
  }
}

/** The error of a failed or aborted entry: its code as the API gives it, the detail, and the facts (step, errno, field…). */
export function entryError(error) {
  if (error === null || error === undefined) return ''
  const facts = Object.entries(error.facts ?? {}).map(([key, value]) => h('span', { class: 'mono' }, ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`))
  return h('div', {}, h('code', { class: 'bad' }, error.code), ' ', error.detail, facts)
}

export function entryRow(entry, { showSession = true } = {}) {
  return h('tr', { 'data-seq': entry.seq },
    h('td', { class: 'mono' }, entry.seq),
    h('td', {}, formatTime(entry.finishedAt ?? entry.createdAt)),
    showSession ? h('td', {}, h('a', { href: sessionHref(entry.sessionId) }, entry.sessionId)) : null,
    h('td', {}, entry.kind),
    h('td', {}, stateBadge(entry.state)),
    h('td', {}, summary(entry), entry.message === null ? '' : h('div', { class: 'muted' }, entry.message), entryError(entry.error)))
}

export function entryTable(entries, options = {}) {
  const showSession = options.showSession ?? true
  const headings = ['seq', 'time', ...(showSession ? ['session'] : []), 'kind', 'state', 'what / why']
  return table(headings, entries.map((entry) => entryRow(entry, { showSession })))
}

/**
 * The newest `count` entries matching `filter`, newest first. The log lists oldest first from a seq, so this
 * reads windows back from the end (`endSeq`), each eight times wider, until it has enough or reaches seq 0.
 */
export async function latestEntries(filter, endSeq, count) {
  let width = 256
  for (;;) {
    const since = Math.max(0, endSeq - width)
    const found = []
    let cursor
    do {
      const page = await getJson(withQuery('/v1/commits', { ...filter, since, cursor, limit: 1000 }))
      found.push(...page.commits)
      cursor = page.nextCursor ?? undefined
    } while (cursor !== undefined && found.length < 5000)
    if (found.length >= count || since === 0 || found.length >= 5000) return found.slice(-count).reverse()
    width *= 8
  }
}

/** The log's end as far as /v1/status knows it: the newest committed or failed entry. */
export function logEnd(status) {
  return Math.max(status.lastCommit?.seq ?? 0, status.lastFailure?.seq ?? 0)
}
