/**
 * Checks answers against the OpenAPI document the daemon serves (GET /api/openapi.json), so the document cannot
 * drift from the code: the fixture's `call()` runs every answer the API tests receive through `checkAnswer`.
 *
 * - the document itself must be a valid OpenAPI 3.0 document (@seriousme/openapi-schema-validator, the JSON Schema
 *   of the OpenAPI Initiative);
 * - the answer's status must be documented for the operation (path + method), with its content type;
 * - a JSON body must match the documented schema (Ajv, with OpenAPI 3.0's `nullable`).
 */
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

// ajv-formats is CommonJS: its default export arrives wrapped under ESM + NodeNext
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type OpenApiDoc = any

export interface Answer {
  method: string
  /** Path with the query string, e.g. '/api/v1/queues?tenant=ta'. */
  path: string
  status: number
  contentType: string | null
  body: unknown
  text: string
}

const docs = new Map<string, Promise<OpenApiDoc>>()

/** The document a server serves, fetched and validated once per server. Throws when it is not valid OpenAPI. */
export function documentOf(url: string): Promise<OpenApiDoc> {
  let p = docs.get(url)
  if (!p) {
    p = (async () => {
      const res = await fetch(url + '/api/openapi.json')
      const doc = (await res.json()) as OpenApiDoc
      const problems = await validateDocument(doc)
      if (problems.length)
        throw new Error(`the served OpenAPI document is not valid: ${problems.slice(0, 5).join('; ')}`)
      return doc
    })()
    docs.set(url, p)
  }
  return p
}

/** Problems a standard OpenAPI validator finds in `doc` (empty: valid). */
export async function validateDocument(doc: OpenApiDoc): Promise<string[]> {
  const v = new Validator()
  const res = await v.validate(structuredClone(doc))
  if (res.valid) return []
  const errors = (res.errors ?? []) as unknown as { instancePath?: string; message?: string }[] | string
  return typeof errors === 'string'
    ? [errors]
    : errors.map((e) => `${e.instancePath ?? ''} ${e.message ?? JSON.stringify(e)}`)
}

const ajv = new Ajv({ strict: false, allErrors: true })
addFormats(ajv)
ajv.addFormat('binary', true)
const compiled = new WeakMap<object, ValidateFunction>()

/** The operation of the document for a concrete method and path (undefined: the path is not an API operation). */
export function operationFor(
  doc: OpenApiDoc,
  method: string,
  path: string,
): { template: string; op: OpenApiDoc } | undefined {
  const pathname = path.split('?')[0]
  for (const [template, item] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
    const re = new RegExp('^' + template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[A-Za-z]+\}/g, '[^/]+') + '$')
    if (!re.test(pathname)) continue
    const op = item[method.toLowerCase()]
    if (op) return { template, op }
  }
  return undefined
}

/** The schema with its local `#/components/...` references replaced by what they point at. */
function inlineRefs(doc: OpenApiDoc, schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((s) => inlineRefs(doc, s))
  if (typeof schema !== 'object' || schema === null) return schema
  const ref = (schema as { $ref?: unknown }).$ref
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    const target = ref
      .slice(2)
      .split('/')
      .reduce<OpenApiDoc>((o, k) => o?.[k], doc)
    if (target === undefined) throw new Error(`the OpenAPI document has a dangling reference ${ref}`)
    return inlineRefs(doc, target)
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, inlineRefs(doc, v)]))
}

/** Why `answer` does not match the document (undefined: it does, or the path is not an operation of it). */
export function answerProblem(doc: OpenApiDoc, answer: Answer): string | undefined {
  const found = operationFor(doc, answer.method, answer.path)
  if (!found) return undefined // not an API operation (web pages, /metrics, an unknown path or method)
  const where = `${answer.method} ${found.template} → ${answer.status}`
  const response = found.op.responses[String(answer.status)] ?? found.op.responses.default
  if (!response) return `${where}: status not documented (documented: ${Object.keys(found.op.responses).join(', ')})`
  const content = response.content as Record<string, { schema?: object }> | undefined
  if (!content || Object.keys(content).length === 0) {
    return answer.text === ''
      ? undefined
      : `${where}: documented without a body, but the answer has one: ${answer.text.slice(0, 100)}`
  }
  const type = (answer.contentType ?? '').split(';')[0].trim()
  const media = content[type]
  if (!media) return `${where}: content type '${type}' not documented (documented: ${Object.keys(content).join(', ')})`
  if (type !== 'application/json') return undefined
  if (!media.schema) return `${where}: no schema documented for the JSON body`
  let validateFn = compiled.get(media.schema)
  if (!validateFn) {
    validateFn = ajv.compile(inlineRefs(doc, media.schema) as object)
    compiled.set(media.schema, validateFn)
  }
  if (validateFn(answer.body)) return undefined
  const errs = (validateFn.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`)
  return `${where}: body does not match the documented schema: ${errs.join('; ')}; body: ${answer.text.slice(0, 300)}`
}

/** Throws when `answer`, received from the server at `url`, does not match that server's document. */
export async function checkAnswer(url: string, answer: Answer): Promise<void> {
  if (answer.path.split('?')[0] === '/api/openapi.json') return
  const doc = await documentOf(url)
  const problem = answerProblem(doc, answer)
  if (problem) throw new Error(`answer does not match the OpenAPI document: ${problem}`)
}
