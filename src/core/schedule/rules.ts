/**
 * Opening rules: RRULE parsing and validation, and expansion of a rule into the local dates on
 * which it occurs. Expansion runs on floating dates (local wall time written as UTC), so DST never
 * moves an occurrence; evaluate.ts turns each local start/end into an instant.
 */
import rrulePkg from 'rrule'
import type { RRule as RRuleType } from 'rrule'
import type { OpeningRule } from './types.js'
import { MAX_DURATION_MINUTES } from './types.js'
import { DAY_MS, dayNumberOfDate } from './zone.js'

const { rrulestr, RRule } = rrulePkg

const FREQS = ['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'] as const
type Freq = (typeof FREQS)[number]
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU']

/** The parts of an RRULE body we accept, already checked. */
interface ParsedRRule {
  /** Normalised body (no 'RRULE:' prefix), as handed to rrulestr. */
  body: string
  freq: Freq
  parts: Map<string, string>
}

/** 'HH:MM' → minutes since midnight, or undefined if malformed. `allow24` admits '24:00'. */
export function parseWallTime(s: unknown, allow24 = false): number | undefined {
  if (typeof s !== 'string') return undefined
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(s)
  if (!m) return undefined
  const h = Number(m[1])
  const mi = Number(m[2])
  if (h === 24 && !(allow24 && mi === 0)) return undefined
  return h * 60 + mi
}

/** True when `s` is a real calendar date 'YYYY-MM-DD'. */
export function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

function intList(value: string, min: number, max: number, allowNegative: boolean): string | undefined {
  for (const item of value.split(',')) {
    if (!/^[+-]?\d+$/.test(item)) return `'${item}' is not a number`
    const n = Number(item)
    const abs = Math.abs(n)
    if (n === 0 || abs < min || abs > max || (n < 0 && !allowNegative)) {
      return `'${item}' is out of range (${allowNegative ? `±${min}..${max}` : `${min}..${max}`})`
    }
  }
  return undefined
}

/**
 * Parses and checks an RRULE body. Returns the parsed rule or a problem description (without
 * the field name).
 */
export function parseRRule(input: unknown): ParsedRRule | string {
  if (typeof input !== 'string' || input.trim() === '') return 'must be a non-empty RRULE string'
  let body = input.trim()
  if (/^RRULE:/i.test(body)) body = body.slice(6)
  if (/[\r\n]/.test(body) || /^DTSTART/i.test(body)) {
    return "only the RRULE body is accepted (no DTSTART line: anchor the rule with 'from')"
  }
  const parts = new Map<string, string>()
  for (const raw of body.split(';')) {
    if (raw === '') continue
    const eq = raw.indexOf('=')
    if (eq <= 0) return `'${raw}' is not KEY=VALUE`
    const key = raw.slice(0, eq).toUpperCase()
    const value = raw.slice(eq + 1).toUpperCase()
    if (parts.has(key)) return `${key} given twice`
    if (value === '') return `${key} has no value`
    parts.set(key, value)
  }
  const freq = parts.get('FREQ')
  if (freq === undefined) return 'FREQ is missing'
  if (!(FREQS as readonly string[]).includes(freq)) {
    return `unknown FREQ '${freq}' (use ${FREQS.join(', ')})`
  }
  for (const [key, value] of parts) {
    let problem: string | undefined
    switch (key) {
      case 'FREQ':
        break
      case 'INTERVAL':
      case 'COUNT':
        if (!/^\d+$/.test(value) || Number(value) < 1) problem = `must be a positive integer, got '${value}'`
        break
      case 'UNTIL':
        if (
          !/^\d{8}(T\d{6}Z?)?$/.test(value) ||
          !isIsoDate(`${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6, 8)}`)
        ) {
          problem = `must be a date YYYYMMDD or YYYYMMDDTHHMMSS, got '${value}'`
        }
        break
      case 'BYDAY':
        for (const d of value.split(',')) {
          const m = /^([+-]?\d{1,2})?([A-Z]{2})$/.exec(d)
          if (!m || !WEEKDAYS.includes(m[2])) {
            problem = `'${d}' is not a weekday (MO, TU, WE, TH, FR, SA, SU, optionally with an ordinal like 1MO or -1FR)`
            break
          }
          if (m[1] !== undefined) {
            const n = Math.abs(Number(m[1]))
            if (n === 0 || n > 53) {
              problem = `ordinal in '${d}' is out of range`
              break
            }
            if (freq !== 'MONTHLY' && freq !== 'YEARLY') {
              problem = `ordinal '${d}' only makes sense with FREQ=MONTHLY or YEARLY`
              break
            }
          }
        }
        break
      case 'BYMONTHDAY':
        problem = intList(value, 1, 31, true)
        break
      case 'BYMONTH':
        problem = intList(value, 1, 12, false)
        break
      case 'BYYEARDAY':
        problem = intList(value, 1, 366, true)
        break
      case 'BYWEEKNO':
        problem = intList(value, 1, 53, true)
        break
      case 'BYSETPOS':
        problem = intList(value, 1, 366, true)
        break
      case 'WKST':
        if (!WEEKDAYS.includes(value)) problem = `'${value}' is not a weekday`
        break
      case 'BYHOUR':
      case 'BYMINUTE':
      case 'BYSECOND':
        problem = "time of day comes from the rule's 'start', not from the RRULE"
        break
      case 'TZID':
      case 'DTSTART':
        problem = "not accepted: the zone comes from the schedule and the anchor from 'from'"
        break
      default:
        problem = `unknown RRULE part '${key}'`
    }
    if (problem !== undefined) return `${key}: ${problem}`
  }
  if (parts.has('COUNT') && parts.has('UNTIL')) return 'COUNT and UNTIL cannot both be given'
  if (parts.has('BYWEEKNO') && freq !== 'YEARLY') return 'BYWEEKNO needs FREQ=YEARLY'
  if (parts.has('BYYEARDAY') && (freq === 'MONTHLY' || freq === 'WEEKLY'))
    return `BYYEARDAY cannot be used with FREQ=${freq}`
  if (parts.has('BYMONTHDAY') && freq === 'WEEKLY') return 'BYMONTHDAY cannot be used with FREQ=WEEKLY'
  const normal = [...parts].map(([k, v]) => `${k}=${v}`).join(';')
  return { body: normal, freq: freq as Freq, parts }
}

