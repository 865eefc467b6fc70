// The overview page: readiness, counts, what is incomplete or failed, the latest failures, canary, GC and scrub.
import { getJson, request } from './api.js'
import { formatBytes, formatTime, h, sessionHref, show, table } from './dom.js'
import { entryTable, latestEntries, logEnd } from './entries.js'

function card(label, value, cls = '') {
  return h('div', { class: `card ${cls}` }, h('b', {}, value), label)
}

function sessionLinks(ids) {
  if (ids.length === 0) return h('p', { class: 'muted' }, 'none')
  return h('ul', {}, ids.map((id) => h('li', {}, h('a', { href: sessionHref(id) }, id))))
}

function readiness(health) {
  const rows = Object.entries(health.checks).flatMap(([name, checks]) => checks.map((check) => h('tr', {},
    h('td', {}, name), h('td', { class: `status-${check.status}` }, check.status),
    h('td', {}, check.observedValue === undefined ? '' : `${check.observedValue}${check.observedUnit === undefined ? '' : ` ${check.observedUnit}`}`),
    h('td', {}, check.output ?? ''))))
  return [h('p', {}, 'Readiness: ', h('span', { class: `status-${health.status}` }, health.status), ` (version ${health.version})`),
    table(['check', 'status', 'value', 'output'], rows)]
}

function background(status) {
  const scrub = status.lastScrub
  const gc = status.lastGc
  const canary = status.canary
  return table(['task', 'last run', 'result'], [
    h('tr', {}, h('td', {}, 'canary'), h('td', {}, formatTime(canary?.at)),
      h('td', {}, canary === null ? 'not run yet' : canary.ok ? h('span', { class: 'good' }, `ok, ${canary.latencyMs} ms`) : h('span', { class: 'bad' }, canary.error ?? 'failed'))),
    h('tr', {}, h('td', {}, 'scrub'), h('td', {}, formatTime(scrub?.finishedAt)),
      h('td', {}, scrub === null ? 'not run yet' : [h('span', { class: scrub.ok ? 'good' : 'bad' }, scrub.ok ? 'ok' : 'problems'),
        `: ${scrub.checkedObjects} objects, ${formatBytes(scrub.bytes)}; missing ${scrub.missing}, corrupt ${scrub.corrupt}, orphaned ${scrub.orphaned}, repaired ${scrub.repaired}`],
      status.scrubRunning ? ' (running)' : '')),
    h('tr', {}, h('td', {}, 'garbage collection'), h('td', {}, formatTime(gc?.finishedAt)),
      h('td', {}, gc === null ? 'not run yet' : [h('span', { class: gc.ok ? 'good' : 'bad' }, gc.ok ? 'ok' : gc.error ?? 'failed'),
        `: reclaimed ${gc.reclaimedObjects} objects, ${formatBytes(gc.reclaimedBytes)} of ${gc.examinedObjects} examined`],
      status.gc.running ? ' (running)' : '')),
  ])
}

export async function overviewPage() {
  const [status, health] = await Promise.all([
    getJson('/v1/status'),
    request('/health/ready', { okStatuses: [503] }).then((response) => response.json()),
  ])
  const failures = await latestEntries({ state: 'failed' }, logEnd(status), 10)
  const c = status.commits
  const s = status.sessions
  show(
    h('h1', {}, `${status.service} ${status.version}`),
    h('p', { class: 'muted' }, `phase ${status.phase}, up since ${formatTime(status.startedAt)}`),
    status.unrecoveredFault === null ? null : h('p', { class: 'problem', role: 'alert' }, h('code', {}, status.unrecoveredFault.code), ' ', status.unrecoveredFault.detail),
    readiness(health),
    h('h2', {}, 'Log entries'),
    h('div', { class: 'cards' }, card('committed', c.committed, 'good'), card('failed', c.failed, c.failed > 0 ? 'bad' : ''),
      card('aborted', c.aborted, c.aborted > 0 ? 'bad' : ''), card('pending', c.pending), card('total', c.total)),
    h('h2', {}, 'Sessions'),
    h('div', { class: 'cards' }, card('open', s.open), card('complete', s.complete, 'good'), card('incomplete', s.incomplete, s.incomplete > 0 ? 'bad' : ''),
      card('failed', s.failed, s.failed > 0 ? 'bad' : ''), card('closed by deadline', s.closedByDeadline, s.closedByDeadline > 0 ? 'warn' : ''), card('deleted', s.deleted)),
    h('h2', {}, 'Incomplete sessions (most recent)'), sessionLinks(s.incompleteIds.slice(0, 20)),
    h('h2', {}, 'Failed sessions (most recent)'), sessionLinks(s.failedIds.slice(0, 20)),
    h('h2', {}, 'Latest failed entries'),
    failures.length === 0 ? h('p', { class: 'muted' }, 'none') : entryTable(failures),
    h('h2', {}, 'Canary, scrub and garbage collection'), background(status),
    status.backgroundErrors.length === 0 ? null : [h('h2', {}, 'Background errors'), table(['work', 'code', 'detail', 'since', 'count'],
      status.backgroundErrors.map((e) => h('tr', {}, h('td', {}, e.path), h('td', {}, h('code', { class: 'bad' }, e.code)), h('td', {}, e.detail), h('td', {}, formatTime(e.since)), h('td', {}, e.count))))],
    h('h2', {}, 'Storage'),
    h('p', {}, `${status.storage.objectCount} objects, ${formatBytes(status.storage.objectBytes)}; database ${formatBytes(status.storage.databaseBytes)}; free ${formatBytes(status.storage.freeBytes)} of ${formatBytes(status.storage.totalBytes)}`),
  )
}
