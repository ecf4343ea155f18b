/**
 * Fast decoding of text/event-json bodies (issue 13, decoding at full speed).
 *
 * FreeSWITCH writes an event as one flat JSON object (switch_event_serialize_json → cJSON_PrintUnformatted): no
 * whitespace, every header a string, array headers as arrays of strings (e.g. `variable_DP_MATCH`), the body under
 * `_body`. Profiling showed `JSON.parse` spends most of its time building a ~150-property object (dictionary mode,
 * every key internalised), not reading the text. This decoder reads that exact shape with `indexOf` and `slice` into
 * two arrays (names and values): every header is decoded (JSON escapes included), nothing is left for later, and
 * the object of all headers is built only if a caller asks for it (`EslEvent#headers`). Lookups (`get`) search the
 * names array; with ~150 headers that costs less than building the object.
 *
 * Anything outside that shape (whitespace, numbers, nested objects, a non-string in an array, an escaped name)
 * returns undefined and the caller falls back to JSON.parse, so the result never differs from JSON.parse on valid
 * JSON. Measured on the captures (bench/esl-parse): ~2x JSON.parse per event with the daemon's lookups.
 */
import type { EslEvent } from './event.js'
import { setHeader } from './parser.js'
import { ownString } from './own-string.js'

const QUOTE = 34 // "
const BACKSLASH = 92
const COLON = 58
const COMMA = 44
const OPEN_BRACE = 123
const CLOSE_BRACE = 125
const OPEN_BRACKET = 91
const CLOSE_BRACKET = 93

/** The closing quote of the JSON string whose opening quote is at `open` (escaped quotes skipped), or -1. */
function closingQuote(text: string, open: number): number {
  let e = text.indexOf('"', open + 1)
  while (e !== -1) {
    let bs = 0
    for (let k = e - 1; k > open && text.charCodeAt(k) === BACKSLASH; k--) bs++
    if ((bs & 1) === 0) return e
    e = text.indexOf('"', e + 1)
  }
  return -1
}

/** The JSON string from `open` to `close` (both quotes), unescaped; undefined for a bad escape. */
function stringAt(text: string, open: number, close: number): string | undefined {
  const raw = text.slice(open + 1, close)
  if (raw.indexOf('\\') === -1) return raw
  try {
    return JSON.parse(text.slice(open, close + 1)) as string
  } catch {
    return undefined
  }
}

/**
 * Reads `{"name":"value",…}` as FreeSWITCH writes it into `names` / `values` (array headers flattened as plain
 * shows them, `ARRAY::a|:b`); `_body` is returned apart. Undefined when the text is not in that shape.
 */
export interface ScannedJson {
  names: string[]
  values: string[]
  body?: string
  /** Only string headers, no `_body`: JSON.parse of the text is exactly the object of the headers. */
  flat: boolean
}

export function scanJsonEvent(text: string): ScannedJson | undefined {
  const n = text.length
  if (n < 2 || text.charCodeAt(0) !== OPEN_BRACE || text.charCodeAt(n - 1) !== CLOSE_BRACE) return undefined
  const names: string[] = []
  const values: string[] = []
  let body: string | undefined
  if (n === 2) return { names, values, flat: true }
  let flat = true
  // Most events have no escape at all: then a string ends at the next quote and needs no unescaping.
  const escapes = text.indexOf('\\') !== -1
  let i = 1
  for (;;) {
    // "name":
    if (text.charCodeAt(i) !== QUOTE) return undefined
    const ke = text.indexOf('"', i + 1)
    if (ke === -1 || text.charCodeAt(ke + 1) !== COLON) return undefined
    const name = text.slice(i + 1, ke)
    if (escapes && name.indexOf('\\') !== -1) return undefined
    i = ke + 2
    // "value" or ["a","b"]
    let value: string | undefined
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      if (!escapes) {
        const e = text.indexOf('"', i + 1)
        if (e === -1) return undefined
        value = text.slice(i + 1, e)
        i = e + 1
      } else {
        const e = closingQuote(text, i)
        if (e === -1) return undefined
        value = stringAt(text, i, e)
        i = e + 1
      }
    } else if (c === OPEN_BRACKET && name !== '_body') {
      const items: string[] = []
      i++
      if (text.charCodeAt(i) !== CLOSE_BRACKET) {
        for (;;) {
          if (text.charCodeAt(i) !== QUOTE) return undefined
          const e = closingQuote(text, i)
          if (e === -1) return undefined
          const item = stringAt(text, i, e)
          if (item === undefined) return undefined
          items.push(item)
          i = e + 1
          const d = text.charCodeAt(i)
          if (d === COMMA) i++
          else if (d === CLOSE_BRACKET) break
          else return undefined
        }
      }
      i++
      value = 'ARRAY::' + items.join('|:')
      flat = false
    } else return undefined
    if (value === undefined) return undefined
    if (name === '_body') body = value
    else {
      names.push(name)
      values.push(value)
    }
    const d = text.charCodeAt(i)
    if (d === COMMA) {
      i++
      continue
    }
    if (d === CLOSE_BRACE && i === n - 1)
      return body === undefined ? { names, values, flat } : { names, values, body, flat: false }
    return undefined
  }
}

/** An event decoded by scanJsonEvent: headers in two arrays, the object of them built on first use. */
export class ScannedJsonEvent implements EslEvent {
  readonly name: string
  readonly subclass?: string
  readonly uuid?: string
  readonly body?: string
  readonly #names: string[]
  readonly #values: string[]
  #headers: Record<string, string> | undefined
  /** The event's text when JSON.parse of it is the header object (see ScannedJson.flat). */
  readonly #text: string | undefined

  constructor(scanned: ScannedJson, text: string) {
    const { names, values, body } = scanned
    this.#names = names
    this.#values = values
    // The values are slices of the text: keeping it while the event lives costs no memory. What `get` hands out is
    // copied (ownString), so a value kept after the event does not keep the text.
    if (scanned.flat) this.#text = text
    this.name = this.get('Event-Name') ?? ''
    const sub = this.get('Event-Subclass')
    if (sub !== undefined) this.subclass = sub
    const uuid = this.get('Unique-ID')
    if (uuid !== undefined) this.uuid = uuid
    if (body !== undefined) this.body = body
  }

  get headers(): Readonly<Record<string, string>> {
    if (this.#headers) return this.#headers
    // V8 builds a big object fastest from JSON; with arrays or _body, from the arrays.
    if (this.#text !== undefined) return (this.#headers = JSON.parse(this.#text) as Record<string, string>)
    const h: Record<string, string> = {}
    const names = this.#names
    const values = this.#values
    for (let i = 0; i < names.length; i++) setHeader(h, names[i], values[i])
    return (this.#headers = h)
  }

  get(name: string): string | undefined {
    // A repeated name keeps the last value, as JSON.parse does.
    const j = this.#names.lastIndexOf(name)
    return j === -1 ? undefined : ownString(this.#values[j])
  }

  variable(name: string): string | undefined {
    return this.get('variable_' + name)
  }
}
