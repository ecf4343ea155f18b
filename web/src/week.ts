/**
 * The weekly view of a queue's opening rules: a 7-column grid (Monday..Sunday) with a block for each weekly or
 * daily rule's occurrence. Rules with other recurrences (monthly, yearly, dated) are listed beside the grid.
 */
import { h, zonedParts } from './dom.js'
import { t } from './i18n.js'

export interface OpeningRule {
  id: string
  kind: 'open' | 'closed' | 'special'
  rrule: string
  start: string
  durationMinutes: number
  from?: string
  until?: string
  label?: string
}

export const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const
const NAMES: Record<string, string[]> = {
  sv: ['Mån', 'Tis', 'Ons', 'Tor', 'Fre', 'Lör', 'Sön'],
  en: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'],
}

/** Day names of the language, Monday first. */
export function dayNames(lang: string): string[] {
  return NAMES[lang] ?? NAMES.sv
}

/** The weekday columns (0 = Monday) a rule occurs on, or undefined when it is not a plain weekly/daily rule. */
export function ruleDays(rrule: string): number[] | undefined {
  const parts = new Map(rrule.split(';').map((p) => p.split('=') as [string, string]))
  const freq = parts.get('FREQ')
  if ((parts.get('INTERVAL') ?? '1') !== '1') return undefined
  if (freq === 'DAILY' && !parts.has('BYDAY')) return [0, 1, 2, 3, 4, 5, 6]
  if (freq !== 'WEEKLY' && freq !== 'DAILY') return undefined
  const by = parts.get('BYDAY')
  if (!by) return undefined
  const days = by.split(',').map((d) => WEEKDAYS.indexOf(d.trim() as (typeof WEEKDAYS)[number]))
  return days.some((d) => d < 0) ? undefined : days
}

/** 'HH:MM' → minutes after midnight. */
export function minutesOf(hhmm: string): number {
  const [hh, mm] = hhmm.split(':').map(Number)
  return (hh ?? 0) * 60 + (mm ?? 0)
}

/** Minutes after midnight → 'HH:MM' (24:00 for the end of the day). */
export function hhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`
}

/** A rule in words, e.g. "Mån–Fre 08:00–17:00". */
export function describeRule(r: OpeningRule, lang: string): string {
  const days = ruleDays(r.rrule)
  const names = dayNames(lang)
  const start = minutesOf(r.start)
  const end = start + r.durationMinutes
  const time = `${r.start}–${hhmm(end % (24 * 60) === 0 && end > 0 ? 24 * 60 : end % (24 * 60))}`
  if (!days) return `${r.rrule} ${time}`
  const sorted = [...days].sort((a, b) => a - b)
  const contiguous = sorted.length > 2 && sorted.every((d, i) => i === 0 || d === sorted[i - 1] + 1)
  const dayText =
    sorted.length === 7
      ? lang === 'sv'
        ? 'Alla dagar'
        : 'Every day'
      : contiguous
        ? `${names[sorted[0]]}–${names[sorted[sorted.length - 1]]}`
        : sorted.map((d) => names[d]).join(', ')
  return `${dayText} ${time}`
}

const HOUR_PX = 14 // 24 h × 14 px = 336 px, the column height in the stylesheet

/** The 7-column grid. `now` draws a line at the current time on today's column, both in the schedule's `zone`. */
export function weekGrid(rules: OpeningRule[], lang: string, zone: string, now = Date.now()): HTMLElement {
  const names = dayNames(lang)
  const cols: HTMLElement[] = names.map((_, i) => h('div', { class: 'col', 'data-day': WEEKDAYS[i] }))
  for (const r of rules) {
    const days = ruleDays(r.rrule)
    if (!days) continue
    const start = minutesOf(r.start)
    for (const d of days) {
      // an occurrence may run past midnight into the next day(s)
      let remaining = r.durationMinutes
      let day = d
      let from = start
      while (remaining > 0) {
        const span = Math.min(remaining, 24 * 60 - from)
        const block = h(
          'div',
          {
            class: `block ${r.kind}`,
            style: `top:${(from / 60) * HOUR_PX}px;height:${Math.max(10, (span / 60) * HOUR_PX)}px`,
            title: `${describeRule(r, lang)}${r.label ? ` · ${r.label}` : ''}`,
          },
          span >= 60 ? `${hhmm(from)}–${hhmm(from + span)}` : '',
        )
        cols[day % 7].append(block)
        remaining -= span
        from = 0
        day++
      }
    }
  }
  const local = zonedParts(now, zone)
  const today = local.weekday
  cols[today].append(
    h('div', {
      class: 'now',
      style: `top:${((local.hour * 60 + local.minute) / 60) * HOUR_PX}px`,
      'aria-hidden': 'true',
      'data-now': `${String(local.hour).padStart(2, '0')}:${String(local.minute).padStart(2, '0')}`,
    }),
  )
  const hours = h(
    'div',
    { class: 'hours', 'aria-hidden': 'true' },
    [0, 6, 12, 18, 24].map((hr) => h('span', { style: `top:${hr * HOUR_PX}px` }, `${String(hr).padStart(2, '0')}`)),
  )
  return h(
    'div',
    { class: 'week', role: 'group', 'aria-label': t('hours.week') },
    h('div', {}),
    names.map((n, i) => h('div', { class: 'day-head', style: i === today ? 'color:var(--accent)' : '' }, n)),
    hours,
    cols,
  )
}
