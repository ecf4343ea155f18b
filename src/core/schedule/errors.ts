import { KoplusError } from '../../errors.js'

/** One problem found while validating a schedule or a holiday calendar. */
export interface ValidationIssue {
  /** Path of the offending field, e.g. 'rules[2].rrule'. */
  field: string
  /** What is wrong, e.g. "unknown FREQ 'WEEK'". */
  problem: string
}

/**
 * Thrown when a schedule, rule or holiday calendar is invalid. The message names the field and
 * what is wrong ('rules[2].rrule: unknown FREQ 'WEEK''); every problem found is in `issues`.
 */
export class ScheduleValidationError extends KoplusError {
  declare readonly code: 'KOPLUS_SCHEDULE_INVALID'
  readonly issues: ValidationIssue[]
  /** Field of the first issue. */
  readonly field: string

  constructor(issues: ValidationIssue[]) {
    super('KOPLUS_SCHEDULE_INVALID', issues.map((i) => `${i.field}: ${i.problem}`).join('; '))
    this.name = 'ScheduleValidationError'
    this.issues = issues
    this.field = issues[0]?.field ?? ''
  }
}
