import { offsetMinutesAt, utcToZonedTime } from '../core/schedule/zone.js'

/** CSV export (RFC 4180): a header from the first row's keys; objects are JSON-encoded; fields quoted when needed. */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return ''
  const keys = Object.keys(rows[0])
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [keys.join(','), ...rows.map((r) => keys.map((k) => cell(r[k])).join(','))].join('\r\n') + '\r\n'
}

/**
 * An instant for a CSV cell: ISO 8601 in a zone with its offset, '2026-11-25T13:00:00+01:00' (empty for null), so a
 * spreadsheet shows the queue's wall time and the instant stays exact (docs/api.md "Times and time zones").
 */
export function isoInZone(ms: number | null | undefined, timeZone: string): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return ''
  const m = offsetMinutesAt(ms, timeZone)
  const a = Math.abs(m)
  const off = `${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
  return `${new Date(utcToZonedTime(ms, timeZone)).toISOString().slice(0, 19)}${off}`
}
