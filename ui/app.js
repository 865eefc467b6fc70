// The web view's entry point: hash routes to pages, the token prompt, and errors shown with the API's own code.
import { ApiError, setToken, token, whenUnauthorized } from './api.js'
import { artifactPage } from './artifact.js'
import { commitsPage, livePage } from './commits.js'
import { h, show } from './dom.js'
import { overviewPage } from './overview.js'
import { sessionPage, sessionsPage } from './sessions.js'

/** Aborted when the route changes, so a live stream or slow load of the page left behind stops. */
let current = new AbortController()

function route(path, query, signal) {
  const parts = path.split('/').filter((part) => part !== '').map(decodeURIComponent)
  if (parts.length === 0) return overviewPage()
  if (parts[0] === 'sessions' && parts.length === 1) return sessionsPage(query)
  if (parts[0] === 'sessions' && parts.length === 2) return sessionPage(parts[1])
  if (parts[0] === 'sessions' && parts[2] === 'artifacts' && parts.length > 3) return artifactPage(parts[1], parts.slice(3).join('/'), query)
  if (parts[0] === 'commits') return commitsPage(query)
  if (parts[0] === 'live') return livePage(query, signal)
  show(h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/' }, 'Overview')))
  return undefined
}

function markNavigation(path) {
  const section = `#/${path.split('/').filter((p) => p !== '')[0] ?? ''}`
  for (const link of document.querySelectorAll('nav a')) {
    if (link.getAttribute('href') === section) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
}

async function render() {
  current.abort()
  current = new AbortController()
  const { signal } = current
  const hash = location.hash.replace(/^#/, '') || '/'
  const [path, search = ''] = hash.split('?')
  markNavigation(path)
  document.getElementById('forget-token').hidden = token() === null
  try {
    await route(path, new URLSearchParams(search), signal)
  } catch (error) {
    if (signal.aborted) return
    if (error instanceof ApiError) {
      show(h('h1', {}, 'The API refused'), h('p', { class: 'problem', role: 'alert' }, `HTTP ${error.status} `, h('code', {}, error.code), ' ', error.detail))
    } else {
      show(h('h1', {}, 'Something went wrong'), h('p', { class: 'problem', role: 'alert' }, String(error?.message ?? error)))
    }
  }
}

function askForToken() {
  const form = document.getElementById('token-form')
  form.hidden = false
  document.getElementById('token-input').focus()
}

document.getElementById('token-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const input = document.getElementById('token-input')
  setToken(input.value.trim())
  input.value = ''
  event.target.hidden = true
  void render()
})
document.getElementById('forget-token').addEventListener('click', () => {
  setToken(null)
  void render()
})
whenUnauthorized(askForToken)
window.addEventListener('hashchange', () => void render())
void render()
