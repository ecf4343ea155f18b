/**
 * Decoding of ESL event frames (text/event-plain and text/event-json) into EslEvent objects.
 *
 * Plain events: the frame body is a second header block, `Name: url-encoded-value` lines ended
 * by an empty line, optionally followed by an inner `Content-Length` body (BACKGROUND_JOB carries
 * the API output there). Values are URL-encoded by FreeSWITCH (switch_event_serialize ->
 * switch_url_encode); we decode them without ever throwing on a malformed '%', unlike
 * decodeURIComponent (the cause of englercj/node-esl#59).
 * JSON events: one JSON object, every value a string except array headers (e.g.
 * `variable_DP_MATCH: ["lab-5000","5000"]` in inbound-sip-caller.json), body in `_body`.
 */
import type { EslFrame } from './parser.js'
import { setHeader } from './parser.js'
import { scanJsonEvent, ScannedJsonEvent } from './json-event.js'
import { ownString } from './own-string.js'

/** A FreeSWITCH event, as decoded from a plain or json event frame. */
export interface EslEvent {
  /** Event-Name (CUSTOM events: name 'CUSTOM', subclass set). */
  readonly name: string
  /** Event-Subclass, e.g. 'sofia::register'. */
  readonly subclass?: string
  /** Unique-ID of the channel the event is about, if any. */
  readonly uuid?: string
  /** Decoded headers (plain: URL-decoded, never throwing; json: as given, arrays flattened like plain's ARRAY::). */
  readonly headers: Readonly<Record<string, string>>
  /** Inner body (plain: the bytes after the inner Content-Length, as UTF-8; json: `_body`). */
  readonly body?: string
  /**
   * The header's value, or undefined. A value of its own: keeping it does not keep the event's text (own-string.ts);
   * `headers` may hold views of that text (read them, do not keep them).
   */
  get(name: string): string | undefined
  /** A channel variable: get('variable_' + name). */
  variable(name: string): string | undefined
}

