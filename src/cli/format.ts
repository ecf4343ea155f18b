/** Terminal output: aligned tables, durations and instants, and the `--json` switch. */
import { DEFAULT_TIME_ZONE } from '../config/defaults.js'
import { offsetMinutesAt, utcToZonedTime } from '../util/time-zone.js'

interface Column<T> {
  header: string
  get: (row: T) => unknown
  align?: 'left' | 'right'
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-'
  if (Array.isArray(v)) return v.length ? v.join(',') : '-'
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/** A plain aligned table (no colours, so it pipes well). */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cell(c.get(r))))
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)))
  const line = (values: string[]): string =>
    values
      .map((v, i) => (columns[i].align === 'right' ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n')
}

/** 75 → '1m15s'. */
export function duration(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '-'
  const s = Math.round(sec)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/**
 * The zone times are shown in when a row belongs to no queue with opening hours: the schedule default
 * (src/config/defaults.ts DEFAULT_TIME_ZONE). Never the host's zone: a server in UTC shows the same as a laptop.
 */
export const DISPLAY_ZONE = DEFAULT_TIME_ZONE

/** '+01:00' / '-05:00' / '+05:30' (Z is written +00:00, like the rest). */
export function offsetLabel(ms: number, timeZone: string): string {
  const m = offsetMinutesAt(ms, timeZone)
  const a = Math.abs(m)
  return `${m < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`
}

/**
 * An instant in a queue's zone with its offset, 'YYYY-MM-DD HH:MM:SS +01:00' (or '-'). The zone is the queue's
 * (its schedule's timeZone), else DISPLAY_ZONE; the host's zone (TZ) plays no part.
 */
export function instant(ms: number | null | undefined, timeZone: string = DISPLAY_ZONE): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  const local = new Date(utcToZonedTime(ms, timeZone)).toISOString()
  return `${local.slice(0, 10)} ${local.slice(11, 19)} ${offsetLabel(ms, timeZone)}`
}

/** 1 → '1 announcement', 2 → '2 announcements'. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`
}

/** Where the CLI writes (tests capture it). */
export interface Output {
  out(text: string): void
  err(text: string): void
}

export const stdio: Output = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
}
