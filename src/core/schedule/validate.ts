/** Validation of schedules and holiday calendars before they are saved. */
import type { HolidayCalendar, Schedule } from './types.js'
import { ScheduleValidationError, type ValidationIssue } from './errors.js'
import { CompiledRule, ruleIssues } from './rules.js'
import { DEFAULT_TIME_ZONE, type OpeningRule } from './types.js'
import { dayNumberOfDate, localDayNumber } from './zone.js'
import { calendarIssues } from './holidays.js'
import { isValidTimeZone } from './zone.js'

/** Problems of a schedule (empty when valid). */
export function scheduleIssues(schedule: unknown): ValidationIssue[] {
  if (typeof schedule !== 'object' || schedule === null) return [{ field: 'schedule', problem: 'must be an object' }]
  const s = schedule as Partial<Record<keyof Schedule, unknown>>
  const issues: ValidationIssue[] = []
  if (s.timeZone !== undefined && !isValidTimeZone(s.timeZone)) {
    issues.push({
      field: 'timeZone',
      problem: `unknown time zone ${JSON.stringify(s.timeZone)} (an IANA name such as 'Europe/Stockholm')`,
    })
  }
  if (!Array.isArray(s.rules)) {
    issues.push({ field: 'rules', problem: 'must be a list (may be empty)' })
  } else {
    const seen = new Map<string, number>()
    s.rules.forEach((r, i) => {
      issues.push(...ruleIssues(r, `rules[${i}]`))
      const id = (r as { id?: unknown } | null)?.id
      if (typeof id === 'string' && id !== '') {
        const first = seen.get(id)
        if (first !== undefined)
          issues.push({ field: `rules[${i}].id`, problem: `'${id}' is already used by rules[${first}]` })
        else seen.set(id, i)
      }
    })
  }
  if (!Array.isArray(s.calendarIds) || !s.calendarIds.every((c) => typeof c === 'string' && c !== '')) {
    issues.push({ field: 'calendarIds', problem: 'must be a list of calendar ids (may be empty)' })
  }
  if (s.alwaysOpen !== undefined && typeof s.alwaysOpen !== 'boolean') {
    issues.push({ field: 'alwaysOpen', problem: 'must be true or false' })
  }
  return issues
}

/** Throws {@link ScheduleValidationError} naming every invalid field of `schedule`. */
export function validateSchedule(schedule: unknown): asserts schedule is Schedule {
  const issues = scheduleIssues(schedule)
  if (issues.length > 0) throw new ScheduleValidationError(issues)
}

/** Throws {@link ScheduleValidationError} naming every invalid field of `calendar`. */
export function validateCalendar(calendar: unknown): asserts calendar is HolidayCalendar {
  const issues = calendarIssues(calendar)
  if (issues.length > 0) throw new ScheduleValidationError(issues)
}

/** How far ahead a rule is looked for: 8 years, so that a rule of 29 February is found. */
export const OCCURRENCE_HORIZON_DAYS = 8 * 366

/**
 * Whether a valid rule (it passed ruleIssues) still occurs, seen from instant `now` in `zone`:
 * - 'never': it has no occurrence at all from today (or its first date) on within 8 years — e.g. 30 February,
 *   or a COUNT/UNTIL that ends before its first occurrence: an error;
 * - 'ended': it had its last day before today (`until` in the past): harmless, but it opens or closes nothing
 *   any more (a warning);
 * - 'occurs': it occurs.
 */
export function ruleOccurrence(rule: OpeningRule, zone: string | undefined, now: number): 'occurs' | 'ended' | 'never' {
  const today = localDayNumber(now, zone ?? DEFAULT_TIME_ZONE) // rows saved without a zone use the default
  if (rule.until !== undefined && dayNumberOfDate(rule.until) < today) return 'ended'
  const compiled = new CompiledRule(rule)
  // an occurrence that started in the last days may still be running today
  const start = Math.max(today, rule.from !== undefined ? dayNumberOfDate(rule.from) : today)
  if (compiled.firstOccurrence(today - compiled.spanDays, start + OCCURRENCE_HORIZON_DAYS) !== undefined)
    return 'occurs'
  // COUNT used up, or an anchored rule whose dates all lie before today
  if (rule.from !== undefined && compiled.firstOccurrence(dayNumberOfDate(rule.from), today - 1) !== undefined)
    return 'ended'
  return 'never'
}
