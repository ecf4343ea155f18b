/** Small helpers shared by the repositories: ids, JSON columns, input checks. */
import { randomBytes } from 'node:crypto'
import { invalid } from './errors.js'

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789' // no l, o, 0, 1: readable aloud

/** A short readable random id with a prefix, e.g. newId('q') → 'q_k3j9x2ab'. */
export function newId(prefix: string, length = 8): string {
  const bytes = randomBytes(length)
  let s = ''
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length]
  return `${prefix}_${s}`
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** A caller-chosen id, or a new random one. */
export function chooseId(prefix: string, id: string | undefined, entity: string): string {
  if (id === undefined) return newId(prefix)
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw invalid(`${entity}.id`, `expected 1-64 letters, digits, '_', '.' or '-', got ${JSON.stringify(id)}`)
  }
  return id
}

export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback
  return JSON.parse(text) as T
}

/**
 * Characters no name or text may hold: NUL and the other control characters (tab, line feed and carriage return
 * excepted), and the bidirectional embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069), which
 * make a name display as something else ('Trojan Source', CVE-2021-42574).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this expression's purpose
const UNSAFE_TEXT_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/

/** The problem with a text's characters, or undefined. */
export function unsafeTextProblem(value: string): string | undefined {
  const m = UNSAFE_TEXT_RE.exec(value)
  if (!m) return undefined
  const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
  return `must not contain control or bidirectional-override characters (found ${code} at position ${m.index})`
}

export function requireString(
  field: string,
  value: unknown,
  opts: { min?: number; max?: number; re?: RegExp; what?: string } = {},
): string {
  const { min = 1, max = 200, re, what } = opts
  if (typeof value !== 'string') throw invalid(field, `expected a string, got ${describe(value)}`)
  const unsafe = unsafeTextProblem(value)
  if (unsafe) throw invalid(field, unsafe)
  if (value.length < min) throw invalid(field, min === 1 ? 'must not be empty' : `must be at least ${min} characters`)
  if (value.length > max) throw invalid(field, `must be at most ${max} characters`)
  if (re && !re.test(value)) throw invalid(field, `expected ${what ?? re.source}, got ${JSON.stringify(value)}`)
  return value
}

export function requireInt(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `expected an integer ${min}-${max}, got ${describe(value)}`)
  }
  return value
}

export function requireInstant(field: string, value: unknown): number {
  return requireInt(field, value, 0, 8.64e15)
}

export function requireStringArray(field: string, value: unknown, re?: RegExp, what?: string): string[] {
  if (!Array.isArray(value)) throw invalid(field, `expected an array of strings, got ${describe(value)}`)
  value.forEach((v, i) => requireString(`${field}[${i}]`, v, { re, what, max: 64 }))
  return [...new Set(value as string[])]
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A short description of a bad value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'string') return JSON.stringify(v)
  try {
    const s = JSON.stringify(v)
    return s.length > 60 ? s.slice(0, 57) + '...' : s
  } catch {
    return String(v)
  }
}

/** Reject keys of a patch object that are not in the allowed list. */
export function rejectUnknownKeys(entity: string, obj: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k))
  if (unknown.length) {
    throw invalid(
      `${entity}.${unknown[0]}`,
      `unknown ${entity} field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`,
    )
  }
}
