/** Times given on the command line: ISO 8601, 'HH:MM' (today, local time), '+30m' / '+2h' / '+1d', 'now', epoch ms. */
import { CliError } from './client.js'

export function parseTime(s: string, now: number = Date.now()): number {
  const v = s.trim()
  if (v === 'now') return now
  if (/^\d{10,}$/.test(v)) return Number(v)
  const rel = /^\+(\d+)\s*([smhd])$/.exec(v)
  if (rel) return now + Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd']
  const hm = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(v)
  if (hm) {
    const d = new Date(now)
    d.setHours(Number(hm[1]), Number(hm[2]), 0, 0)
    return d.getTime()
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const t = Date.parse(v)
    if (!Number.isNaN(t)) return t
  }
  throw new CliError(`cannot read the time '${s}': use ISO 8601 (2026-11-25T13:00), HH:MM (today), +30m / +2h / +1d, or 'now'`)
}
