/**
 * Types of the pure schedule evaluator (SPEC S1–S3). Every type here is plain JSON so the
 * store can save it as it is.
 *
 * Times:
 * - Instants are epoch milliseconds (UTC), like everything else in koplus.
 * - `start` / `end` wall times ('HH:MM') and dates ('YYYY-MM-DD') are local to the schedule's
 *   time zone (`Schedule.timeZone`, default Europe/Stockholm).
 */

/** Kinds of opening rule, from weakest to strongest (see the precedence in evaluate.ts). */
export type OpeningRuleKind =
  /** A regular opening: the queue is open in each occurrence (unless something stronger closes it). */
  | 'open'
  /** An exception closing: closed in each occurrence; beats regular openings, loses to special openings. */
  | 'closed'
  /** A special opening: open in each occurrence even on a holiday or in an exception closing
   *  (e.g. the Sunday before Christmas). Only a temporary closure beats it. */
  | 'special'

export interface OpeningRule {
  /** Unique within the schedule. */
  id: string
  kind: OpeningRuleKind
  /**
   * RFC 5545 RRULE body, e.g. 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR' (an 'RRULE:' prefix is accepted).
   * FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY. DTSTART, TZID, BYHOUR, BYMINUTE and BYSECOND are
   * refused: the time of day comes from `start`, the zone from the schedule, and the anchor of the
   * recurrence from `from`. The rule is expanded on local calendar dates, so UNTIL is read as a
   * local date too. A rule whose days depend on its anchor (INTERVAL > 1, COUNT, WEEKLY without
   * BYDAY, MONTHLY without BYMONTHDAY/BYDAY, YEARLY without a day selector) needs `from`.
   */
  rrule: string
  /** Local wall time 'HH:MM' at which each occurrence begins. */
  start: string
  /**
   * Length of each occurrence in wall-clock minutes (1..10080): the occurrence ends at the local
   * wall time start + duration, so 08:00 + 540 is 08:00–17:00 local on every day, DST days
   * included, and 22:00 + 600 ends at 08:00 local the next morning. On a DST night the real
   * length differs by the shift. Wall times that do not exist (spring-forward gap) move forward
   * by the gap (02:30 → 03:30); ambiguous ones (fall-back overlap) take the earlier instant.
   */
  durationMinutes: number
  /** First local date (YYYY-MM-DD, inclusive) on which an occurrence may start; the recurrence anchor. */
  from?: string
  /** Last local date (YYYY-MM-DD, inclusive) on which an occurrence may start. */
  until?: string
  /** Name shown in explanations; the id is used when absent. */
  label?: string
  /** Only chooses which rule is named when several rules of the same kind cover an instant (higher first). */
  priority?: number
}

export interface Schedule {
  /** IANA zone; 'Europe/Stockholm' (DEFAULT_TIME_ZONE) is used if a stored row lacks it. */
  timeZone: string
  rules: OpeningRule[]
  /** Holiday calendars that apply (ids of HolidayCalendar); unknown ids are ignored by the evaluator. */
  calendarIds: string[]
  /** When true the queue is open whenever no rule, holiday or closure says otherwise. */
  alwaysOpen?: boolean
}

export type HolidayType = 'public' | 'bank' | 'observance' | 'school' | 'optional'

export interface CustomHolidayDate {
  /** Local date YYYY-MM-DD. */
  date: string
  name: string
  /**
   * true: closed that day (or from `start` to `end`).
   * false: "force open": the built-in holidays of that date (from any calendar of the schedule)
   * do not close the queue that day (or from `start` to `end`); the opening rules decide.
   */
  closed: boolean
  /** Local 'HH:MM', default 00:00. */
  start?: string
  /** Local 'HH:MM' or '24:00', default 24:00 (end of the day). */
  end?: string
}

export interface HolidayCalendar {
  id: string
  name: string
  /** ISO 3166 country code for the built-in holidays (date-holidays), default 'SE'. */
  country?: string
  /** Optional region (state) code of the country, as date-holidays names it. */
  region?: string
  /** Which built-in holiday types close the queue; default ['public', 'bank']. */
  closedTypes?: HolidayType[]
  customDates: CustomHolidayDate[]
}

/** A temporary closure (S2). The caller resolves list/tag/tenant into queueIds. */
export interface Closure {
  id: string
  queueIds: string[]
  /** Instant the closure begins (may be in the future: a planned window). */
  from: number
  /** Instant it ends by itself; undefined = until reopened. */
  until?: number
  reason: string
  /** Who closed. */
  by: string
  createdAt: number
  /** Instant it was reopened by hand, if it was. */
  reopenedAt?: number
  /** Optional closure message (prompt name) played instead of the queue's closed message. */
  messagePrompt?: string
}

type DecidedByKind = 'rule' | 'exception' | 'holiday' | 'closure' | 'default'

export interface DecidedBy {
  kind: DecidedByKind
  /** Rule id, closure id, calendar id (holiday). */
  id?: string
  /** Rule label, closure reason, holiday name. */
  name?: string
}

export interface Explanation {
  open: boolean
  /** Human reason, e.g. 'open: rule "Weekdays" 08:00–17:00', 'closed: holiday Juldagen (public)'. */
  reason: string
  decidedBy: DecidedBy
  /** Next instant at which open/closed flips (within the search horizon), if any. */
  nextChange?: number
  /** When open: the instant it closes (= nextChange). */
  openUntil?: number
}

export interface Transition {
  at: number
  open: boolean
  reason: string
}

export const DEFAULT_TIME_ZONE = 'Europe/Stockholm'
export const DEFAULT_COUNTRY = 'SE'
export const DEFAULT_CLOSED_TYPES: readonly HolidayType[] = ['public', 'bank']
export const HOLIDAY_TYPES: readonly HolidayType[] = ['public', 'bank', 'observance', 'school', 'optional']
/** Longest allowed occurrence: 7 days. */
export const MAX_DURATION_MINUTES = 7 * 24 * 60
