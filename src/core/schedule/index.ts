/**
 * The pure schedule evaluator (SPEC S1–S3): opening rules (RRULE in a time zone), holiday
 * calendars (date-holidays, custom dates) and temporary closures. No I/O, no timers, no clock:
 * every function takes the instant it is asked about.
 */
export * from './types.js'
export { ScheduleValidationError, type ValidationIssue } from './errors.js'
export {
  validateSchedule,
  validateCalendar,
  scheduleIssues,
  ruleOccurrence,
  OCCURRENCE_HORIZON_DAYS,
} from './validate.js'
export { calendarIssues, builtInHolidays, builtInHolidaysOn, type BuiltInHoliday } from './holidays.js'
export { parseRRule, parseWallTime, isIsoDate, ruleIssues } from './rules.js'
export {
  zonedTimeToUtc,
  utcToZonedTime,
  offsetMinutesAt,
  isValidTimeZone,
  formatLocalDateTime,
  formatLocalTime,
} from './zone.js'
export {
  activeClosures,
  closureEndsAt,
  closureInForce,
  governingClosure,
  nextClosureBoundary,
  closureIntervals,
} from './closures.js'
export { isOpen, explain, stateAt } from './evaluate.js'
export type { Decision } from './decide.js'
export { transitions, nextChange, NEXT_CHANGE_HORIZON_MS } from './transitions.js'
