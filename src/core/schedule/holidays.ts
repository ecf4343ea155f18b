/**
 * Built-in public holidays through the date-holidays package, cached per (country, region, year),
 * and validation of holiday calendars.
 *
 * Sweden (checked against date-holidays 3.37, 'SE'): nyårsdagen, trettondedag jul, långfredagen,
 * påskdagen, annandag påsk, första maj, Kristi himmelsfärdsdag, pingstdagen, nationaldagen,
 * midsommardagen, alla helgons dag, juldagen and annandag jul are type 'public';
 * midsommarafton, julafton and nyårsafton are type 'bank'; so the default closedTypes
 * ['public', 'bank'] closes all sixteen. Half days (trettondagsafton, valborgsmässoafton,
 * allhelgonaafton from 12:00) are 'optional'; name days and the like are 'observance'.
 */
import Holidays from 'date-holidays'
import type { CustomHolidayDate, HolidayCalendar, HolidayType } from './types.js'
import { DEFAULT_COUNTRY, HOLIDAY_TYPES } from './types.js'
import { isIsoDate, parseWallTime } from './rules.js'
import type { ValidationIssue } from './errors.js'

/** A built-in holiday on one local date. */
export interface BuiltInHoliday {
  /** Local date YYYY-MM-DD. */
  date: string
  /** Minutes after local midnight at which it begins (0, or e.g. 720 for a half day). */
  startMinute: number
  /** Name with a capital first letter, e.g. 'Juldagen'. */
  name: string
  type: HolidayType
}

const instances = new Map<string, Holidays>()
const years = new Map<string, Map<string, BuiltInHoliday[]>>()

function instance(country: string, region: string | undefined): Holidays {
  const key = `${country}/${region ?? ''}`
  let hd = instances.get(key)
  if (hd === undefined) {
    hd = region ? new Holidays(country, region) : new Holidays(country)
    instances.set(key, hd)
  }
  return hd
}

function capitalise(s: string): string {
  return s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s
}

/** Built-in holidays of a year, by local date; cached per (country, region, year). */
export function builtInHolidays(
  country: string,
  region: string | undefined,
  year: number,
): Map<string, BuiltInHoliday[]> {
  const key = `${country}/${region ?? ''}/${year}`
  let byDate = years.get(key)
  if (!byDate) {
    byDate = new Map()
    const hd = instance(country, region)
    for (const h of hd.getHolidays(year) || []) {
      const date = h.date.slice(0, 10)
      const startMinute = parseWallTime(h.date.slice(11, 16)) ?? 0
      const list = byDate.get(date) ?? []
      list.push({ date, startMinute, name: capitalise(h.name), type: h.type })
      byDate.set(date, list)
    }
    years.set(key, byDate)
  }
  return byDate
}

/** Built-in holidays of `calendar` on local date `date` (all types; filter with closedTypes). */
export function builtInHolidaysOn(calendar: HolidayCalendar, date: string): BuiltInHoliday[] {
  const year = Number(date.slice(0, 4))
  return builtInHolidays(calendar.country ?? DEFAULT_COUNTRY, calendar.region, year).get(date) ?? []
}

/** Known country codes of date-holidays. */
function knownCountries(): Record<string, string> {
  return new Holidays().getCountries()
}

function customDateIssues(c: unknown, path: string): ValidationIssue[] {
  if (typeof c !== 'object' || c === null) return [{ field: path, problem: 'must be an object' }]
  const d = c as Partial<Record<keyof CustomHolidayDate, unknown>>
  const issues: ValidationIssue[] = []
  if (!isIsoDate(d.date))
    issues.push({ field: `${path}.date`, problem: `must be a date YYYY-MM-DD, got ${JSON.stringify(d.date)}` })
  if (typeof d.name !== 'string' || d.name === '')
    issues.push({ field: `${path}.name`, problem: 'must be a non-empty string' })
  if (typeof d.closed !== 'boolean')
    issues.push({ field: `${path}.closed`, problem: 'must be true (closed) or false (force open)' })
  const start = d.start === undefined ? 0 : parseWallTime(d.start)
  const end = d.end === undefined ? 1440 : parseWallTime(d.end, true)
  if (start === undefined)
    issues.push({ field: `${path}.start`, problem: `must be a wall time 'HH:MM', got ${JSON.stringify(d.start)}` })
  if (end === undefined)
    issues.push({
      field: `${path}.end`,
      problem: `must be a wall time 'HH:MM' or '24:00', got ${JSON.stringify(d.end)}`,
    })
  if (start !== undefined && end !== undefined && end <= start) {
    issues.push({
      field: `${path}.end`,
      problem: `must be after start (${(d.start as string | undefined) ?? '00:00'})`,
    })
  }
  return issues
}

/** Problems of a holiday calendar (empty when valid). */
export function calendarIssues(calendar: unknown, path = ''): ValidationIssue[] {
  const p = (f: string) => (path ? `${path}.${f}` : f)
  if (typeof calendar !== 'object' || calendar === null)
    return [{ field: path || 'calendar', problem: 'must be an object' }]
  const c = calendar as Partial<Record<keyof HolidayCalendar, unknown>>
  const issues: ValidationIssue[] = []
  if (typeof c.id !== 'string' || c.id === '') issues.push({ field: p('id'), problem: 'must be a non-empty string' })
  if (typeof c.name !== 'string' || c.name === '')
    issues.push({ field: p('name'), problem: 'must be a non-empty string' })
  const country = c.country ?? DEFAULT_COUNTRY
  let countryOk = false
  if (typeof country !== 'string' || !/^[A-Z]{2}$/.test(country) || !(country in knownCountries())) {
    issues.push({
      field: p('country'),
      problem: `unknown country ${JSON.stringify(c.country)} (an ISO 3166 code date-holidays knows, e.g. 'SE')`,
    })
  } else {
    countryOk = true
  }
  if (c.region !== undefined) {
    if (typeof c.region !== 'string') {
      issues.push({ field: p('region'), problem: 'must be a string' })
    } else if (countryOk) {
      const states = new Holidays().getStates(country as string) ?? {}
      if (!(c.region in states)) {
        const known = Object.keys(states)
        issues.push({
          field: p('region'),
          problem: `unknown region '${c.region}' of ${country as string}${known.length ? ` (known: ${known.join(', ')})` : ' (it has none)'}`,
        })
      }
    }
  }
  if (c.closedTypes !== undefined) {
    if (!Array.isArray(c.closedTypes)) {
      issues.push({ field: p('closedTypes'), problem: `must be a list of ${HOLIDAY_TYPES.join(', ')}` })
    } else {
      c.closedTypes.forEach((t, i) => {
        if (!(HOLIDAY_TYPES as readonly unknown[]).includes(t)) {
          issues.push({
            field: p(`closedTypes[${i}]`),
            problem: `unknown holiday type ${JSON.stringify(t)} (use ${HOLIDAY_TYPES.join(', ')})`,
          })
        }
      })
    }
  }
  if (!Array.isArray(c.customDates)) {
    issues.push({ field: p('customDates'), problem: 'must be a list (may be empty)' })
  } else {
    c.customDates.forEach((d, i) => issues.push(...customDateIssues(d, p(`customDates[${i}]`))))
  }
  return issues
}
