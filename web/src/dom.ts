/** Tiny DOM helpers shared by the pages: element builder, formatting of durations, times and percentages. */

type Child = Node | string | number | null | undefined | false
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>

/**
 * Build an element: `h('button', { class: 'primary', onclick: save }, 'Spara')`. Attributes named on* become
 * listeners; `style` is applied through the CSSOM; `true` sets a boolean attribute, false/null/undefined leave it out. Text children are escaped.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    // through the CSSOM: the pages' Content-Security-Policy (style-src 'self') blocks style attributes
    else if (k === 'style') el.style.cssText = String(v)
    else if (v === true) el.setAttribute(k, '')
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

/** Append children (flattened; strings and numbers as text). */
export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c)
  }
}

/** Replace an element's children. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren()
  append(el, children)
}

/** An element by id, or an error naming it. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (!el) throw new Error(`#${id} is missing from the page`)
  return el as T
}

/** An SVG element with attributes. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: (SVGElement | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v))
  for (const c of children) el.append(c)
  return el
}

/** Seconds as m:ss, or h:mm:ss from an hour. */
export function mmss(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}

/** A ratio 0..1 as a whole percentage, or '–' for null. */
export function pct(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? '–' : `${Math.round(ratio * 100)} %`
}

/** The zone times are shown in when no queue says otherwise (the schedule default; docs/api.md "Times and time zones"). */
export const DEFAULT_ZONE = 'Europe/Stockholm'

/** The zone of a queue's times: its schedule's, else the default. Never the browser's zone. */
export function zoneOf(q: { schedule?: { timeZone?: string } | null } | undefined): string {
  return q?.schedule?.timeZone ?? DEFAULT_ZONE
}

/** The zone these queues share, else the default. */
export function sharedZone(qs: readonly { schedule?: { timeZone?: string } | null }[]): string {
  const zones = new Set(qs.map(zoneOf))
  return zones.size === 1 ? [...zones][0] : DEFAULT_ZONE
}

/** Wall-clock parts of an instant in a zone: weekday 0 = Monday. */
export function zonedParts(
  ms: number,
  zone: string,
): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  const p: Record<string, string> = {}
  for (const x of new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms)))
    p[x.type] = x.value
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour) % 24,
    minute: Number(p.minute),
    weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(p.weekday ?? ''),
  }
}

/** '+01:00' of a zone at an instant. */
export function offsetOf(ms: number, zone: string): string {
  const p = zonedParts(ms, zone)
  const minutes = Math.round(
    (Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute) - Math.floor(ms / 60_000) * 60_000) / 60_000,
  )
  const a = Math.abs(minutes)
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
}

/** Epoch ms as date and time in a queue's zone (default Europe/Stockholm) in the page's language, with the offset. */
export function dateTime(ms: number, lang: string, zone: string = DEFAULT_ZONE): string {
  const text = new Date(ms).toLocaleString(lang === 'sv' ? 'sv-SE' : 'en-GB', {
    timeZone: zone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  })
  return `${text} ${offsetOf(ms, zone)}`
}

/** Epoch ms → `<input type=datetime-local>` value: the wall time in `zone`. */
export function toZonedInput(ms: number, zone: string): string {
  const p = zonedParts(ms, zone)
  const d = (n: number): string => String(n).padStart(2, '0')
  return `${p.year}-${d(p.month)}-${d(p.day)}T${d(p.hour)}:${d(p.minute)}`
}

/** 'YYYY-MM-DD' of the day `daysAgo` days before today in `zone`. */
export function zonedDate(now: number, zone: string, daysAgo = 0): string {
  const p = zonedParts(now, zone)
  return new Date(Date.UTC(p.year, p.month - 1, p.day - daysAgo)).toISOString().slice(0, 10)
}
