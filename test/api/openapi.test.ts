/**
 * The served OpenAPI document is valid OpenAPI 3.0.3 for a standard validator (@seriousme/openapi-schema-validator,
 * the OpenAPI Initiative's JSON Schema), and the answer check the API tests run through (openapi-check.ts) really
 * rejects answers the document does not describe.
 */
import t from 'tap'
import { buildRoutes } from '../../src/api/plugins/index.js'
import { RESPONSE_SCHEMAS } from '../../src/api/response-schemas.js'
import { answerProblem, validateDocument, type OpenApiDoc } from './openapi-check.js'
import { world } from './fixture.js'

t.test('the served document validates as OpenAPI 3.0.3', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const doc: OpenApiDoc = await (await fetch(w.url + '/api/openapi.json')).json()
  t.equal(doc.openapi, '3.0.3')
  t.same(await validateDocument(doc), [], 'no complaints from the standard validator')
  const json = JSON.stringify(doc)
  t.notMatch(json, /"required":\[\]/, 'no empty required arrays (OpenAPI 3.0 forbids them)')
  t.ok(Object.keys(doc.paths).length >= 40, `${Object.keys(doc.paths).length} paths`)
})

t.test('the validator is strict: an empty required array, as the document used to have, is refused', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const doc: OpenApiDoc = await (await fetch(w.url + '/api/openapi.json')).json()
  doc.paths['/api/v1/tenants/{tenantId}'].patch.requestBody.content['application/json'].schema.required = []
  const problems = await validateDocument(doc)
  t.ok(problems.length > 0, 'refused')
  t.match(problems.join('\n'), /fewer than 1 items/)
})

t.test(
  'every route documents its success answer: JSON with a schema, audio / a stream, or 204 without a body',
  async (t) => {
    const w = await world()
    t.teardown(() => w.close())
    const doc: OpenApiDoc = await (await fetch(w.url + '/api/openapi.json')).json()
    for (const r of buildRoutes()) {
      const op = doc.paths[r.path.replace(/:([A-Za-z]+)/g, '{$1}')][r.method.toLowerCase()]
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'))
      t.equal(success.length, 1, `${r.id}: one success status`)
      const res = op.responses[success[0]]
      if (success[0] === '204') {
        t.notOk(res.content, `${r.id}: 204 without a body`)
        t.notOk(RESPONSE_SCHEMAS[r.id], `${r.id}: no JSON schema for a 204 route`)
      } else if (res.content['application/json']) {
        t.ok(res.content['application/json'].schema, `${r.id}: JSON answer has a schema`)
      } else {
        t.ok(r.response?.contentTypes?.length, `${r.id}: declares its non-JSON content type`)
      }
      for (const code of ['400', '404', '500'])
        t.ok(op.responses[code].content['application/json'].schema, `${r.id}: ${code} documents the error body`)
    }
    t.same(
      Object.keys(RESPONSE_SCHEMAS).filter((id) => !buildRoutes().some((r) => r.id === id)),
      [],
      'no schema for a route that does not exist',
    )
  },
)

t.test('the answer check rejects what the document does not describe', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const doc: OpenApiDoc = await (await fetch(w.url + '/api/openapi.json')).json()
  const queue = (await (
    await fetch(w.url + '/api/v1/queues/qa', { headers: { authorization: `Bearer ${w.tokens.adminA}` } })
  ).json()) as Record<string, unknown>
  const ok = {
    method: 'GET',
    path: '/api/v1/queues/qa',
    status: 200,
    contentType: 'application/json; charset=utf-8',
    body: queue,
    text: JSON.stringify(queue),
  }
  t.equal(answerProblem(doc, ok), undefined, 'a real answer matches')
  t.match(answerProblem(doc, { ...ok, status: 418 }), /status not documented/, 'an undocumented status')
  t.match(
    answerProblem(doc, { ...ok, contentType: 'text/plain' }),
    /content type 'text\/plain' not documented/,
    'an undocumented content type',
  )
  const { number: _n, ...noNumber } = queue
  t.match(answerProblem(doc, { ...ok, body: noNumber }), /must have required property 'number'/, 'a missing field')
  t.match(
    answerProblem(doc, { ...ok, body: { ...queue, tags: 'support' } }),
    /\/tags must be array/,
    'a field of the wrong type',
  )
  t.match(
    answerProblem(doc, { ...ok, status: 404, body: { message: 'x' } }),
    /must have required property 'error'/,
    'an error body without { error }',
  )
  t.match(
    answerProblem(doc, {
      method: 'DELETE',
      path: '/api/v1/queues/qa',
      status: 204,
      contentType: null,
      body: { x: 1 },
      text: '{"x":1}',
    }),
    /without a body/,
    'a body on a 204 route',
  )
  t.equal(answerProblem(doc, { ...ok, path: '/wallboard' }), undefined, 'paths outside the API are not checked')
})
