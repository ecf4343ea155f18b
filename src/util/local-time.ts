/**
 * ISO 8601 dates and date-times as typed by people (CLI) and API clients, with the rule of docs/api.md "Times and
 * time zones": a date-time without an offset is a wall time in the given zone (the queue's), never in the host's.
 * Pure: no clock, no host zone.
 */
import { zonedTimeToUtc } from './time-zone.js'

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i

/**
 * '2026-11-25' (midnight starting the day in `zone`), '2026-11-25T13:00[:30[.250]]' or with a space (that wall time
 * in `zone`), either with 'Z' / '+01:00' / '+0100' / ' +01:00' (exactly that instant). undefined: not such a string;
 * NaN: shaped like one but no such date or time (2026-02-30, 24:00).
 */
export function parseIsoInZone(s: string, zone: string): number | undefined {
  const m = ISO_RE.exec(s.trim())
  if (!m) return undefined
  const [, y, mo, d, h, mi, sec, frac, off] = m
  const [Y, M, D, H, MI, S] = [y, mo, d, h ?? '0', mi ?? '0', sec ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  if (M < 1 || M > 12 || H > 23 || MI > 59 || S > 59) return NaN
  const floating = Date.UTC(Y, M - 1, D, H, MI, S, Number((frac ?? '0').padEnd(3, '0')))
  if (new Date(floating).getUTCDate() !== D) return NaN
  if (!off) return zonedTimeToUtc(floating, zone)
  if (off.toUpperCase() === 'Z') return floating
  const o = /^([+-])(\d{2}):?(\d{2})$/.exec(off)!
  const minutes = Number(o[2]) * 60 + Number(o[3])
  if (Number(o[2]) > 23 || Number(o[3]) > 59) return NaN
  return floating - (o[1] === '-' ? -1 : 1) * minutes * 60_000
}
