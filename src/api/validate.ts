/**
 * A small JSON Schema subset used twice: to validate request bodies and query strings (errors name the field, e.g.
 * 'settings.ringTimeSec') and, verbatim, as the schemas of the OpenAPI description — so the two cannot drift.
 */
import { validation } from './errors.js'
import { unsafeTextProblem } from '../store/util.js'

export type JsonSchema =
  | {
      type: 'string'
      enum?: readonly string[]
      pattern?: string
      minLength?: number
      maxLength?: number
      format?: string
      description?: string
      nullable?: boolean
      example?: unknown
    }
  | {
      type: 'integer' | 'number'
      minimum?: number
      maximum?: number
      description?: string
      nullable?: boolean
      example?: unknown
    }
  | { type: 'boolean'; description?: string; nullable?: boolean }
  | { type: 'array'; items: JsonSchema; maxItems?: number; description?: string; nullable?: boolean }
  | {
      type: 'object'
      properties?: Record<string, JsonSchema>
      required?: readonly string[]
      /** false: unknown keys are refused; a schema: every extra value must match it (a map). */
      additionalProperties?: boolean | JsonSchema
      description?: string
      nullable?: boolean
    }
  | { oneOf: JsonSchema[]; description?: string; nullable?: boolean }

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key)

function show(v: unknown): string {
  if (v === undefined) return 'nothing'
  const s = JSON.stringify(v)
  return s.length > 60 ? s.slice(0, 57) + '...' : s
}

/** Throws ApiError VALIDATION (400) naming the first field that does not match. */
export function validate(schema: JsonSchema, value: unknown, path = ''): void {
  const problem = check(schema, value, path)
  if (problem) throw validation(problem.field, `${problem.field || 'body'}: ${problem.message}`)
}

function check(schema: JsonSchema, value: unknown, path: string): { field: string; message: string } | undefined {
  if (value === null && schema.nullable) return undefined
  if ('oneOf' in schema) {
    const problems = schema.oneOf.map((s) => check(s, value, path))
    if (problems.some((p) => p === undefined)) return undefined
    // report the problem of the alternative that got deepest
    return problems.sort((a, b) => (b?.field.length ?? 0) - (a?.field.length ?? 0))[0]
  }
  switch (schema.type) {
    case 'string': {
      if (typeof value !== 'string') return { field: path, message: `expected a string, got ${show(value)}` }
      const unsafe = unsafeTextProblem(value)
      if (unsafe) return { field: path, message: unsafe }
      if (schema.enum && !schema.enum.includes(value))
        return { field: path, message: `expected one of ${schema.enum.join(', ')}, got ${show(value)}` }
      if (schema.minLength !== undefined && value.length < schema.minLength) {
        return {
          field: path,
          message: schema.minLength === 1 ? 'must not be empty' : `must be at least ${schema.minLength} characters`,
        }
      }
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        return { field: path, message: `must be at most ${schema.maxLength} characters` }
      if (schema.pattern && !new RegExp(schema.pattern).test(value))
        return { field: path, message: `does not match ${schema.pattern}: ${show(value)}` }
      return undefined
    }
    case 'integer':
    case 'number': {
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        (schema.type === 'integer' && !Number.isInteger(value))
      ) {
        return {
          field: path,
          message: `expected ${schema.type === 'integer' ? 'an integer' : 'a number'}, got ${show(value)}`,
        }
      }
      if (schema.minimum !== undefined && value < schema.minimum)
        return { field: path, message: `must be at least ${schema.minimum}, got ${value}` }
      if (schema.maximum !== undefined && value > schema.maximum)
        return { field: path, message: `must be at most ${schema.maximum}, got ${value}` }
      return undefined
    }
    case 'boolean':
      return typeof value === 'boolean'
        ? undefined
        : { field: path, message: `expected true or false, got ${show(value)}` }
    case 'array': {
      if (!Array.isArray(value)) return { field: path, message: `expected an array, got ${show(value)}` }
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        return { field: path, message: `at most ${schema.maxItems} items` }
      for (let i = 0; i < value.length; i++) {
        const p = check(schema.items, value[i], `${path}[${i}]`)
        if (p) return p
      }
      return undefined
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return { field: path, message: `expected an object, got ${show(value)}` }
      const obj = value as Record<string, unknown>
      for (const key of schema.required ?? []) {
        if (obj[key] === undefined) return { field: join(path, key), message: 'is required' }
      }
      for (const [key, v] of Object.entries(obj)) {
        const sub = schema.properties?.[key]
        if (sub) {
          if (v === undefined) continue
          const p = check(sub, v, join(path, key))
          if (p) return p
        } else if (schema.additionalProperties === false || schema.additionalProperties === undefined) {
          return { field: join(path, key), message: 'is not a known field' }
        } else if (typeof schema.additionalProperties === 'object') {
          const p = check(schema.additionalProperties, v, join(path, key))
          if (p) return p
        }
      }
      return undefined
    }
  }
}

// ── shorthands for route definitions: TypeBox builders (schema-builders.ts), re-exported ──
export { arr, bool, int, map, num, obj, str } from './schema-builders.js'
