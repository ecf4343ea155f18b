/**
 * Fast decoding of text/event-json bodies (issue 13, decoding at full speed).
 *
 * FreeSWITCH writes an event as one flat JSON object (switch_event_serialize_json → cJSON_PrintUnformatted): no
 * whitespace, every header a string, array headers as arrays of strings (e.g. `variable_DP_MATCH`), the body under
 * `_body`. Profiling showed `JSON.parse` spends most of its time building a ~150-property object (dictionary mode,
 * every key internalised), not reading the text. This decoder checks that exact shape with `indexOf` (escapes
 * included) and keeps the text; a header is found in it when read (`get`, by where the names start: below) and only that
 * value is cut. Cutting every name and value of every event (~300 strings) was most of the daemon's garbage at
 * 10,000 waiting callers (issue 13: ~130 MB/s, 8.5 scavenges a second). The object of all headers is built only if
 * a caller asks for it (`EslEvent#headers`).
 *
 * Anything outside that shape (whitespace, numbers, nested objects, a non-string in an array, an escaped name)
 * returns undefined and the caller falls back to JSON.parse, so the result never differs from JSON.parse on valid
 * JSON. Measured on the captures (bench/esl-parse): ~2x JSON.parse per event with the daemon's lookups.
 *
 * The walk that checks the shape also notes where each name starts (`keys`, one small integer per header): a lookup
 * goes through those from the last (a repeated name keeps the last value, as JSON.parse does) and compares names
 * there, instead of searching the whole text for `"name":` (every occurrence, to find the last). A CPU profile of
 * the daemon at 10,000 waiting callers had those searches at an eighth of its busy time (bench/scale-daemon,
 * DAEMON_SCALE_CPU_PROFILE).
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

/** What scanJsonEvent learnt of a text in FreeSWITCH's shape (nothing per header: values are cut when read). */
export interface ScannedJson {
  body?: string
  /** Only string headers, no `_body`: JSON.parse of the text is exactly the object of the headers. */
  flat: boolean
  /** A backslash somewhere in the text: string ends are found past escaped quotes, values unescaped when read. */
  escapes: boolean
  /** Where each header's name starts (after its opening quote), in the text's order; `_body` is not one of them. */
  keys: number[]
}

/** Called by walkJsonEvent for each header but `_body`: the name's and the value's spans ([ or " included). */
type Visit = (nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => void

/**
 * Checks that `text` is `{"name":"value",…}` as FreeSWITCH writes it (array headers as arrays of strings, `_body`
 * a string) and finds `_body`; undefined when it is not in that shape. Nothing is cut per header (issue 13: the
 * names and values cut for every header of every event were most of the daemon's garbage at 10,000 waiting
 * callers): `ScannedJsonEvent#get` finds a header in the text when asked.
 */
export function scanJsonEvent(text: string): ScannedJson | undefined {
  const scanned = walkJsonEvent(text, undefined, scratch)
  if (scanned) scanned.keys = scratch.slice(0, scratchUsed)
  return scanned
}

/** The names' starts of the text being walked, kept in one array for every walk (one exact copy per event). */
const scratch: number[] = []
let scratchUsed = 0
const NO_KEYS: number[] = []

function walkJsonEvent(text: string, visit?: Visit, keys?: number[]): ScannedJson | undefined {
  scratchUsed = 0
  const n = text.length
  if (n < 2 || text.charCodeAt(0) !== OPEN_BRACE || text.charCodeAt(n - 1) !== CLOSE_BRACE) return undefined
  // Most events have no escape at all: then a string ends at the next quote and needs no unescaping.
  const escapes = text.indexOf('\\') !== -1
  if (n === 2) return { flat: true, escapes, keys: NO_KEYS }
  let body: string | undefined
  let flat = true
  let i = 1
  for (;;) {
    // "name":
    if (text.charCodeAt(i) !== QUOTE) return undefined
    const ke = text.indexOf('"', i + 1)
    if (ke === -1 || text.charCodeAt(ke + 1) !== COLON) return undefined
    if (escapes) {
      const bs = text.indexOf('\\', i + 1)
      if (bs !== -1 && bs < ke) return undefined
    }
    const isBody = ke - i === 6 && text.startsWith('_body', i + 1)
    const nameStart = i + 1
    i = ke + 2
    // "value" or ["a","b"]
    const valueStart = i
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      const e = escapes ? closingQuote(text, i) : text.indexOf('"', i + 1)
      if (e === -1) return undefined
      if (escapes && !validEscapes(text, i, e)) return undefined
      if (isBody) body = stringAt(text, i, e)
      i = e + 1
    } else if (c === OPEN_BRACKET && !isBody) {
      i++
      if (text.charCodeAt(i) !== CLOSE_BRACKET) {
        for (;;) {
          if (text.charCodeAt(i) !== QUOTE) return undefined
          const e = closingQuote(text, i)
          if (e === -1 || !validEscapes(text, i, e)) return undefined
          i = e + 1
          const d = text.charCodeAt(i)
          if (d === COMMA) i++
          else if (d === CLOSE_BRACKET) break
          else return undefined
        }
      }
      i++
      flat = false
    } else return undefined
    if (!isBody) {
      if (keys) keys[scratchUsed++] = nameStart
      visit?.(nameStart, ke, valueStart, i)
    }
    const d = text.charCodeAt(i)
    if (d === COMMA) {
      i++
      continue
    }
    if (d === CLOSE_BRACE && i === n - 1)
      return body === undefined ? { flat, escapes, keys: NO_KEYS } : { body, flat: false, escapes, keys: NO_KEYS }
    return undefined
  }
}

