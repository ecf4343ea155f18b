/**
 * Admin: temporary closure of many queues at once (SPEC S2) — choose queues or a tag, until a time or until
 * reopened, with a reason; the closures in force or planned, each with a reopen button.
 */
import { list, post } from './api.js'
import { dateTime, h, offsetOf, replace, sharedZone, toZonedInput, zoneOf } from './dom.js'
import { field, input, notice, showError, toast } from './form.js'
import { lang, t } from './i18n.js'
import type { AdminCtx, Queue } from './admin-ctx.js'

interface Closure {
  id: string
  queueIds: string[]
  from: number
  until?: number
  reason: string
  by: string
  createdAt: number
  reopenedAt?: number
}

export async function renderClosures(app: HTMLElement, ctx: AdminCtx): Promise<void> {
  const [queues, closures] = await Promise.all([list<Queue>('/queues'), list<Closure>('/closures?active=true')])
  const names = new Map(queues.map((q) => [q.id, q.name]))
  const tags = [...new Set(queues.flatMap((q) => q.tags))].sort()
  const boxes = queues.map((q) => {
    const box = h('input', { type: 'checkbox', value: q.id, 'data-queue': q.id })
    return {
      q,
      box,
      el: h(
        'label',
        { class: 'check' },
        box,
        q.name,
        h('span', { class: 'small muted' }, q.number),
        q.tags.map((tg) => h('span', { class: 'tag' }, tg)),
      ),
    }
  })
  const tag = input({ list: 'tag-list', 'data-field': 'tag', name: 'tag', placeholder: tags[0] ?? 'support' })
  const tagList = h(
    'datalist',
    { id: 'tag-list' },
    tags.map((tg) => h('option', { value: tg })),
  )
  // choosing a tag ticks its queues, so the admin sees what the tag covers
  tag.addEventListener('input', () => {
    for (const b of boxes) b.box.checked = tag.value.trim() !== '' && b.q.tags.includes(tag.value.trim())
  })
  const untilReopened = h('input', { type: 'radio', name: 'until-kind', value: 'open', checked: true })
  const untilTime = h('input', { type: 'radio', name: 'until-kind', value: 'time' })
  // the time is typed in the queues' zone and sent without an offset: the API reads it in the closed queue's zone
  const zone = sharedZone(queues)
  const inTwoHours = Date.now() + 2 * 3600_000
  const until = input({
    type: 'datetime-local',
    value: toZonedInput(inTwoHours - (inTwoHours % 900_000), zone),
    'data-field': 'until',
    name: 'until',
    'aria-label': `${t('closure.untilTime')} (${zone})`,
  })
  // picking a time means "until a time"
  until.addEventListener('input', () => {
    untilTime.checked = true
  })
  const reason = input({
    'data-field': 'reason',
    name: 'reason',
    required: true,
    placeholder: lang() === 'sv' ? 't.ex. Personalmöte' : 'e.g. Staff meeting',
  })
  const msg = notice()
  const form = h(
    'form',
    { class: 'card', id: 'closure-form', novalidate: true },
    h('h2', {}, t('closure.title')),
    msg,
    h(
      'fieldset',
      {},
      h('legend', {}, t('closure.which')),
      h(
        'div',
        { 'data-field': 'queueIds', tabindex: -1 },
        boxes.map((b) => b.el),
      ),
      h('div', { style: 'height:.6rem' }),
      field(t('closure.byTag'), tag),
      tagList,
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('closure.until')),
      h('label', { class: 'check' }, untilReopened, t('closure.untilReopened')),
      h('label', { class: 'check' }, untilTime, t('closure.untilTime')),
      h(
        'div',
        { class: 'field', style: 'margin-top:.4rem;max-width:260px' },
        until,
        h('span', { class: 'small muted', id: 'closure-zone' }, `${zone} (${offsetOf(Date.now(), zone)})`),
      ),
    ),
    field(t('common.reason'), reason),
    h('button', { type: 'submit', class: 'primary' }, t('closure.close')),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const chosen = boxes.filter((b) => b.box.checked).map((b) => b.q.id)
    const body: Record<string, unknown> = { reason: reason.value.trim() }
    if (tag.value.trim()) body.tag = tag.value.trim()
    else if (chosen.length) body.queueIds = chosen
    else return showError(form, msg, new Error(t('closure.pickOne')))
    if (untilTime.checked) body.until = until.value || undefined
    post('/closures', body).then(
      () => {
        toast(t('common.saved'))
        ctx.refresh()
      },
      (e) => showError(form, msg, e),
    )
  })
  const now = Date.now()
  const byId = new Map(queues.map((q) => [q.id, q]))
  const zoneOfClosure = (c: Closure): string => zoneOf(byId.get(c.queueIds[0] ?? ''))
  const table = closures.length
    ? h(
        'table',
        { id: 'closure-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [t('common.queues'), t('common.reason'), t('hours.from'), t('hours.to'), t('closure.by'), ''].map((c) =>
              h('th', { scope: 'col' }, c),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          closures.map((c) =>
            h(
              'tr',
              { 'data-closure': c.id },
              h(
                'td',
                {},
                c.queueIds.map((id) => h('span', { class: 'tag' }, names.get(id) ?? id)),
              ),
              h('td', {}, c.reason),
              h(
                'td',
                { class: 'num' },
                c.from > now
                  ? dateTime(c.from, lang(), zoneOfClosure(c))
                  : h('span', { class: 'pill closed' }, t('common.closed')),
              ),
              h(
                'td',
                { class: 'num' },
                c.until ? dateTime(c.until, lang(), zoneOfClosure(c)) : t('closure.untilReopened'),
              ),
              h('td', { class: 'small muted' }, c.by),
              h(
                'td',
                { class: 'actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'primary',
                    onclick: () =>
                      void post(`/closures/${encodeURIComponent(c.id)}/reopen`).then(ctx.refresh, (e: Error) =>
                        toast(e.message, 'error'),
                      ),
                  },
                  t('closure.reopen'),
                ),
              ),
            ),
          ),
        ),
      )
    : h('p', { class: 'empty' }, t('closure.none'))
  replace(
    app,
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.closures'))),
    h(
      'div',
      { class: 'split wide-right' },
      form,
      h('section', { class: 'card' }, h('h2', {}, t('closure.active')), h('div', { class: 'table-wrap' }, table)),
    ),
  )
}
