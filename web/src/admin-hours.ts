/**
 * Admin: opening hours of a queue — the weekly grid of its rules, adding and removing rules, the holiday
 * calendars it follows, whether it is open now and its next transitions (/queues/:id/schedule/next).
 */
import { get, list, post, put } from './api.js'
import { dateTime, h, offsetOf, replace } from './dom.js'
import { field, input, notice, select, showError, toast } from './form.js'
import { lang, t } from './i18n.js'
import { dayNames, describeRule, minutesOf, WEEKDAYS, weekGrid, type OpeningRule } from './week.js'
import type { AdminCtx, Queue, Schedule } from './admin-ctx.js'

interface Calendar {
  id: string
  tenantId: string | null
  name: string
  country?: string
  customDates: unknown[]
}
interface Transition {
  at: number
  open: boolean
  reason: string
}

/** The evaluator's reason in the page's words: the rule's label, a holiday's name, or "outside opening hours". */
function reasonText(reason: string): string {
  const rule = /rule "([^"]+)"/.exec(reason)
  if (rule) return rule[1]
  if (/outside opening hours/.test(reason)) return t('hours.outside')
  return reason.replace(/^(open|closed):\s*/, '')
}

/** Save a whole schedule: open rules → closed outside them; no open rule → open except closed rules/holidays. */
async function saveSchedule(q: Queue, s: Schedule): Promise<void> {
  const alwaysOpen = !s.rules.some((r) => r.kind === 'open')
  await put(`/queues/${encodeURIComponent(q.id)}/schedule`, {
    schedule: { timeZone: s.timeZone, rules: s.rules, calendarIds: s.calendarIds, alwaysOpen },
  })
}

function ruleForm(q: Queue, current: Schedule, done: () => void): HTMLElement {
  const names = dayNames(lang())
  const days = WEEKDAYS.map((d, i) => {
    const box = h('input', { type: 'checkbox', value: d, checked: i < 5, name: 'day' })
    return { d, box, el: h('label', {}, box, names[i]) }
  })
  const kind = select(
    ['open', 'closed', 'special'].map((k) => [k, t(`hours.kind.${k}`)]),
    'open',
    { 'data-field': 'kind' },
  )
  const from = input({ type: 'time', value: '08:00', 'data-field': 'start', name: 'from', required: true })
  const to = input({ type: 'time', value: '17:00', 'data-field': 'durationMinutes', name: 'to', required: true })
  const label = input({
    'data-field': 'label',
    name: 'label',
    placeholder: lang() === 'sv' ? 't.ex. Kontorstid' : 'e.g. Office hours',
  })
  const msg = notice()
  const form = h(
    'form',
    { class: 'card', id: 'rule-form', novalidate: true },
    h('h2', {}, t('hours.addRule')),
    msg,
    h(
      'fieldset',
      {},
      h('legend', {}, t('hours.days')),
      h(
        'div',
        { class: 'days-pick', 'data-field': 'rrule', tabindex: -1 },
        days.map((d) => d.el),
      ),
      h('div', { style: 'height:.8rem' }),
    ),
    h(
      'div',
      { class: 'grid2' },
      field(t('hours.kind'), kind),
      field(t('hours.from'), from),
      field(t('hours.to'), to),
      field(t('common.name'), label),
    ),
    h('button', { type: 'submit', class: 'primary' }, t('common.add')),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const chosen = days.filter((d) => d.box.checked).map((d) => d.d)
    if (chosen.length === 0) {
      showError(form, msg, new Error(t('hours.days')))
      return
    }
    const start = minutesOf(from.value)
    let end = minutesOf(to.value)
    if (end <= start) end += 24 * 60 // closes after midnight
    const rule: Omit<OpeningRule, 'id'> & { id?: string } = {
      kind: kind.value as OpeningRule['kind'],
      rrule: `FREQ=WEEKLY;BYDAY=${chosen.join(',')}`,
      start: from.value,
      durationMinutes: end - start,
      ...(label.value.trim() ? { label: label.value.trim() } : {}),
    }
    const next: Schedule = { ...current, rules: [...current.rules, { ...rule, id: `r${Date.now().toString(36)}` }] }
    saveSchedule(q, next).then(
      () => {
        toast(t('common.saved'))
        done()
      },
      (e) => showError(form, msg, e),
    )
  })
  return form
}

