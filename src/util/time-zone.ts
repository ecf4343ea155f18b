/**
 * Time-zone arithmetic for the shell (CLI, API input parsing) with Intl only, uncached: the same rules as the
 * engine's src/core/schedule/zone.ts (which the shell may not import and which caches for the hot path);
 * test/cli/time-zone-parity.test.ts holds the two to the same answers across DST changes in several zones.
 *
 * "Floating" milliseconds are a local wall time written as if it were UTC (2026-03-29 08:00 in Europe/Stockholm is
 * Date.UTC(2026, 2, 29, 8, 0)).
 */

const MINUTE = 60_000
export const DAY_MS = 86_400_000

const formatters = new Map<string, Intl.DateTimeFormat>()

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

/** UTC offset of `zone` at instant `t`, in minutes (Stockholm: 60 in winter, 120 in summer). */
export function offsetMinutesAt(t: number, zone: string): number {
  const v: Record<string, number> = {}
  for (const p of formatter(zone).formatToParts(new Date(t))) if (p.type !== 'literal') v[p.type] = Number(p.value)
  const asUtc = Date.UTC(v.year, v.month - 1, v.day, v.hour, v.minute, v.second)
  return Math.round((asUtc - Math.floor(t / 1000) * 1000) / MINUTE)
}

/** The floating (wall-clock-as-UTC) milliseconds of instant `t` in `zone`. */
export function utcToZonedTime(t: number, zone: string): number {
  return t + offsetMinutesAt(t, zone) * MINUTE
}

/**
 * The instant at which the floating wall time `local` occurs in `zone`, with Temporal's 'compatible'
 * disambiguation: a wall time in a spring-forward gap moves forward by the gap, one in a fall-back overlap is the
 * earlier instant.
 */
export function zonedTimeToUtc(local: number, zone: string): number {
  const before = offsetMinutesAt(local - DAY_MS, zone)
  const after = offsetMinutesAt(local + DAY_MS, zone)
  const t1 = local - before * MINUTE
  if (before === after && offsetMinutesAt(t1, zone) === before) return t1
  const t2 = local - after * MINUTE
  const ok1 = offsetMinutesAt(t1, zone) === before
  const ok2 = offsetMinutesAt(t2, zone) === after
  if (ok1 && ok2) return Math.min(t1, t2)
  if (ok2 && !ok1) return t2
  return t1
}