/** The string from `open` to `close` has only valid JSON escapes (checked only when it has a backslash). */
function validEscapes(text: string, open: number, close: number): boolean {
  const bs = text.indexOf('\\', open + 1)
  return bs === -1 || bs > close || stringAt(text, open, close) !== undefined
}

/** The header value whose JSON text runs from `start` to `end` (a string, or an array as plain shows it). */
function valueAt(text: string, start: number, end: number): string | undefined {
  if (text.charCodeAt(start) === QUOTE) return stringAt(text, start, end - 1)
  try {
    return 'ARRAY::' + (JSON.parse(text.slice(start, end)) as string[]).join('|:')
  } catch {
    return undefined
  }
}

/** An event decoded by scanJsonEvent: its text, headers found in it when read, the object of all built on first use. */
export class ScannedJsonEvent implements EslEvent {
  readonly name: string
  readonly uuid?: string
  readonly body?: string
  readonly #text: string
  readonly #scanned: ScannedJson
  #headers: Record<string, string> | undefined
  /** Event-Subclass, looked up when first asked for (only CUSTOM events have one: a lookup that finds nothing
   * reads the whole text). */
  #subclass: string | undefined | null = null

  constructor(scanned: ScannedJson, text: string) {
    this.#text = text
    this.#scanned = scanned
    this.name = this.get('Event-Name') ?? ''
    const uuid = this.get('Unique-ID')
    if (uuid !== undefined) this.uuid = uuid
    if (scanned.body !== undefined) this.body = scanned.body
  }

  get subclass(): string | undefined {
    if (this.#subclass === null) this.#subclass = this.get('Event-Subclass')
    return this.#subclass
  }

  get headers(): Readonly<Record<string, string>> {
    if (this.#headers) return this.#headers
    const text = this.#text
    // V8 builds a big object fastest from JSON; with arrays or _body, from a walk of the text.
    if (this.#scanned.flat) return (this.#headers = JSON.parse(text) as Record<string, string>)
    const h: Record<string, string> = {}
    walkJsonEvent(text, (ns, ne, vs, ve) => setHeader(h, text.slice(ns, ne), valueAt(text, vs, ve) ?? ''))
    return (this.#headers = h)
  }

  get(name: string): string | undefined {
    // A name with a quote or a backslash is never a name of this text (escaped names are not read here).
    if (name === '_body' || name.indexOf('"') !== -1 || name.indexOf('\\') !== -1) return undefined
    const text = this.#text
    const keys = this.#scanned.keys
    const n = name.length
    const first = name.charCodeAt(0)
    // The last header of that name: its name starts at keys[k] and its closing quote follows at once.
    let at = -1
    for (let k = keys.length - 1; k >= 0; k--) {
      const s = keys[k]
      if (text.charCodeAt(s + n) === QUOTE && (n === 0 || text.charCodeAt(s) === first) && text.startsWith(name, s)) {
        at = s
        break
      }
    }
    if (at === -1) return undefined
    const start = at + n + 2
    let end: number
    if (text.charCodeAt(start) === QUOTE) {
      end = (this.#scanned.escapes ? closingQuote(text, start) : text.indexOf('"', start + 1)) + 1
    } else {
      // An array: its items' ends, past escaped quotes and brackets inside them.
      end = start + 1
      while (text.charCodeAt(end) !== CLOSE_BRACKET) {
        end = closingQuote(text, end) + 1
        if (text.charCodeAt(end) === COMMA) end++
      }
      end++
    }
    const v = valueAt(text, start, end)
    return v === undefined ? undefined : ownString(v)
  }

  variable(name: string): string | undefined {
    return this.get('variable_' + name)
  }
}