export async function renderHours(app: HTMLElement, ctx: AdminCtx): Promise<void> {
  const queues = await list<Queue>('/queues')
  if (queues.length === 0) {
    replace(app, h('h1', {}, t('nav.hours')), h('p', { class: 'card empty' }, t('common.none')))
    return
  }
  const q = queues.find((x) => x.id === ctx.arg) ?? queues[0]
  const enc = encodeURIComponent(q.id)
  const [{ schedule: saved }, calendars, transitions, now] = await Promise.all([
    get<{ schedule: Schedule | null }>(`/queues/${enc}/schedule`),
    list<Calendar>('/calendars'),
    list<Transition>(`/queues/${enc}/schedule/next?days=14`),
    get<{ open: boolean; reason?: string }>(`/queues/${enc}/schedule/explain`),
  ])
  const schedule: Schedule = saved ?? { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [], alwaysOpen: true }
  const picker = select(
    queues.map((x) => [x.id, `${x.name} (${x.number})`]),
    q.id,
    { id: 'hours-queue', 'aria-label': t('common.queue') },
  )
  picker.addEventListener('change', () => {
    location.hash = `hours/${encodeURIComponent(picker.value)}`
  })
  const rulesList = schedule.rules.length
    ? h(
        'table',
        { id: 'rule-table' },
        h(
          'tbody',
          {},
          schedule.rules.map((r) =>
            h(
              'tr',
              { 'data-rule': r.id },
              h(
                'td',
                {},
                h(
                  'span',
                  { class: `pill ${r.kind === 'open' ? 'open' : r.kind === 'closed' ? 'closed' : 'warn'}` },
                  t(`hours.kind.${r.kind}`),
                ),
              ),
              h('td', {}, describeRule(r, lang()), r.label ? h('div', { class: 'small muted' }, r.label) : null),
              h(
                'td',
                { class: 'actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'ghost danger',
                    'aria-label': `${t('common.remove')}: ${describeRule(r, lang())}`,
                    onclick: () =>
                      void saveSchedule(q, { ...schedule, rules: schedule.rules.filter((x) => x.id !== r.id) }).then(
                        ctx.refresh,
                        (e: Error) => toast(e.message, 'error'),
                      ),
                  },
                  t('common.remove'),
                ),
              ),
            ),
          ),
        ),
      )
    : h('p', { class: 'muted' }, t('hours.alwaysOpen'))
  const calIds = new Set(schedule.calendarIds)
  const calendarBoxes = calendars.map((c) => {
    const box = h('input', { type: 'checkbox', checked: calIds.has(c.id), 'data-calendar': c.id })
    box.addEventListener('change', () => {
      const ids = box.checked ? [...calIds, c.id] : [...calIds].filter((x) => x !== c.id)
      saveSchedule(q, { ...schedule, calendarIds: ids }).then(ctx.refresh, (e: Error) => toast(e.message, 'error'))
    })
    return h(
      'label',
      { class: 'check' },
      box,
      c.name,
      c.country ? h('span', { class: 'tag' }, c.country) : null,
      c.tenantId === null ? h('span', { class: 'small muted' }, ' (delad)') : null,
    )
  })
  const newCalendar = h(
    'button',
    {
      type: 'button',
      class: 'ghost',
      id: 'new-calendar',
      onclick: () =>
        void post<Calendar>('/calendars', {
          name: lang() === 'sv' ? 'Svenska helgdagar' : 'Swedish holidays',
          country: 'SE',
        })
          .then((c) => saveSchedule(q, { ...schedule, calendarIds: [...calIds, c.id] }))
          .then(ctx.refresh, (e: Error) => toast(e.message, 'error')),
    },
    `+ ${t('hours.newCalendar')}`,
  )
  replace(
    app,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('nav.hours')),
      picker,
      h('span', { class: 'spacer' }),
      h(
        'span',
        { class: `pill ${now.open ? 'open' : 'closed'}`, id: 'open-now' },
        now.open ? t('hours.nowOpen') : t('hours.nowClosed'),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', {}, t('hours.week')),
        h('span', { class: 'spacer' }),
        h(
          'span',
          { class: 'small muted', id: 'hours-zone' },
          `${schedule.timeZone} (${offsetOf(Date.now(), schedule.timeZone)})`,
        ),
      ),
      weekGrid(schedule.rules, lang(), schedule.timeZone),
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        {},
        h('section', { class: 'card' }, h('h2', {}, t('hours.rules')), rulesList),
        ruleForm(q, schedule, ctx.refresh),
      ),
      h(
        'div',
        {},
        h(
          'section',
          { class: 'card' },
          h('h2', {}, t('hours.next')),
          transitions.length
            ? h(
                'ul',
                { class: 'transitions', id: 'transitions' },
                transitions
                  .slice(0, 10)
                  .map((tr) =>
                    h(
                      'li',
                      {},
                      h(
                        'span',
                        { class: `pill ${tr.open ? 'open' : 'closed'}` },
                        tr.open ? t('hours.opens') : t('hours.closes'),
                      ),
                      h('span', { class: 'num' }, dateTime(tr.at, lang(), schedule.timeZone)),
                      h('span', { class: 'small muted' }, reasonText(tr.reason)),
                    ),
                  ),
              )
            : h('p', { class: 'muted' }, '–'),
        ),
        h(
          'section',
          { class: 'card' },
          h('h2', {}, t('hours.calendars')),
          h('p', { class: 'small muted' }, t('hours.calendarHint')),
          calendarBoxes,
          h('div', { style: 'margin-top:.6rem' }, newCalendar),
        ),
      ),
    ),
  )
}
