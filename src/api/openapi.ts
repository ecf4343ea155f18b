/** The OpenAPI 3 description, generated from the route table (so it cannot drift from what the server does). */
import { openApiPath, type Route } from './router.js'

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
}

const ACCESS_TEXT: Record<Route['access'], string> = {
  public: 'No authentication.',
  any: 'Any account; the answer is narrowed to what the account may see.',
  operator: 'Operators only.',
  admin: "Operators, and tenant administrators of the target's tenant.",
  member: "Operators, tenant administrators of the queue's tenant, and agents who are members of the queue.",
  self: "Operators, tenant administrators of the agent's tenant, and the agent itself.",
}

export function buildOpenApi(routes: Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) {
    const p = openApiPath(r.path)
    const params = [
      ...[...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } })),
      ...(r.query ?? []).map((q) => ({ name: q.name, in: 'query', required: !!q.required, schema: q.schema, ...(q.description ? { description: q.description } : {}) })),
    ]
    const ok = r.response ?? { status: r.method === 'POST' && r.id.endsWith('create') ? 201 : 200, description: 'OK' }
    const responses: Record<string, unknown> = {
      [String(ok.status)]: {
        description: ok.description,
        content: Object.fromEntries((ok.contentTypes ?? ['application/json']).map((ct) => [ct, ok.schema ? { schema: ok.schema } : {}])),
      },
      '400': { description: 'Validation error naming the field', content: { 'application/json': { schema: ERROR_SCHEMA } } },
      ...(r.access === 'public' ? {} : { '401': { description: 'Not authenticated' }, '403': { description: 'Not allowed for this account' } }),
      '404': { description: 'Not found (also: an entity of another tenant)' },
      '409': { description: 'Conflict (duplicate, in use)' },
    }
    paths[p] ??= {}
    paths[p]![r.method.toLowerCase()] = {
      operationId: r.id,
      tags: [r.tag],
      summary: r.summary,
      description: [r.description, `Access: ${ACCESS_TEXT[r.access]}`].filter(Boolean).join('\n\n'),
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      ...(r.raw ? { requestBody: { required: true, content: Object.fromEntries(r.raw.contentTypes.map((ct) => [ct, { schema: { type: 'string', format: 'binary' } }])) } } : {}),
      ...(r.access === 'public' ? { security: [] } : {}),
      responses,
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'koplus control API', version, description: 'The daemon\'s HTTP API. Errors: `{ "error": { "code", "field"?, "message" } }`. See docs/api.md.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token (the CLI reads <data dir>/cli-token)' },
        session: { type: 'apiKey', in: 'cookie', name: 'koplus_session', description: 'Web session; state-changing requests also need the X-CSRF-Token header' },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  }
}
