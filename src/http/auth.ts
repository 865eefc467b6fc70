// Bearer-token auth: token formats, scope per route (one table), the onRequest check, and the safe-exposure rule.
import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { BlockList, isIP } from 'node:net'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ConfigError, type Config } from '../config.js'
import { Forbidden, Unauthorized } from '../domain/errors.js'

export const SCOPES = ['read', 'write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** A configured token: only its SHA-256 is kept, never the token itself. */
export interface AuthToken {
  name: string
  sha256: Buffer
  scopes: ReadonlySet<Scope>
}

export interface AuthSettings {
  tokens: readonly AuthToken[]
  /** `/metrics` needs a `read` token instead of being public. */
  metricsRequireToken?: boolean
}

/** What a route needs: no token, a token with a scope, or (for /metrics) whatever the settings say. */
type Need = 'public' | 'metrics' | Scope

export const REALM = 'artifact-ledger'

// RFC 6750 b64token: what may follow "Bearer " in a header, so a configured token can always be sent.
const B64TOKEN = '[A-Za-z0-9\\-._~+/]+=*'
const NAME = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}'
const ENV_ENTRY = new RegExp(`^(?:(${NAME})=)?(${B64TOKEN}):([a-z+]+)$`)
const FILE_NAME = new RegExp(`^${NAME}$`)
const FILE_TOKEN = new RegExp(`^${B64TOKEN}$`)
const SHA256_ENTRY = /^sha256:([0-9a-fA-F]{64})$/
const BEARER = new RegExp(`^Bearer +(${B64TOKEN}) *$`, 'i')

/** admin ⊇ write ⊇ read. */
const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3 }

function isScope(word: string): word is Scope {
  return (SCOPES as readonly string[]).includes(word)
}

function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest()
}

/** Scope names are not echoed: a misplaced field could be the secret. */
function parseScopes(words: string[], where: string): Set<Scope> {
  const scopes = new Set<Scope>()
  for (const word of words) {
    if (!isScope(word)) throw new ConfigError(`invalid configuration: ${where} has an unknown scope (use read, write or admin)`)
    scopes.add(word)
  }
  return scopes
}

/** AUTH_TOKENS: `name=token:scope+scope` or `token:scope`, comma-separated. Unnamed tokens are `token-<position>`. */
export function parseEnvTokens(text: string): AuthToken[] {
  const entries = text.split(',').map((entry) => entry.trim())
  if (entries.every((entry) => entry === '')) throw new ConfigError('invalid configuration: AUTH_TOKENS is set but holds no token')
  const tokens: AuthToken[] = []
  entries.forEach((entry, index) => {
    if (entry === '') return
    const where = `AUTH_TOKENS entry ${index + 1}`
    const match = ENV_ENTRY.exec(entry)
    if (match === null) {
      throw new ConfigError(`invalid configuration: ${where} is not name=token:scope+scope (token characters: A-Z a-z 0-9 - . _ ~ + / and trailing =)`)
    }
    const [, name, token = '', scopeText = ''] = match
    const label = name === undefined ? where : `${where} ("${name}")`
    tokens.push({ name: name ?? `token-${index + 1}`, sha256: hashToken(token), scopes: parseScopes(scopeText.split('+'), label) })
  })
  return tokens
}

