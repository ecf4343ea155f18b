/**
 * Encoding of events and replies exactly as mod_event_socket writes them (FreeSWITCH 1.10.12).
 *
 * Plain events: `switch_event_serialize` — one `Name: url-encoded-value` line per header, then a
 * blank line; an event with a body adds `Content-Length: N` as the last header and the body after
 * the blank line. The outer frame's Content-Length counts all of that (captures: inbound-bgapi).
 * JSON events: `switch_event_serialize_json` — every value a string, body as `_body`, no trailing
 * newline; headers may repeat (cJSON_AddItemToObject), so the object is written by hand.
 */

/** One event header, in order. Header names may repeat (e.g. Hangup-Cause in CHANNEL_HANGUP_COMPLETE). */
export type Header = [name: string, value: string]

/** An event ready to be written to subscribers. */
export interface SimEvent {
  name: string
  subclass?: string
  headers: Header[]
  body?: string
  /** Unique-ID of the channel the event is about, if any. */
  uuid?: string
}

// SWITCH_URL_UNSAFE from switch_utils.h: "\r\n #%&+:;<=>?@[\\]^`{|}\""
const UNSAFE = new Set(Array.from('\r\n #%&+:;<=>?@[\\]^`{|}"').map((c) => c.charCodeAt(0)))
const HEX = '0123456789ABCDEF'

/** switch_url_encode: bytes outside ' '..'~' and the SWITCH_URL_UNSAFE set become %XX (upper case). */
export function urlEncode(value: string): string {
  let simple = true
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 32 || c > 126 || UNSAFE.has(c)) {
      simple = false
      break
    }
  }
  if (simple) return value
  const bytes = Buffer.from(value, 'utf8')
  let out = ''
  for (const b of bytes) {
    if (b < 32 || b > 126 || UNSAFE.has(b)) out += '%' + HEX[b >> 4] + HEX[b & 15]
    else out += String.fromCharCode(b)
  }
  return out
}

/** The text/event-plain frame for an event. */
export function plainEventFrame(ev: SimEvent): Buffer {
  let text = ''
  for (const [k, v] of ev.headers) text += `${k}: ${urlEncode(v)}\n`
  if (ev.body !== undefined) {
    text += `Content-Length: ${Buffer.byteLength(ev.body)}\n\n${ev.body}`
  } else {
    text += '\n'
  }
  const body = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\nContent-Type: text/event-plain\n\n`), body])
}

/** The text/event-json frame for an event. */
export function jsonEventFrame(ev: SimEvent): Buffer {
  const parts: string[] = []
  for (const [k, v] of ev.headers) parts.push(`${JSON.stringify(k)}:${JSON.stringify(v)}`)
  if (ev.body !== undefined) {
    parts.push(`"Content-Length":${JSON.stringify(String(Buffer.byteLength(ev.body)))}`)
    parts.push(`"_body":${JSON.stringify(ev.body)}`)
  }
  const body = Buffer.from(`{${parts.join(',')}}`, 'utf8')
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\nContent-Type: text/event-json\n\n`), body])
}

/** A command/reply frame (no Content-Length), optionally with extra headers after Reply-Text. */
export function commandReply(text: string, extra: Header[] = []): Buffer {
  let s = `Content-Type: command/reply\nReply-Text: ${text}\n`
  for (const [k, v] of extra) s += `${k}: ${v}\n`
  return Buffer.from(s + '\n')
}

/** An api/response frame. */
export function apiResponse(body: string): Buffer {
  const b = Buffer.from(body, 'utf8')
  return Buffer.concat([Buffer.from(`Content-Type: api/response\nContent-Length: ${b.length}\n\n`), b])
}

/** The text/disconnect-notice mod_event_socket sends before closing (captures: inbound-authfail). */
export function disconnectNotice(): Buffer {
  const b = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n'
  return Buffer.from(`Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(b)}\n\n${b}`)
}

/** Event-Date-Local / -GMT / -Timestamp values for a time (Local is rendered in UTC for determinism). */
export function eventDates(nowMs: number): { local: string; gmt: string; timestamp: string } {
  const d = new Date(nowMs)
  const p = (n: number) => String(n).padStart(2, '0')
  const local = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  return { local, gmt: d.toUTCString(), timestamp: String(Math.floor(nowMs) * 1000) }
}
