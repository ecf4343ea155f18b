/**
 * The TypeBox-built schema shorthands give the same plain JSON Schema the validator and the OpenAPI document
 * read (OpenAPI 3.0 subset: no empty `required`, unknown keys refused, maps as additionalProperties).
 */
import t from 'tap'
import { Kind } from '@sinclair/typebox'
import { arr, bool, int, map, num, obj, str } from '../../src/api/schema-builders.js'
import { validate } from '../../src/api/validate.js'

const json = (v: unknown): unknown => JSON.parse(JSON.stringify(v))

t.test('plain JSON Schema out of TypeBox', async (t) => {
  const schema = obj(
    {
      name: str({ minLength: 1 }),
      size: int(1, 10),
      ratio: num(0, 1),
      on: bool('switch'),
      tags: arr(str(), { maxItems: 3 }),
      skills: map(int(1, 10), 'levels'),
    },
    ['name'],
  )
  t.equal((schema as unknown as Record<symbol, unknown>)[Kind], 'Object', 'built by TypeBox')
  t.same(json(schema), {
    type: 'object',
    additionalProperties: false,
    properties: {
      name: { type: 'string', minLength: 1 },
      size: { type: 'integer', minimum: 1, maximum: 10 },
      ratio: { type: 'number', minimum: 0, maximum: 1 },
      on: { type: 'boolean', description: 'switch' },
      tags: { type: 'array', items: { type: 'string' }, maxItems: 3 },
      skills: {
        type: 'object',
        additionalProperties: { type: 'integer', minimum: 1, maximum: 10 },
        description: 'levels',
      },
    },
    required: ['name'],
  })
  t.notOk('required' in obj({ a: str() }), 'no empty required array (OpenAPI 3.0 forbids it)')
  t.equal((obj({}, [], { nullable: true }) as { nullable?: boolean }).nullable, true)
})

t.test('the validator reads them: errors name the field', async (t) => {
  const schema = obj({ name: str({ minLength: 1 }), skills: map(int(1, 10)) }, ['name'])
  t.doesNotThrow(() => validate(schema, { name: 'x', skills: { sv: 3 } }))
  t.throws(() => validate(schema, { skills: {} }), { field: 'name' } as never)
  t.throws(() => validate(schema, { name: 'x', skills: { sv: 11 } }), { field: 'skills.sv' } as never)
  t.throws(() => validate(schema, { name: 'x', extra: 1 }), { field: 'extra' } as never)
})