/** AUTH_TOKENS_FILE: `name sha256:<64 hex> scope,scope` or `name <token> scope,scope` per line; `#` comments. */
export function parseTokenFile(text: string, source: string): AuthToken[] {
  const tokens: AuthToken[] = []
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = rawLine.replace(/#.*$/, '').trim()
    if (line === '') return
    const where = `AUTH_TOKENS_FILE ${source} line ${index + 1}`
    const fields = line.split(/\s+/)
    const [name = '', secret = '', scopeText = ''] = fields
    if (fields.length !== 3 || !FILE_NAME.test(name)) {
      throw new ConfigError(`invalid configuration: ${where} is not "name sha256:<64 hex> scope,scope" or "name <token> scope,scope"`)
    }
    const label = `${where} ("${name}")`
    const hashed = SHA256_ENTRY.exec(secret)
    let sha256: Buffer
    if (hashed !== null) sha256 = Buffer.from(hashed[1] ?? '', 'hex')
    else if (secret.startsWith('sha256:')) throw new ConfigError(`invalid configuration: ${label} has a sha256: value that is not 64 hex digits`)
    else if (FILE_TOKEN.test(secret)) sha256 = hashToken(secret)
    else throw new ConfigError(`invalid configuration: ${label} has a token with characters outside A-Z a-z 0-9 - . _ ~ + / and trailing =`)
    tokens.push({ name, sha256, scopes: parseScopes(scopeText.split(','), label) })
  })
  if (tokens.length === 0) throw new ConfigError(`invalid configuration: AUTH_TOKENS_FILE ${source} holds no token`)
  return tokens
}

/** Two entries with one name would make the logs ambiguous; two with one token, its scopes. */
function assertDistinct(tokens: readonly AuthToken[]): void {
  const names = new Set<string>()
  const hashes = new Set<string>()
  for (const token of tokens) {
    if (names.has(token.name)) throw new ConfigError(`invalid configuration: token name "${token.name}" is configured twice`)
    const hex = token.sha256.toString('hex')
    if (hashes.has(hex)) throw new ConfigError(`invalid configuration: token "${token.name}" repeats the token of an earlier entry`)
    names.add(token.name)
    hashes.add(hex)
  }
}

/** Tokens from AUTH_TOKENS and AUTH_TOKENS_FILE together; an empty list means auth is off. */
export async function loadTokens(config: Pick<Config, 'authTokens' | 'authTokensFile'>): Promise<AuthToken[]> {
  const tokens: AuthToken[] = []
  if (config.authTokens !== undefined) tokens.push(...parseEnvTokens(config.authTokens))
  if (config.authTokensFile !== undefined) {
    const path = config.authTokensFile
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      const code = (error as { code?: unknown }).code
      throw new ConfigError(`invalid configuration: AUTH_TOKENS_FILE ${path} cannot be read (${typeof code === 'string' ? code : 'error'})`, { cause: error })
    }
    tokens.push(...parseTokenFile(text, path))
  }
  assertDistinct(tokens)
  return tokens
}

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true
  const family = isIP(host)
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is checked against the IPv4 rule by BlockList.
  return family === 4 ? loopback.check(host, 'ipv4') : family === 6 ? loopback.check(host, 'ipv6') : false
}

/** Secure default: no tokens is fine on loopback only, unless anonymous access is asked for by name. */
export function assertSafeExposure(config: Pick<Config, 'host' | 'allowAnonymous' | 'metricsRequireToken'>, tokens: readonly AuthToken[]): void {
  if (tokens.length > 0) return
  if (config.metricsRequireToken) {
    throw new ConfigError('METRICS_REQUIRE_TOKEN=true needs a token: set AUTH_TOKENS or AUTH_TOKENS_FILE')
  }
  if (!config.allowAnonymous && !isLoopbackHost(config.host)) {
    throw new ConfigError(`refusing to serve without tokens on ${config.host}: set AUTH_TOKENS or AUTH_TOKENS_FILE, or ALLOW_ANONYMOUS=true`)
  }
}

// The one table of what each route needs. Listed GET routes cover their HEAD too. Any other route:
// GET/HEAD needs `read`, any other method `write`. A request no route matched needs `read` (probing
// for routes takes a token) unless its path is listed, so a probe of a listed public path that is
// not served answers 404, not 401.
const ROUTE_NEEDS: ReadonlyArray<readonly [method: string, url: string, need: Need]> = [
  ['GET', '/health/live', 'public'],
  ['GET', '/health/ready', 'public'],
  ['GET', '/openapi.json', 'public'],
  // The web view's files hold no data: it loads without a token, then asks for one when the API answers 401.
  ['GET', '/ui', 'public'],
  ['GET', '/ui/', 'public'],
  ['GET', '/ui/:file', 'public'],
  ['GET', '/metrics', 'metrics'],
  ['POST', '/v1/verify', 'admin'],
  ['POST', '/v1/gc', 'admin'],
  ['DELETE', '/v1/sessions/:sid', 'admin'],
  ['DELETE', '/v1/sessions/:sid/artifacts/*', 'admin'],
]

