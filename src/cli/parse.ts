/** Reading what was typed: key=value assignments, devices, setting values, whole numbers; API ids back to typed names. */
import { CliError } from './client.js'
import { NUMBER_SETTINGS, TEXT_SETTINGS } from './queue-setting-kinds.js'

/** 'true' → true, '30' → 30, '{"type":"busy"}' → object, 'null' → null, else the string. */
export function parseValue(v: string): unknown {
  if (v === '') return ''
  try {
    return JSON.parse(v)
  } catch {
    return v
  }
}

/** key=value pairs → object; refuses a pair without '='. `read` turns a value's text into the value (default parseValue). */
export function parseAssignments(
  pairs: readonly string[],
  read: (key: string, v: string) => unknown = (_k, v) => parseValue(v),
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const p of pairs) {
    const i = p.indexOf('=')
    if (i <= 0) throw new CliError(`expected key=value, got '${p}'`)
    out[p.slice(0, i)] = read(p.slice(0, i), p.slice(i + 1))
  }
  return out
}

/** 'softphone:1001' → { type, target }. */
export function parseDevice(spec: string): { type: string; target: string } {
  const i = spec.indexOf(':')
  if (i <= 0 || i === spec.length - 1)
    throw new CliError(`expected a device as type:target (e.g. softphone:1001, mobile:0701234567), got '${spec}'`)
  return { type: spec.slice(0, i), target: spec.slice(i + 1) }
}

/**
 * A `key=value` value of a queue setting, read by the setting's type (./queue-setting-kinds.ts): a text
 * setting keeps the text as typed (exitKey=0 is the string "0"), a number or true/false setting and an object setting
 * are read as JSON; 'null' clears a setting that may be null.
 */
export function settingValue(key: string, v: string): unknown {
  if (TEXT_SETTINGS.has(key)) return v
  if (NUMBER_SETTINGS.has(key)) return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v
  return parseValue(v)
}

/** `message` with an internal id (quoted or as a whole word) replaced by what the operator typed. */
export function withTypedName(message: string, id: string, shown: string): string {
  const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return message.replace(new RegExp(`'${esc}'|(?<![\\w-])${esc}(?![\\w-])`, 'g'), shown)
}

/** A positive whole number option (--limit, --days), or a message naming the option and what was typed. */
export function wholeNumber(option: string, v: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new CliError(`${option}: expected a whole number ${min}-${max}, got '${v}'`)
  return n
}
