/**
 * Time-zone arithmetic with Intl only (no tz database of our own).
 *
 * "Floating" milliseconds are a local wall time written as if it were UTC: the floating ms of
 * 2026-03-29 08:00 in Europe/Stockholm is Date.UTC(2026, 2, 29, 8, 0). Rules are expanded on
 * floating dates and converted to real instants with {@link zonedTimeToUtc}.
 */

const MINUTE = 60_000
export const DAY_MS = 86_400_000
/** Offsets on days with a transition are cached per 15-minute bucket. */
const BUCKET_MS = 15 * MINUTE
const MAX_CACHE = 50_000
/** Marks a cached UTC day during which the offset changes (a sentinel no real offset equals). */
const TRANSITION_DAY = Number.MIN_SAFE_INTEGER

const formatters = new Map<string, Intl.DateTimeFormat>()
const offsetCaches = new Map<string, { days: Map<number, number>; quarters: Map<number, number> }>()

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(zone, f)
  }
  return f
}

/** True when `zone` is an IANA time zone Intl knows. */
export function isValidTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false
  try {
    formatter(zone)
    return true
  } catch {
    return false
  }
}

function computeOffsetMinutes(t: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(t))
  let y = 0,
    mo = 0,
    d = 0,
    h = 0,
    mi = 0,
    s = 0
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        y = Number(p.value)
        break
      case 'month':
        mo = Number(p.value)
        break
      case 'day':
        d = Number(p.value)
        break
      case 'hour':
        h = Number(p.value)
        break
      case 'minute':
        mi = Number(p.value)
        break
      case 'second':
        s = Number(p.value)
        break
      default:
        break
    }
  }
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s)
  const tSec = Math.floor(t / 1000) * 1000
  return Math.round((asUtc - tSec) / MINUTE)
}

/**
 * UTC offset of `zone` at instant `t`, in minutes (Stockholm: 60 in winter, 120 in summer).
 * Cached per UTC day when the offset is the same at both ends of the day (no zone changes
 * offset twice within 24 hours), else per 15 minutes, else computed each time.
 */
export function offsetMinutesAt(t: number, zone: string): number {
  let cache = offsetCaches.get(zone)
  if (!cache) {
    cache = { days: new Map(), quarters: new Map() }
    offsetCaches.set(zone, cache)
  }
  const day = Math.floor(t / DAY_MS)
  const hit = cache.days.get(day)
  if (hit !== undefined) {
    if (hit !== TRANSITION_DAY) return hit
  } else {
    const dayStart = day * DAY_MS
    const a = computeOffsetMinutes(dayStart, zone)
    const b = computeOffsetMinutes(dayStart + DAY_MS - 1, zone)
    if (cache.days.size >= MAX_CACHE) cache.days.clear()
    cache.days.set(day, a === b ? a : TRANSITION_DAY)
    if (a === b) return a
  }
  const bucket = Math.floor(t / BUCKET_MS)
  const qh = cache.quarters.get(bucket)
  if (qh !== undefined) return qh
  const start = bucket * BUCKET_MS
  const a = computeOffsetMinutes(start, zone)
  const b = computeOffsetMinutes(start + BUCKET_MS - 1, zone)
  if (a !== b) return computeOffsetMinutes(t, zone) // a transition inside the bucket: no caching
  if (cache.quarters.size >= MAX_CACHE) cache.quarters.clear()
  cache.quarters.set(bucket, a)
  return a
}

/** The floating (wall-clock-as-UTC) milliseconds of instant `t` in `zone`. */
export function utcToZonedTime(t: number, zone: string): number {
  return t + offsetMinutesAt(t, zone) * MINUTE
}

/**
 * The instant at which the local wall time `local` (a floating Date or floating ms) occurs in
 * `zone`. A wall time that does not exist (spring-forward gap) is moved forward by the length of
 * the gap (Stockholm 2026-03-29 02:30 → 03:30 CEST = 01:30Z); an ambiguous one (fall-back overlap)
 * resolves to the earlier instant (2026-10-25 02:30 → 02:30 CEST = 00:30Z). This is Temporal's
 * 'compatible' disambiguation.
 */
export function zonedTimeToUtc(local: Date | number, zone: string): number {
  const floating = typeof local === 'number' ? local : local.getTime()
  // Offsets a day either side: zones change offset at most once in such a window.
  const before = offsetMinutesAt(floating - DAY_MS, zone)
  const after = offsetMinutesAt(floating + DAY_MS, zone)
  const t1 = floating - before * MINUTE
  if (before === after) {
    // Usual case; still verify (a transition could lie between the probes and `floating`).
    if (offsetMinutesAt(t1, zone) === before) return t1
  }
  const t2 = floating - after * MINUTE
  const ok1 = offsetMinutesAt(t1, zone) === before
  const ok2 = offsetMinutesAt(t2, zone) === after
  if (ok1 && ok2) return Math.min(t1, t2) // overlap: earlier instant
  if (ok1) return t1
  if (ok2) return t2
  // Gap: use the offset from before the transition, which lands after it.
  return t1
}

/** Local day number (days since 1970-01-01 of the local calendar date) of instant `t`. */
export function localDayNumber(t: number, zone: string): number {
  return Math.floor(utcToZonedTime(t, zone) / DAY_MS)
}

/** Local day number of a 'YYYY-MM-DD' string (no validation). */
export function dayNumberOfDate(date: string): number {
  const y = Number(date.slice(0, 4))
  const m = Number(date.slice(5, 7))
  const d = Number(date.slice(8, 10))
  return Math.floor(Date.UTC(y, m - 1, d) / DAY_MS)
}

/** 'YYYY-MM-DD' of a local day number. */
export function dateOfDayNumber(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10)
}

/** Formats instant `t` as local 'HH:MM' in `zone`. */
export function formatLocalTime(t: number, zone: string): string {
  return new Date(utcToZonedTime(t, zone)).toISOString().slice(11, 16)
}

/** Formats instant `t` as local 'YYYY-MM-DD HH:MM' in `zone`. */
export function formatLocalDateTime(t: number, zone: string): string {
  const iso = new Date(utcToZonedTime(t, zone)).toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}