class Event implements EslEvent {
  readonly name: string
  readonly subclass?: string
  readonly uuid?: string
  readonly body?: string
  /** Header values as decoded; json values other than strings (array headers) are flattened on first access. */
  #headers: Record<string, unknown>
  #flat: boolean
  constructor(headers: Record<string, unknown>, body: string | undefined, flat = true) {
    this.#headers = headers
    this.#flat = flat
    const name = headers['Event-Name']
    this.name = typeof name === 'string' ? name : ''
    const sub = headers['Event-Subclass']
    if (typeof sub === 'string') this.subclass = sub
    const uuid = headers['Unique-ID']
    if (typeof uuid === 'string') this.uuid = ownString(uuid)
    if (body !== undefined) this.body = body
  }
  get headers(): Readonly<Record<string, string>> {
    if (!this.#flat) {
      // One pass, only when a caller asks for the whole header set (get() flattens a single value).
      const h = this.#headers
      for (const k in h) if (typeof h[k] !== 'string') h[k] = flattenJsonValue(h[k])
      this.#flat = true
    }
    return this.#headers as Record<string, string>
  }
  get(name: string): string | undefined {
    if (!Object.prototype.hasOwnProperty.call(this.#headers, name)) return undefined
    const v = this.#headers[name]
    return typeof v === 'string' ? ownString(v) : flattenJsonValue(v)
  }
  variable(name: string): string | undefined {
    return this.get('variable_' + name)
  }
}

/** A json header value that is not a string, as plain shows it: arrays as ARRAY::a|:b, others as JSON text. */
function flattenJsonValue(v: unknown): string {
  // FreeSWITCH serialises array headers as JSON arrays; plain has them as ARRAY::a|:b.
  if (Array.isArray(v)) return 'ARRAY::' + v.map(String).join('|:')
  if (v === null || v === undefined) return ''
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

/** Builds an EslEvent from already-decoded headers and body (used by tests and the simulator). */
export function makeEvent(headers: Record<string, string>, body?: string): EslEvent {
  return new Event(headers, body)
}

/**
 * Decodes an event frame. Returns undefined for frames that are not text/event-plain or
 * text/event-json, and for event frames whose content cannot be decoded (malformed JSON).
 */
export function eventFromFrame(frame: EslFrame): EslEvent | undefined {
  const type = frame.headers['Content-Type']
  if (!frame.body) return undefined
  if (type === 'text/event-json') return decodeJsonEvent(frame.body)
  if (type === 'text/event-plain') return decodePlainEvent(frame.body)
  return undefined
}

const JSON_NAME_FIRST = Buffer.from('{"Event-Name":')
const JSON_NAME_LATER = Buffer.from(',"Event-Name":')
const PLAIN_NAME_FIRST = Buffer.from('Event-Name:')
const PLAIN_NAME_LATER = Buffer.from('\nEvent-Name:')

/**
 * The Event-Name of an event frame without decoding it, or undefined when it cannot be read cheaply (then the
 * caller decodes the frame). Decoding keeps the last Event-Name, so this reads the last one: json `"Event-Name":"NAME"`
 * after `{` or `,` (a quote inside a JSON string is escaped, so that text is always a key), plain `Event-Name: NAME`
 * at the start of a line of the header block (values are URL-encoded: no raw newline inside one). FreeSWITCH writes
 * it first (switch_event_create adds it before any other header) except in CUSTOM events (Event-Subclass first) and
 * PRIVATE_COMMAND (the sendmsg's headers first): those are found with one indexOf. Event names are [A-Z0-9_] words,
 * never URL- or JSON-escaped; anything else falls back to a full decode.
 */
export function peekEventName(frame: EslFrame): string | undefined {
  const body = frame.body
  if (!body) return undefined
  const type = frame.headers['Content-Type']
  let at: number
  let end: number
  if (type === 'text/event-json') {
    const later = body.lastIndexOf(JSON_NAME_LATER)
    if (later !== -1) at = later + JSON_NAME_LATER.length
    else if (startsWith(body, JSON_NAME_FIRST)) at = JSON_NAME_FIRST.length
    else return undefined
    if (body[at++] !== 0x22) return undefined // "
    end = 0x22
  } else if (type === 'text/event-plain') {
    // Only the header block: an inner body (after the first empty line) may hold any text.
    const headerEnd = body.indexOf('\n\n')
    const later = body.lastIndexOf(PLAIN_NAME_LATER, headerEnd === -1 ? body.length : headerEnd)
    if (later !== -1) at = later + PLAIN_NAME_LATER.length
    else if (startsWith(body, PLAIN_NAME_FIRST)) at = PLAIN_NAME_FIRST.length
    else return undefined
    if (body[at++] !== 0x20) return undefined // the space after the colon, as FreeSWITCH writes it
    end = 0x0a // LF
  } else return undefined
  return eventNameAt(body, at, end)
}

const JSON_NAME_LEADING = Buffer.from('{"Event-Name":"')
const PLAIN_NAME_LEADING = Buffer.from('Event-Name: ')

/**
 * The Event-Name an event frame starts with (json `{"Event-Name":"NAME"`, plain `Event-Name: NAME`), read from its
 * first bytes only, or undefined. FreeSWITCH writes it first in all but CUSTOM and PRIVATE_COMMAND events (see
 * peekEventName). It is not the decoded name when a later header repeats Event-Name (decoding keeps the last): the
 * client uses it to pass a wanted event on at once, and decodes or peeks exactly before dropping one (client.ts).
 * peekEventName's search for a later Event-Name went over the whole body: ~4 % of the daemon's busy time at 10,000
 * waiting callers (bench/scale-daemon, DAEMON_SCALE_CPU_PROFILE).
 */
export function peekLeadingEventName(frame: EslFrame): string | undefined {
  const body = frame.body
  if (!body) return undefined
  const type = frame.headers['Content-Type']
  let at: number
  let end: number
  if (type === 'text/event-json' && startsWith(body, JSON_NAME_LEADING)) {
    at = JSON_NAME_LEADING.length
    end = 0x22 // "
  } else if (type === 'text/event-plain' && startsWith(body, PLAIN_NAME_LEADING)) {
    at = PLAIN_NAME_LEADING.length
    end = 0x0a // LF
  } else return undefined
  return eventNameAt(body, at, end)
}

/** The [A-Z0-9_] word from `at` up to the byte `end` (at most 64 bytes), or undefined. */
function eventNameAt(body: Buffer, at: number, end: number): string | undefined {
  const limit = Math.min(body.length, at + 64)
  for (let i = at; i < limit; i++) {
    const c = body[i]
    if (c === end) return i > at ? body.toString('latin1', at, i) : undefined
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x30 && c <= 0x39))) return undefined
  }
  return undefined
}

