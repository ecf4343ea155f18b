/** Terminal output: aligned tables, durations and instants, and the `--json` switch. */

export interface Column<T> {
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
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)))
  const line = (values: string[]): string =>
    values.map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd()
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

/** An instant in local time, 'YYYY-MM-DD HH:MM:SS' (or '-'). */
export function instant(ms: number | null | undefined, timeZone?: string): string {
  if (ms === null || ms === undefined) return '-'
  const d = new Date(ms)
  const parts = new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }).format(d)
  return parts.replace(',', '')
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
