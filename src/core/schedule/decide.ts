/**
 * The decision at one instant. Precedence, strongest first:
 *
 *   1. an active temporary closure of the queue          → closed  (decidedBy 'closure')
 *   2. a special opening rule (kind 'special')           → open    (decidedBy 'exception')
 *   3. a holiday: a custom closed date of a calendar, or → closed  (decidedBy 'holiday')
 *      a built-in holiday of a closing type not cancelled
 *      by a custom force-open date (closed: false)
 *   4. an exception closing rule (kind 'closed')         → closed  (decidedBy 'exception')
 *   5. a regular opening rule (kind 'open')              → open    (decidedBy 'rule')
 *   6. nothing applies: open if alwaysOpen, else closed  (decidedBy 'default')
 *
 * So a special opening opens a queue on a holiday (the Sunday before Christmas) and inside an
 * exception closing; a holiday closes over the regular hours; a temporary closure beats all.
 * A force-open custom date only cancels built-in holidays: on that date the opening rules decide.
 */
import type { Closure, DecidedBy } from './types.js'
import type { CompiledSchedule, Span } from './timeline.js'
import { closureEndsAt, governingClosure } from './closures.js'
import { formatLocalDateTime, formatLocalTime, localDayNumber } from './zone.js'

export interface Decision {
  open: boolean
  reason: string
  decidedBy: DecidedBy
}

function better(a: Span | undefined, b: Span): Span {
  if (!a) return b
  if (b.priority !== a.priority) return b.priority > a.priority ? b : a
  return b.end > a.end ? b : a
}

function window(s: Span, zone: string): string {
  return `${formatLocalTime(s.start, zone)}–${formatLocalTime(s.end, zone)}`
}

/** What decided the schedule's state at an instant: the winning span, or the default. */
export interface Pick {
  open: boolean
  /** 'special' | 'holiday' | 'closed' | 'open', or 'default' when no span applies. */
  level: 'special' | 'holiday' | 'closed' | 'open' | 'default'
  span?: Span
}

/** The schedule alone (no closures) at `t`, given every span that may cover `t`. */
export function pickSchedule(c: CompiledSchedule, spans: readonly Span[], t: number): Pick {
  let special: Span | undefined
  let custom: Span | undefined
  let builtin: Span | undefined
  let unclosed = false
  let closing: Span | undefined
  let open: Span | undefined
  for (const s of spans) {
    if (t < s.start || t >= s.end) continue
    switch (s.level) {
      case 'special':
        special = better(special, s)
        break
      case 'custom':
        custom = better(custom, s)
        break
      case 'builtin':
        builtin = better(builtin, s)
        break
      case 'unclose':
        unclosed = true
        break
      case 'closed':
        closing = better(closing, s)
        break
      case 'open':
        open = better(open, s)
        break
    }
  }
  if (special) return { open: true, level: 'special', span: special }
  const holiday = custom ?? (unclosed ? undefined : builtin)
  if (holiday) return { open: false, level: 'holiday', span: holiday }
  if (closing) return { open: false, level: 'closed', span: closing }
  if (open) return { open: true, level: 'open', span: open }
  return { open: c.schedule.alwaysOpen === true, level: 'default' }
}

/** Words for a pick (kept apart from pickSchedule so the fast path formats nothing). */
export function describePick(c: CompiledSchedule, p: Pick): Decision {
  const z = c.zone
  const s = p.span
  if (s) {
    switch (p.level) {
      case 'special':
        return {
          open: true,
          reason: `open: special opening "${s.name}" ${window(s, z)}`,
          decidedBy: { kind: 'exception', id: s.id, name: s.name },
        }
      case 'holiday':
        return {
          open: false,
          reason: `closed: holiday ${s.name} (${s.holidayType})`,
          decidedBy: { kind: 'holiday', id: s.id, name: s.name },
        }
      case 'closed':
        return {
          open: false,
          reason: `closed: exception "${s.name}" ${window(s, z)}`,
          decidedBy: { kind: 'exception', id: s.id, name: s.name },
        }
      case 'open':
        return {
          open: true,
          reason: `open: rule "${s.name}" ${window(s, z)}`,
          decidedBy: { kind: 'rule', id: s.id, name: s.name },
        }
      default:
        break
    }
  }
  if (p.open) return { open: true, reason: 'open: always open', decidedBy: { kind: 'default' } }
  return {
    open: false,
    reason: c.hasOpeningRules ? 'closed: outside opening hours' : 'closed: no opening hours',
    decidedBy: { kind: 'default' },
  }
}

/** Decision for a closed-by-closure instant, from the closures in force. */
export function decideClosure(active: readonly Closure[], zone: string, t: number): Decision | undefined {
  const g = governingClosure(active)
  if (!g) return undefined
  const end = closureEndsAt(g)
  let until = 'until reopened'
  if (end !== undefined) {
    until =
      localDayNumber(end, zone) === localDayNumber(t, zone)
        ? `until ${formatLocalTime(end, zone)}`
        : `until ${formatLocalDateTime(end, zone)}`
  }
  return {
    open: false,
    reason: `closed: temporary closure "${g.reason}" by ${g.by} ${until}`,
    decidedBy: { kind: 'closure', id: g.id, name: g.reason },
  }
}
