/**
 * The shorthands the route schemas are written with (schemas.ts, response-schemas.ts, the plugins), built with
 * TypeBox. Each gives plain JSON Schema (TypeBox's own markers are symbol keys, invisible to JSON and to the
 * validator), in the OpenAPI 3.0 subset validate.ts checks: `nullable` rather than a null type, no empty
 * `required`, a map as `additionalProperties`.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import type { JsonSchema } from './validate.js'

const asJson = (schema: TSchema): JsonSchema => schema as unknown as JsonSchema
const asTypeBox = (schema: JsonSchema): TSchema => schema as unknown as TSchema

export const str = (extra: Omit<Extract<JsonSchema, { type: 'string' }>, 'type'> = {}): JsonSchema =>
  asJson(Type.String(extra))

export const int = (
  minimum?: number,
  maximum?: number,
  extra: { description?: string; nullable?: boolean } = {},
): JsonSchema =>
  asJson(
    Type.Integer({
      ...(minimum !== undefined ? { minimum } : {}),
      ...(maximum !== undefined ? { maximum } : {}),
      ...extra,
    }),
  )

export const num = (minimum?: number, maximum?: number): JsonSchema =>
  asJson(Type.Number({ ...(minimum !== undefined ? { minimum } : {}), ...(maximum !== undefined ? { maximum } : {}) }))

export const bool = (description?: string): JsonSchema => asJson(Type.Boolean(description ? { description } : {}))

export const arr = (items: JsonSchema, extra: { maxItems?: number; description?: string } = {}): JsonSchema =>
  asJson(Type.Array(asTypeBox(items), extra))

/** An object of these properties, `required` ones mandatory, unknown keys refused. */
export const obj = (
  properties: Record<string, JsonSchema>,
  required: readonly string[] = [],
  extra: { description?: string; nullable?: boolean } = {},
): JsonSchema =>
  asJson(
    Type.Object(
      Object.fromEntries(
        Object.entries(properties).map(([k, v]) => [
          k,
          required.includes(k) ? asTypeBox(v) : Type.Optional(asTypeBox(v)),
        ]),
      ),
      { additionalProperties: false, ...extra },
    ),
  )

/** A map: any keys, every value matching `values`. */
export const map = (values: JsonSchema, description?: string): JsonSchema => {
  const { properties: _none, ...schema } = Type.Object(
    {},
    { additionalProperties: asTypeBox(values), ...(description ? { description } : {}) },
  )
  return asJson(schema)
}
