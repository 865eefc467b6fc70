// Where the objects live: `s3://[accessKeyId:secretAccessKey@]bucket[/prefix]?endpoint=…&region=…`.
// One string names a bucket on any S3-compatible server (RGW, MinIO, AWS); without keys in it, the AWS
// SDK's own chain (AWS_ACCESS_KEY_ID…, a profile, an instance role) provides them.

export interface S3Location {
  bucket: string
  /** Key prefix without leading or trailing slashes; '' for the bucket's root. */
  prefix: string
  /** An S3-compatible server's base URL; absent for AWS itself. */
  endpoint?: string
  region: string
  credentials?: { accessKeyId: string; secretAccessKey: string }
}

const KNOWN_PARAMETERS = new Set(['endpoint', 'region'])
// S3's bucket naming rules (3-63 characters, lowercase letters, digits, dots and hyphens, a letter or
// digit at both ends); virtual-host-incompatible names are refused by servers anyway.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/
const DEFAULT_REGION = 'us-east-1'

export class InvalidS3Location extends Error {
  constructor(reason: string) {
    super(`object store URL: ${reason} (expected s3://bucket/prefix?endpoint=http://host:port&region=…)`)
    this.name = 'InvalidS3Location'
  }
}

export function parseS3Location(text: string): S3Location {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new InvalidS3Location('not a URL')
  }
  if (url.protocol !== 's3:') throw new InvalidS3Location(`scheme ${url.protocol} is not s3:`)
  const bucket = url.hostname
  if (!BUCKET_NAME.test(bucket)) throw new InvalidS3Location(`"${bucket}" is not a valid bucket name`)
  if (url.port !== '') throw new InvalidS3Location('a port belongs in the endpoint parameter, not after the bucket')
  for (const name of url.searchParams.keys()) {
    if (!KNOWN_PARAMETERS.has(name)) throw new InvalidS3Location(`unknown parameter "${name}"`)
  }
  // Checked on the text as written: URL resolves dot segments (even %2E%2E) away, silently moving the prefix.
  const rawPath = /^s3:\/\/[^/?#]*([^?#]*)/i.exec(text)?.[1] ?? ''
  if (rawPath.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment))) throw new InvalidS3Location('the prefix has a . or .. segment')
  const prefix = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, '')
  const location: S3Location = { bucket, prefix, region: url.searchParams.get('region') ?? DEFAULT_REGION }
  const endpoint = url.searchParams.get('endpoint')
  if (endpoint !== null) location.endpoint = parseEndpoint(endpoint)
  if (url.username !== '' || url.password !== '') {
    if (url.username === '' || url.password === '') throw new InvalidS3Location('give both an access key id and a secret, or neither')
    location.credentials = { accessKeyId: decodeURIComponent(url.username), secretAccessKey: decodeURIComponent(url.password) }
  }
  return location
}

function parseEndpoint(text: string): string {
  let endpoint: URL
  try {
    endpoint = new URL(text)
  } catch {
    throw new InvalidS3Location(`endpoint "${text}" is not a URL`)
  }
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') throw new InvalidS3Location(`endpoint "${text}" is not http(s)`)
  if (endpoint.pathname !== '/' || endpoint.search !== '' || endpoint.username !== '') {
    throw new InvalidS3Location(`endpoint "${text}" must be a bare scheme://host:port`)
  }
  return endpoint.origin
}

/** The URL again without its secret, for logs and reports. */
export function describeS3Location(location: S3Location): string {
  const path = location.prefix === '' ? '' : `/${location.prefix}`
  const endpoint = location.endpoint === undefined ? '' : ` at ${location.endpoint}`
  return `s3://${location.bucket}${path}${endpoint}`
}
