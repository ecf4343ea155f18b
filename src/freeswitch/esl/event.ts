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
  /** The header's value, or undefined. */
  get(name: string): string | undefined
  /** A channel variable: get('variable_' + name). */
  variable(name: string): string | undefined
}

class Event implements EslEvent {
  readonly name: string
  readonly subclass?: string
  readonly uuid?: string
  readonly headers: Readonly<Record<string, string>>
  readonly body?: string
  constructor(headers: Record<string, string>, body: string | undefined) {
    this.headers = headers
    this.name = headers['Event-Name'] ?? ''
    const sub = headers['Event-Subclass']
    if (sub !== undefined) this.subclass = sub
    const uuid = headers['Unique-ID']
    if (uuid !== undefined) this.uuid = uuid
    if (body !== undefined) this.body = body
  }
  get(name: string): string | undefined {
    return Object.prototype.hasOwnProperty.call(this.headers, name) ? this.headers[name] : undefined
  }
  variable(name: string): string | undefined {
    return this.get('variable_' + name)
  }
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

function decodeJsonEvent(body: Buffer): EslEvent | undefined {
  let obj: unknown
  try {
    obj = JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined
  // Fast path: FreeSWITCH sends every value as a string, so the parsed object is the headers.
  let plainStrings = true
  for (const k in obj) {
    if (k === '_body' || typeof (obj as Record<string, unknown>)[k] !== 'string') {
      plainStrings = false
      break
    }
  }
  if (plainStrings) return new Event(obj as Record<string, string>, undefined)
  const headers: Record<string, string> = {}
  let text: string | undefined
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (k === '_body') {
      text = typeof v === 'string' ? v : JSON.stringify(v)
      continue
    }
    if (typeof v === 'string') setHeader(headers, k, v)
    // FreeSWITCH serialises array headers as JSON arrays; plain has them as ARRAY::a|:b.
    else if (Array.isArray(v)) setHeader(headers, k, 'ARRAY::' + v.map(String).join('|:'))
    else if (v !== null && v !== undefined) setHeader(headers, k, typeof v === 'object' ? JSON.stringify(v) : String(v))
  }
  return new Event(headers, text)
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
