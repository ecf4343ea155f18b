/** Validation of schedules and holiday calendars before they are saved. */
import type { HolidayCalendar, Schedule } from './types.js';
import { ScheduleValidationError, type ValidationIssue } from './errors.js';
import { ruleIssues } from './rules.js';
import { calendarIssues } from './holidays.js';
import { isValidTimeZone } from './zone.js';

/** Problems of a schedule (empty when valid). */
export function scheduleIssues(schedule: unknown): ValidationIssue[] {
  if (typeof schedule !== 'object' || schedule === null) return [{ field: 'schedule', problem: 'must be an object' }];
  const s = schedule as Partial<Record<keyof Schedule, unknown>>;
  const issues: ValidationIssue[] = [];
  if (s.timeZone !== undefined && !isValidTimeZone(s.timeZone)) {
    issues.push({ field: 'timeZone', problem: `unknown time zone ${JSON.stringify(s.timeZone)} (an IANA name such as 'Europe/Stockholm')` });
  }
  if (!Array.isArray(s.rules)) {
    issues.push({ field: 'rules', problem: 'must be a list (may be empty)' });
  } else {
    const seen = new Map<string, number>();
    s.rules.forEach((r, i) => {
      issues.push(...ruleIssues(r, `rules[${i}]`));
      const id = (r as { id?: unknown } | null)?.id;
      if (typeof id === 'string' && id !== '') {
        const first = seen.get(id);
        if (first !== undefined) issues.push({ field: `rules[${i}].id`, problem: `'${id}' is already used by rules[${first}]` });
        else seen.set(id, i);
      }
    });
  }
  if (!Array.isArray(s.calendarIds) || !s.calendarIds.every((c) => typeof c === 'string' && c !== '')) {
    issues.push({ field: 'calendarIds', problem: 'must be a list of calendar ids (may be empty)' });
  }
  if (s.alwaysOpen !== undefined && typeof s.alwaysOpen !== 'boolean') {
    issues.push({ field: 'alwaysOpen', problem: 'must be true or false' });
  }
  return issues;
}

/** Throws {@link ScheduleValidationError} naming every invalid field of `schedule`. */
export function validateSchedule(schedule: unknown): asserts schedule is Schedule {
  const issues = scheduleIssues(schedule);
  if (issues.length > 0) throw new ScheduleValidationError(issues);
}

/** Throws {@link ScheduleValidationError} naming every invalid field of `calendar`. */
export function validateCalendar(calendar: unknown): asserts calendar is HolidayCalendar {
  const issues = calendarIssues(calendar);
  if (issues.length > 0) throw new ScheduleValidationError(issues);
}
