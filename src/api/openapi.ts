/**
 * The OpenAPI 3 description, generated from the route table (so it cannot drift from what the server does), given
 * to @fastify/swagger and served at GET /api/openapi.json.
 */
import type { FastifyInstance } from 'fastify'
import fastifySwagger from '@fastify/swagger'
import { openApiPath, type Route } from './router.js'
import { CREATED, RESPONSE_SCHEMAS } from './response-schemas.js'

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
}

const errorResponse = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
})

/** Routes whose calls are rate-limited (429). */
const RATE_LIMITED = new Set(['auth.login'])

const ACCESS_TEXT: Record<Route['access'], string> = {
  public: 'No authentication.',
  any: 'Any account; the answer is narrowed to what the account may see.',
  operator: 'Operators only.',
  admin: "Operators, and tenant administrators of the target's tenant.",
  member: "Operators, tenant administrators of the queue's tenant, and agents who are members of the queue.",
  self: "Operators, tenant administrators of the agent's tenant, and the agent itself.",
}

function buildOpenApi(routes: Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const r of routes) {
    const p = openApiPath(r.path)
    const params = [
      ...[...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...(r.query ?? []).map((q) => ({
        name: q.name,
        in: 'query',
        required: !!q.required,
        schema: q.schema,
        ...(q.description ? { description: q.description } : {}),
      })),
    ]
    // The success answer: declared on the route (audio, SSE), JSON with its schema (response-schemas.ts), or 204.
    const jsonSchema = RESPONSE_SCHEMAS[r.id]
    const ok =
      r.response ??
      (jsonSchema
        ? {
            status: CREATED.has(r.id) ? 201 : 200,
            description: CREATED.has(r.id) ? 'Created' : 'OK',
            schema: jsonSchema,
          }
        : { status: 204, description: 'Done (no content)' })
    const types =
      ok.contentTypes ??
      (ok.status === 204
        ? []
        : ['application/json', ...(r.query?.some((q) => q.name === 'format') ? ['text/csv'] : [])])
    const responses: Record<string, unknown> = {
      [String(ok.status)]: {
        description: ok.description,
        ...(types.length
          ? {
              content: Object.fromEntries(
                types.map((ct) => [
                  ct,
                  ct === 'application/json' && ok.schema
                    ? { schema: ok.schema }
                    : ct === 'text/csv'
                      ? { schema: { type: 'string' } }
                      : {},
                ]),
              ),
            }
          : {}),
      },
      '400': errorResponse('Validation error naming the field'),
      '401': errorResponse(r.access === 'public' ? 'Wrong credentials' : 'Not authenticated'),
      ...(r.access === 'public'
        ? {}
        : { '403': errorResponse('Not allowed for this account (or a missing CSRF token)') }),
      '404': errorResponse('Not found (also: an entity of another tenant)'),
      '409': errorResponse('Conflict (duplicate, in use)'),
      ...(r.body || r.raw
        ? { '413': errorResponse('Request body too large'), '415': errorResponse('Unsupported content type') }
        : {}),
      ...(RATE_LIMITED.has(r.id) ? { '429': errorResponse('Too many attempts; wait a minute') } : {}),
      '500': errorResponse('Internal error (for prompt import also: sox missing)'),
      ...((r.mutates ?? r.method !== 'GET') && r.access !== 'public'
        ? {
            '503': errorResponse(
              'NOT_LEADER: this daemon is a standby; the message names the leader to send the change to',
            ),
          }
        : {}),
    }
    paths[p] ??= {}
    paths[p][r.method.toLowerCase()] = {
      operationId: r.id,
      tags: [r.tag],
      summary: r.summary,
      description: [r.description, `Access: ${ACCESS_TEXT[r.access]}`].filter(Boolean).join('\n\n'),
      ...(params.length ? { parameters: params } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      ...(r.raw
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries(
                r.raw.contentTypes.map((ct) => [
                  ct,
                  {
                    schema:
                      ct === 'multipart/form-data'
                        ? {
                            type: 'object',
                            properties: { file: { type: 'string', format: 'binary' } },
                            required: ['file'],
                          }
                        : { type: 'string', format: 'binary' },
                  },
                ]),
              ),
            },
          }
        : {}),
      ...(r.access === 'public' ? { security: [] } : {}),
      responses,
    }
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'koplus control API',
      version,
      description: 'The daemon\'s HTTP API. Errors: `{ "error": { "code", "field"?, "message" } }`. See docs/api.md.',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token (the CLI reads <data dir>/cli-token)' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'koplus_session',
          description: 'Web session; state-changing requests also need the X-CSRF-Token header',
        },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  }
}

/** Register @fastify/swagger with the document of these routes and serve it at /api/openapi.json. */
export function registerOpenApi(app: FastifyInstance, routes: Route[], version: string): Record<string, unknown> {
  const document = buildOpenApi(routes, version)
  void app.register(fastifySwagger, { mode: 'static', specification: { document: document as never } })
  app.get('/api/openapi.json', async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify(app.swagger())),
  )
  return document
}