/**
 * True when the rule's set of dates does not depend on its anchor date, so it can be expanded
 * one year at a time from 1 January.
 */
function isAnchorFree(p: ParsedRRule): boolean {
  if (p.parts.has('COUNT')) return false
  if ((p.parts.get('INTERVAL') ?? '1') !== '1') return false
  const has = (k: string) => p.parts.has(k)
  switch (p.freq) {
    case 'DAILY':
      return true
    case 'WEEKLY':
      return has('BYDAY')
    case 'MONTHLY':
      return has('BYMONTHDAY') || has('BYDAY')
    case 'YEARLY':
      return (
        has('BYYEARDAY') ||
        has('BYWEEKNO') ||
        (has('BYMONTH') && (has('BYMONTHDAY') || has('BYDAY'))) ||
        (!has('BYMONTH') && has('BYDAY'))
      )
  }
}

/** Validates one rule; returns issues with fields prefixed by `path` (e.g. 'rules[2]'). */
export function ruleIssues(rule: unknown, path: string): { field: string; problem: string }[] {
  const issues: { field: string; problem: string }[] = []
  if (typeof rule !== 'object' || rule === null) return [{ field: path, problem: 'must be an object' }]
  const r = rule as Partial<Record<keyof OpeningRule, unknown>>
  if (typeof r.id !== 'string' || r.id === '')
    issues.push({ field: `${path}.id`, problem: 'must be a non-empty string' })
  if (r.kind !== 'open' && r.kind !== 'closed' && r.kind !== 'special') {
    issues.push({
      field: `${path}.kind`,
      problem: `must be 'open', 'closed' or 'special', got ${JSON.stringify(r.kind)}`,
    })
  }
  const parsed = parseRRule(r.rrule)
  if (typeof parsed === 'string') issues.push({ field: `${path}.rrule`, problem: parsed })
  if (parseWallTime(r.start) === undefined) {
    issues.push({
      field: `${path}.start`,
      problem: `must be a wall time 'HH:MM' (00:00–23:59), got ${JSON.stringify(r.start)}`,
    })
  }
  const d = r.durationMinutes
  if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0 || d > MAX_DURATION_MINUTES) {
    issues.push({
      field: `${path}.durationMinutes`,
      problem: `must be a whole number of minutes from 1 to ${MAX_DURATION_MINUTES}, got ${JSON.stringify(d)}`,
    })
  }
  if (r.from !== undefined && !isIsoDate(r.from))
    issues.push({ field: `${path}.from`, problem: `must be a date YYYY-MM-DD, got ${JSON.stringify(r.from)}` })
  if (r.until !== undefined && !isIsoDate(r.until))
    issues.push({ field: `${path}.until`, problem: `must be a date YYYY-MM-DD, got ${JSON.stringify(r.until)}` })
  if (isIsoDate(r.from) && isIsoDate(r.until) && r.from > r.until) {
    issues.push({ field: `${path}.until`, problem: `is before 'from' (${r.from})` })
  }
  if (typeof parsed !== 'string' && r.from === undefined && !isAnchorFree(parsed)) {
    issues.push({
      field: `${path}.from`,
      problem: `is required for '${parsed.body}' (INTERVAL, COUNT or a FREQ without a day selector depends on the first date)`,
    })
  }
  if (r.label !== undefined && typeof r.label !== 'string')
    issues.push({ field: `${path}.label`, problem: 'must be a string' })
  if (r.priority !== undefined && (typeof r.priority !== 'number' || !Number.isFinite(r.priority))) {
    issues.push({ field: `${path}.priority`, problem: 'must be a finite number' })
  }
  return issues
}

