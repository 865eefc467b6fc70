// The REST API client: a bearer token from sessionStorage (never in a URL), problem+json errors kept as the API gives them.
const TOKEN_KEY = 'artifact-ledger.token'

export function token() {
  return sessionStorage.getItem(TOKEN_KEY)
}

export function setToken(value) {
  if (value === null) sessionStorage.removeItem(TOKEN_KEY)
  else sessionStorage.setItem(TOKEN_KEY, value)
}

export function authHeaders() {
  const value = token()
  return value === null ? {} : { authorization: `Bearer ${value}` }
}

/** An answer that was not 2xx: the problem's `code` and `detail` as sent (or the bare status when the body is no problem). */
export class ApiError extends Error {
  constructor(status, body) {
    const code = typeof body?.code === 'string' ? body.code : `http_${status}`
    super(`${code}: ${typeof body?.detail === 'string' ? body.detail : `HTTP ${status}`}`)
    this.status = status
    this.code = code
    this.detail = typeof body?.detail === 'string' ? body.detail : ''
    this.body = body
  }
}

/** Called on a 401, so the page can ask for a token; set by app.js. */
let onUnauthorized = () => {}
export function whenUnauthorized(callback) {
  onUnauthorized = callback
}

async function errorOf(response) {
  let body = null
  if (/json/.test(response.headers.get('content-type') ?? '')) body = await response.json().catch(() => null)
  if (response.status === 401) onUnauthorized()
  return new ApiError(response.status, body)
}

/** GET a path; `accept` picks the answers that are not errors (health answers 503 with a JSON body). */
export async function request(path, { signal, okStatuses = [] } = {}) {
  const response = await fetch(path, { headers: authHeaders(), signal, cache: 'no-store' })
  if (!response.ok && !okStatuses.includes(response.status)) throw await errorOf(response)
  return response
}

export async function getJson(path, options) {
  return (await request(path, options)).json()
}

/** /v1/… with a query built from an object; empty values are left out. */
export function withQuery(path, query) {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value))
  const text = params.toString()
  return text === '' ? path : `${path}?${text}`
}

export function artifactPath(sid, name) {
  return `/v1/sessions/${encodeURIComponent(sid)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`
}
