/** Local calendar arithmetic for reports (month and day/hour buckets in an IANA zone), with Intl only. */

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timeZone, f)
  }
  return f
}

interface LocalParts {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

/** The local wall-clock parts of an instant in a zone. Throws RangeError for an unknown zone. */
function localParts(ms: number, timeZone: string): LocalParts {
  const p: Record<string, number> = {}
  for (const part of formatter(timeZone).formatToParts(new Date(ms)))
    if (part.type !== 'literal') p[part.type] = Number(part.value)
  return {
    year: p.year,
    month: p.month,
    day: p.day,
    hour: p.hour === 24 ? 0 : p.hour,
    minute: p.minute,
    second: p.second,
  }
}

/** Offset (local - UTC) in ms at an instant. */
function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone)
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second)
  return asUtc - Math.floor(ms / 1000) * 1000
}

/** The instant of a local wall time (month may overflow, e.g. 13 → January next year). */
export function localToInstant(year: number, month: number, day: number, hour: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, day, hour)
  const first = guess - offsetAt(guess, timeZone)
  const second = guess - offsetAt(first, timeZone)
  return second
}

/** [start, end) of a month 'YYYY-MM' in a zone. */
export function monthRange(month: string, timeZone: string): { start: number; end: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month)
  if (!m) throw new RangeError(`month: expected YYYY-MM, got ${JSON.stringify(month)}`)
  const y = Number(m[1])
  const mo = Number(m[2])
  return { start: localToInstant(y, mo, 1, 0, timeZone), end: localToInstant(y, mo + 1, 1, 0, timeZone) }
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** Bucket label of an instant: 'YYYY-MM-DD' (day) or 'YYYY-MM-DD HH' (hour), local. */
export function bucketOf(ms: number, bucket: 'day' | 'hour', timeZone: string): string {
  const p = localParts(ms, timeZone)
  const day = `${p.year}-${pad(p.month)}-${pad(p.day)}`
  return bucket === 'day' ? day : `${day} ${pad(p.hour)}`
}

/** Check an IANA zone name; throws RangeError naming it. */
export function checkTimeZone(timeZone: string): void {
  try {
    formatter(timeZone)
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(timeZone)}`)
  }
}