function startsWith(body: Buffer, prefix: Buffer): boolean {
  const n = prefix.length
  if (body.length <= n) return false
  for (let i = 0; i < n; i++) if (body[i] !== prefix[i]) return false
  return true
}

function decodeJsonEvent(body: Buffer): EslEvent | undefined {
  const text = body.toString('utf8')
  // FreeSWITCH's own shape is read without JSON.parse (json-event.ts); anything else goes through JSON.parse.
  const scanned = scanJsonEvent(text)
  if (scanned) return new ScannedJsonEvent(scanned, text)
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined
  const o = obj as Record<string, unknown>
  // FreeSWITCH sends every value as a string (switch_event_serialize_json), arrays only for array headers:
  // the parsed object is the headers as it is. Checking every value here would cost a quarter of the decode,
  // so non-string values are flattened when read (Event#get, Event#headers); decoding is JSON.parse and no more.
  if (!Object.prototype.hasOwnProperty.call(o, '_body')) return new Event(o, undefined, false)
  const headers: Record<string, string> = {}
  let inner: string | undefined
  for (const k of Object.keys(o)) {
    const v = o[k]
    if (k === '_body') inner = typeof v === 'string' ? v : JSON.stringify(v)
    else if (typeof v === 'string') setHeader(headers, k, v)
    else if (v !== null && v !== undefined) setHeader(headers, k, flattenJsonValue(v))
  }
  return new Event(headers, inner)
}

function decodePlainEvent(body: Buffer): EslEvent | undefined {
  // The inner header block ends at the first empty line (or at the end of the body).
  const end = body.indexOf('\n\n')
  const headerEnd = end === -1 ? body.length : end
  const text = body.toString('utf8', 0, headerEnd)
  const headers: Record<string, string> = {}
  let start = 0
  const len = text.length
  while (start < len) {
    let e = text.indexOf('\n', start)
    if (e === -1) e = len
    let lineEnd = e
    if (lineEnd > start && text.charCodeAt(lineEnd - 1) === 13) lineEnd--
    if (lineEnd > start) {
      const colon = text.indexOf(':', start)
      if (colon === -1 || colon >= lineEnd) setHeader(headers, text.slice(start, lineEnd), '')
      else {
        let v = colon + 1
        if (v < lineEnd && text.charCodeAt(v) === 32) v++
        setHeader(headers, text.slice(start, colon), urlDecode(text.slice(v, lineEnd)))
      }
    }
    start = e + 1
  }
  let inner: string | undefined
  const cl = headers['Content-Length']
  if (cl !== undefined && end !== -1) {
    const n = Number(cl)
    if (Number.isInteger(n) && n >= 0) {
      const from = end + 2
      inner = body.toString('utf8', from, Math.min(body.length, from + n))
    }
  }
  return new Event(headers, inner)
}

/**
 * URL-decodes like FreeSWITCH's switch_url_decode ('%XX' -> byte; '+' left alone), then
 * interprets the bytes as UTF-8. Never throws: a '%' not followed by two hex digits is kept
 * literally, and invalid UTF-8 becomes U+FFFD.
 */
export function urlDecode(value: string): string {
  if (value.indexOf('%') === -1) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return lenientUrlDecode(value)
  }
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

function lenientUrlDecode(value: string): string {
  const src = Buffer.from(value, 'utf8')
  const out = Buffer.allocUnsafe(src.length)
  let o = 0
  for (let i = 0; i < src.length; i++) {
    const c = src[i]
    if (c === 37 && i + 2 < src.length) {
      const h = hexVal(src[i + 1])
      const l = hexVal(src[i + 2])
      if (h >= 0 && l >= 0) {
        out[o++] = (h << 4) | l
        i += 2
        continue
      }
    }
    out[o++] = c
  }
  return out.toString('utf8', 0, o)
}
