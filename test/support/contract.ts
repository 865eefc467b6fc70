// Every response the HTTP tests receive, checked against the checked-in openapi.yaml: the status is one
// the operation lists, the media type one it declares for that status, and a JSON body (application/json,
// problem+json, health+json) matches its schema. openapi-backend finds the operation; Ajv's draft 2020-12
// validator (OpenAPI 3.1's dialect) checks the body against the dereferenced document.
import { readFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import OpenAPIBackend, { type Document, type Operation } from 'openapi-backend'
import { parse } from 'yaml'

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020

export interface ObservedExchange {
  method: string
  /** The request URL as sent (path and query). */
  url: string
  statusCode: number
  contentType: string | undefined
  /** The body as sent, or undefined when it was a stream (its bytes are not checked, its status and type are). */
  body: string | Buffer | undefined
}

type ResponseObject = { content?: Record<string, { schema?: unknown }> }

const ARTIFACT_PATH = /^(\/v1\/sessions\/[^/?]+\/artifacts\/)([^?]+)(\?.*)?$/

let checker: Promise<ContractChecker> | undefined

/** The checker for openapi.yaml, made once per test file. */
export function contractChecker(): Promise<ContractChecker> {
  checker ??= ContractChecker.load(new URL('../../openapi.yaml', import.meta.url))
  return checker
}

export class ContractChecker {
  private readonly validators = new Map<unknown, ValidateFunction>()
  private readonly ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }))

  private constructor(private readonly api: OpenAPIBackend) {}

  static async load(file: URL): Promise<ContractChecker> {
    const definition = parse(readFileSync(file, 'utf8')) as Document
    // quick: openapi-backend's own document check knows OpenAPI 3.0 only; Redocly and Spectral lint this 3.1 document.
    const api = new OpenAPIBackend({ definition, strict: true, quick: true, validate: false })
    await api.init()
    return new ContractChecker(api)
  }

  /** What about this exchange the contract does not say; empty when it holds (or no operation is documented for it). */
  violations(exchange: ObservedExchange): string[] {
    const operation = this.operationOf(exchange)
    if (operation === undefined) return []
    const where = `${exchange.method} ${exchange.url} → ${exchange.statusCode} (${operation.operationId ?? '?'})`
    const responses = (operation.responses ?? {}) as Record<string, ResponseObject>
    const response = responses[String(exchange.statusCode)] ?? responses['default']
    if (response === undefined) return [`${where}: status ${exchange.statusCode} is not listed (lists ${Object.keys(responses).join(', ')})`]
    const declared = Object.keys(response.content ?? {})
    const mediaType = exchange.contentType?.split(';')[0]?.trim().toLowerCase()
    const bodyLength = exchange.body === undefined ? undefined : Buffer.byteLength(exchange.body)
    if (declared.length === 0) {
      return bodyLength !== undefined && bodyLength > 0 ? [`${where}: a body was sent where the contract declares none`] : []
    }
    if (exchange.method === 'HEAD') return []
    const media = declared.find((type) => type === mediaType) ?? declared.find((type) => type === '*/*')
    if (media === undefined) return [`${where}: Content-Type ${exchange.contentType ?? '(none)'} is not declared (declares ${declared.join(', ')})`]
    const schema = response.content?.[media]?.schema
    if (schema === undefined || !/json$/.test(media) || exchange.body === undefined) return []
    let value: unknown
    try {
      value = JSON.parse(exchange.body.toString())
    } catch {
      return [`${where}: the ${media} body is not JSON`]
    }
    const validate = this.validatorOf(schema)
    if (validate(value)) return []
    return [`${where}: the body does not match the schema: ${this.ajv.errorsText(validate.errors)}`]
  }

  private operationOf(exchange: ObservedExchange): Operation | undefined {
    // An artifact name spans path segments; the contract's {name} is one, with its slashes sent as %2F.
    const url = exchange.url.replace(ARTIFACT_PATH, (_all, head: string, name: string, query: string | undefined) => `${head}${name.replaceAll('/', '%2F')}${query ?? ''}`)
    const [path = '', query = ''] = url.split('?')
    // The contract's paths have no empty segment; openapi-backend would match /v1/sessions/ as /v1/sessions,
    // where the service routes it to /v1/sessions/{sid} with an empty id. Such paths are not the contract's.
    if (path.endsWith('/') || path.includes('//')) return undefined
    return this.api.matchOperation({ method: exchange.method.toLowerCase(), path, query, headers: {} })
  }

  private validatorOf(schema: unknown): ValidateFunction {
    let validate = this.validators.get(schema)
    if (validate === undefined) {
      validate = this.ajv.compile(schema as object)
      this.validators.set(schema, validate)
    }
    return validate
  }
}
