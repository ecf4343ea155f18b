/**
 * The compiled form of a schedule: its rules and holidays turned into spans of real time
 * (instants), built per local day and cached.
 *
 * A Schedule is treated as immutable: the compiled form is cached per Schedule object (WeakMap),
 * so a changed schedule must be a new object (the store does this when it reloads a row). The
 * holiday calendars are checked by identity on every use and the day cache is dropped when they
 * change.
 */
import type { HolidayCalendar, HolidayType, OpeningRuleKind, Schedule } from './types.js'
import { DEFAULT_CLOSED_TYPES, DEFAULT_TIME_ZONE } from './types.js'
import { CompiledRule } from './rules.js'
import { builtInHolidaysOn } from './holidays.js'
import { validateSchedule } from './validate.js'
import { DAY_MS, dateOfDayNumber, localDayNumber, zonedTimeToUtc } from './zone.js'
import { parseWallTime } from './rules.js'

const MINUTE = 60_000
const MAX_CACHED_DAYS = 4000

/**
 * Levels of a span. 'builtin' = a built-in holiday of a closing type; 'custom' = a custom closed
 * date; 'unclose' = a custom force-open date, which cancels 'builtin' spans it covers.
 */
type SpanLevel = OpeningRuleKind | 'builtin' | 'custom' | 'unclose'

/** One interval [start, end) of real time during which a rule or holiday applies. */
export interface Span {
  start: number
  end: number
  level: SpanLevel
  /** Rule id or calendar id. */
  id: string
  /** Rule label/id or holiday name. */
  name: string
  /** For holidays: the built-in type, or 'custom'. */
  holidayType?: HolidayType | 'custom'
  priority: number
}

/** Converts local day + minutes after its midnight to an instant. */
export function localToInstant(day: number, minute: number, zone: string): number {
  return zonedTimeToUtc(day * DAY_MS + minute * MINUTE, zone)
}

export class CompiledSchedule {
  readonly schedule: Schedule
  readonly zone: string
  readonly rules: CompiledRule[]
  /** Spans starting on local day d can cover instants up to this many days later. */
  readonly lookbackDays: number
  readonly hasOpeningRules: boolean
  calendars: HolidayCalendar[] = []
  private readonly days = new Map<number, Span[]>()
  /** Last evaluated stretch of constant schedule state (fast path of isOpen). */
  segment?: { start: number; end: number; open: boolean }

  constructor(schedule: Schedule) {
    validateSchedule(schedule)
    this.schedule = schedule
    this.zone = schedule.timeZone ?? DEFAULT_TIME_ZONE // tolerate rows saved without a zone
    this.rules = schedule.rules.map((r) => new CompiledRule(r))
    this.lookbackDays = Math.max(1, ...this.rules.map((r) => r.spanDays - 1))
    this.hasOpeningRules = this.rules.some((r) => r.rule.kind !== 'closed')
  }

  /** Makes sure the day cache was built with these calendars (by identity). */
  useCalendars(all: readonly HolidayCalendar[]): void {
    const ids = this.schedule.calendarIds
    const resolved: HolidayCalendar[] = []
    for (const id of ids) {
      const c = all.find((x) => x.id === id)
      if (c) resolved.push(c)
    }
    const same = resolved.length === this.calendars.length && resolved.every((c, i) => c === this.calendars[i])
    if (!same) {
      this.calendars = resolved
      this.days.clear()
      this.segment = undefined
    }
  }

  /** Local day number of instant `t` in the schedule's zone. */
  dayOf(t: number): number {
    return localDayNumber(t, this.zone)
  }

  /** Instant of local midnight starting day `day`. */
  dayStart(day: number): number {
    return localToInstant(day, 0, this.zone)
  }

  /** Spans that start on local day `day` (rules) or belong to it (holidays). Cached. */
  spansOfDay(day: number): Span[] {
    let spans = this.days.get(day)
    if (spans) return spans
    spans = []
    for (const r of this.rules) {
      if (!r.occursOn(day)) continue
      const start = localToInstant(day, r.startMinute, this.zone)
      const end = localToInstant(day, r.startMinute + r.durationMinutes, this.zone)
      if (end <= start) continue // e.g. 02:00–03:00 on the spring-forward night: that hour does not exist
      spans.push({ start, end, level: r.rule.kind, id: r.rule.id, name: r.name, priority: r.rule.priority ?? 0 })
    }
    if (this.calendars.length > 0) this.holidaySpans(day, spans)
    if (this.days.size >= MAX_CACHED_DAYS) this.days.clear()
    this.days.set(day, spans)
    return spans
  }

  private holidaySpans(day: number, spans: Span[]): void {
    const date = dateOfDayNumber(day)
    const z = this.zone
    for (const cal of this.calendars) {
      const closedTypes = cal.closedTypes ?? DEFAULT_CLOSED_TYPES
      for (const h of builtInHolidaysOn(cal, date)) {
        if (!closedTypes.includes(h.type)) continue
        spans.push({
          start: localToInstant(day, h.startMinute, z),
          end: localToInstant(day + 1, 0, z),
          level: 'builtin',
          id: cal.id,
          name: h.name,
          holidayType: h.type,
          priority: 0,
        })
      }
      for (const d of cal.customDates) {
        if (d.date !== date) continue
        const startMinute = d.start === undefined ? 0 : (parseWallTime(d.start) ?? 0)
        const endMinute = d.end === undefined ? 1440 : (parseWallTime(d.end, true) ?? 1440)
        const start = localToInstant(day, startMinute, z)
        const end = localToInstant(day, endMinute, z)
        if (end <= start) continue
        spans.push({
          start,
          end,
          level: d.closed ? 'custom' : 'unclose',
          id: cal.id,
          name: d.name,
          holidayType: 'custom',
          priority: 0,
        })
      }
    }
  }

  /** All spans that may cover an instant of local days [firstDay, lastDay]. */
  spansForDays(firstDay: number, lastDay: number): Span[] {
    const out: Span[] = []
    for (let d = firstDay - this.lookbackDays; d <= lastDay; d++) {
      const s = this.spansOfDay(d)
      for (const x of s) out.push(x)
    }
    return out
  }
}

const compiledCache = new WeakMap<Schedule, CompiledSchedule>()

/**
 * The compiled form of `schedule` for these calendars, cached per Schedule object. Throws
 * ScheduleValidationError when the schedule is invalid.
 */
export function compileSchedule(schedule: Schedule, calendars: readonly HolidayCalendar[]): CompiledSchedule {
  let c = compiledCache.get(schedule)
  if (!c) {
    c = new CompiledSchedule(schedule)
    compiledCache.set(schedule, c)
  }
  c.useCalendars(calendars)
  return c
}
