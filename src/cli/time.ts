/**
 * Times typed on the command line. The rule (docs/cli.md "Times and time zones"): a time typed without an offset is
 * read in the queue's zone (its schedule's timeZone, else Europe/Stockholm), never in the host's zone (TZ).
 *
 *   now                          this instant
 *   1764500000000                epoch milliseconds (10 digits or more)
 *   +30m  +2h  +1d  +45s         from now
 *   13:00  13:00:30              a time of day in the zone: the next such time (close --from/--until), or today's
 *                                (--at, stats --from/--to); which one a command uses is its `dayTime`
 *   2026-11-25                   midnight starting that day, in the zone
 *   2026-11-25T13:00             that wall time in the zone ('T' or a space; seconds optional)
 *   2026-11-25T13:00+01:00       an explicit offset (or Z, +0100, or ' +01:00' as the CLI prints it) wins
 */
import { DEFAULT_TIME_ZONE } from '../config/defaults.js'
import { DAY_MS, isValidTimeZone, utcToZonedTime, zonedTimeToUtc } from '../util/time-zone.js'
import { parseIsoInZone } from '../util/local-time.js'
import { CliError } from './client.js'

export interface TimeContext {
  /** The reference instant (default Date.now()). */
  now?: number
  /** IANA zone a time without an offset is read in (default Europe/Stockholm). */
  zone?: string
  /** A bare time of day: 'next' = the next such time after `after`; 'today' (default) = today's in the zone. */
  dayTime?: 'next' | 'today'
  /** For dayTime 'next': the instant the time must come after (default `now`; e.g. --until after --from). */
  after?: number
}

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS } as const
export function parseTime(s: string, ctx: TimeContext | number = {}): number {
  const c: TimeContext = typeof ctx === 'number' ? { now: ctx } : ctx
  const now = c.now ?? Date.now()
  const zone = c.zone ?? DEFAULT_TIME_ZONE
  if (!isValidTimeZone(zone)) throw new CliError(`unknown time zone '${zone}'`)
  const v = s.trim()
  const bad = (why = ''): CliError =>
    new CliError(
      `cannot read the time '${s}'${why}: use HH:MM (in ${zone}), 2026-11-25T13:00 (in ${zone}), 2026-11-25T13:00+01:00, +30m / +2h / +1d, 'now', or epoch ms`,
    )
  if (v === 'now') return now
  if (/^\d{10,}$/.test(v)) return Number(v)
  const rel = /^\+(\d+)\s*([smhd])$/.exec(v)
  if (rel) return now + Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS]
  const hm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v)
  if (hm) {
    const h = Number(hm[1]),
      mi = Number(hm[2]),
      sec = Number(hm[3] ?? 0)
    if (h > 23 || mi > 59 || sec > 59) throw bad(' (no such time of day)')
    const after = c.after ?? now
    const ref = c.dayTime === 'next' ? after : now
    const today = new Date(utcToZonedTime(ref, zone))
    for (let day = 0; day < 3; day++) {
      const t = zonedTimeToUtc(
        Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + day, h, mi, sec),
        zone,
      )
      if (c.dayTime !== 'next' || t > after) return t
    }
    throw bad()
  }
  const iso = parseIsoInZone(v, zone)
  if (iso === undefined) throw bad()
  if (Number.isNaN(iso)) throw bad(' (no such date or time)')
  return iso
}