/** A validated rule ready for expansion; caches its occurrence days per local year. */
export class CompiledRule {
  readonly rule: OpeningRule
  /** Start of each occurrence, minutes after local midnight. */
  readonly startMinute: number
  readonly durationMinutes: number
  /** How many days before a local date an occurrence covering it may have started. */
  readonly spanDays: number
  readonly name: string
  private readonly parsed: ParsedRRule
  private readonly anchorFree: boolean
  private readonly fromDay: number
  private readonly untilDay: number
  private anchored?: RRuleType
  private readonly years = new Map<number, Set<number>>()

  /** `rule` must have passed {@link ruleIssues}. */
  constructor(rule: OpeningRule) {
    this.rule = rule
    this.parsed = parseRRule(rule.rrule) as ParsedRRule
    this.anchorFree = isAnchorFree(this.parsed)
    this.startMinute = parseWallTime(rule.start)!
    this.durationMinutes = rule.durationMinutes
    this.spanDays = Math.ceil((this.startMinute + this.durationMinutes) / 1440)
    this.fromDay = rule.from !== undefined ? dayNumberOfDate(rule.from) : -Infinity
    this.untilDay = rule.until !== undefined ? dayNumberOfDate(rule.until) : Infinity
    this.name = rule.label ?? rule.id
  }

  /** True when an occurrence starts on local day number `day`. */
  occursOn(day: number): boolean {
    if (day < this.fromDay || day > this.untilDay) return false
    const year = new Date(day * DAY_MS).getUTCFullYear()
    let set = this.years.get(year)
    if (!set) {
      set = this.expandYear(year)
      this.years.set(year, set)
    }
    return set.has(day)
  }

  /**
   * The first local day in [day, lastDay] on which an occurrence starts, or undefined. The search is capped at
   * lastDay (an UNTIL added to the rule), so a rule that never matches (30 February) costs no more than the span:
   * uncapped, rrule would look for it year by year up to 9999.
   */
  firstOccurrence(day: number, lastDay: number): number | undefined {
    const lo = Math.max(day, this.fromDay)
    const hi = Math.min(lastDay, this.untilDay)
    if (lo > hi) return undefined
    const dtstart = new Date((this.anchorFree ? lo : this.fromDay) * DAY_MS)
    const parsed = rrulestr(`RRULE:${this.parsed.body}`, { dtstart }) as RRuleType
    const capped = new RRule({ ...parsed.origOptions, dtstart, until: new Date(hi * DAY_MS + DAY_MS - 1) })
    const d = capped.after(new Date(lo * DAY_MS), true)
    return d ? Math.floor(d.getTime() / DAY_MS) : undefined
  }

  private expandYear(year: number): Set<number> {
    const yearStart = Date.UTC(year, 0, 1)
    const yearEnd = Date.UTC(year + 1, 0, 1) - 1
    let r: RRuleType
    if (this.anchorFree) {
      const anchor = Math.max(yearStart, Number.isFinite(this.fromDay) ? this.fromDay * DAY_MS : yearStart)
      if (anchor > yearEnd) return new Set()
      r = rrulestr(`RRULE:${this.parsed.body}`, { dtstart: new Date(anchor) }) as RRuleType
    } else {
      this.anchored ??= rrulestr(`RRULE:${this.parsed.body}`, { dtstart: new Date(this.fromDay * DAY_MS) }) as RRuleType
      r = this.anchored
    }
    const days = new Set<number>()
    for (const d of r.between(new Date(yearStart), new Date(yearEnd), true)) {
      days.add(Math.floor(d.getTime() / DAY_MS))
    }
    return days
  }
}