/** The token each authenticated request came with: deletions record its name. */
const requestTokens = new WeakMap<FastifyRequest, AuthToken>()

/** Who asked, for the log: the token's name, or `anonymous` when auth is off. */
export function callerName(req: FastifyRequest): string {
  return requestTokens.get(req)?.name ?? 'anonymous'
}

/** For a field of a body that needs more than its route does (retention, hold): Forbidden without it. No-op when auth is off. */
export function assertCallerScope(req: FastifyRequest, needed: Scope, what: string): void {
  const token = requestTokens.get(req)
  if (token !== undefined && !grants(token.scopes, needed)) throw new Forbidden(`${what} needs the ${needed} scope`, { requiredScope: needed })
}

function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD'
}

export interface RouteMatch {
  /** false: no route matched and `url` is the request path (query excluded). */
  matched?: boolean
  metricsRequireToken?: boolean
}

/** The scope a request needs, or `undefined` when it needs no token. `url` is the route pattern, e.g. `/v1/sessions/:sid`. */
export function requiredScope(method: string, url: string, { matched = true, metricsRequireToken = false }: RouteMatch = {}): Scope | undefined {
  const asListed = method === 'HEAD' ? 'GET' : method
  const listed = ROUTE_NEEDS.find(([m, u]) => m === asListed && u === url)
  const need: Need = listed?.[2] ?? (!matched || isSafeMethod(method) ? 'read' : 'write')
  if (need === 'public') return undefined
  if (need === 'metrics') return metricsRequireToken ? 'read' : undefined
  return need
}

export function grants(scopes: ReadonlySet<Scope>, needed: Scope): boolean {
  for (const scope of scopes) if (RANK[scope] >= RANK[needed]) return true
  return false
}

/** Compares against every configured hash, without an early exit, so timing says nothing about which (if any) matched. */
export function findToken(tokens: readonly AuthToken[], presented: string): AuthToken | undefined {
  const digest = hashToken(presented)
  let found: AuthToken | undefined
  for (const token of tokens) {
    const equal = timingSafeEqual(digest, token.sha256)
    if (equal && found === undefined) found = token
  }
  return found
}

function challenge(reply: FastifyReply, error?: string, scope?: Scope): void {
  const params = [`realm="${REALM}"`]
  if (error !== undefined) params.push(`error="${error}"`)
  if (scope !== undefined) params.push(`scope="${scope}"`)
  reply.header('WWW-Authenticate', `Bearer ${params.join(', ')}`)
}

/** Adds the onRequest check; call before routes and the not-found handler are registered. */
export function registerAuth(app: FastifyInstance, settings: AuthSettings): void {
  const { tokens } = settings
  const metricsRequireToken = settings.metricsRequireToken ?? false
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const route = req.is404 ? undefined : req.routeOptions.url
    const needed = route === undefined
      ? requiredScope(req.method, req.url.split('?')[0] ?? '', { matched: false, metricsRequireToken })
      : requiredScope(req.method, route, { metricsRequireToken })
    if (needed === undefined) return
    const match = BEARER.exec(req.headers.authorization ?? '')
    if (match === null) {
      challenge(reply)
      throw new Unauthorized('this request needs a bearer token: Authorization: Bearer <token>')
    }
    const token = findToken(tokens, match[1] ?? '')
    if (token === undefined) {
      challenge(reply, 'invalid_token')
      throw new Unauthorized('the bearer token is not valid')
    }
    // Every later line of this request (rejections, "request completed") names the token, never its value.
    requestTokens.set(req, token)
    req.log = req.log.child({ token: token.name })
    reply.log = req.log
    if (!grants(token.scopes, needed)) {
      challenge(reply, 'insufficient_scope', needed)
      throw new Forbidden(`this request needs the ${needed} scope`, { requiredScope: needed })
    }
  })
}
