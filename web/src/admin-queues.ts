/** Admin: the queues and their settings (strategy, ring time, wrap-up, announcements, overflow, closed action). */
import { del, get, list, patch, post } from './api.js'
import { h, replace } from './dom.js'
import { checkbox, field, input, intOf, notice, select, showError, toast } from './form.js'
import { t } from './i18n.js'
import type { AdminCtx, Queue } from './admin-ctx.js'

type EndAction = { type: 'busy' } | { type: 'hangup' } | { type: 'forward'; destination: string }

/** A select of busy / hang up / forward (+ optional "wait in the queue" = null) with its destination input. */
function actionEditor(
  name: string,
  value: EndAction | null | undefined,
  allowNone: boolean,
): { el: HTMLElement; read: () => EndAction | null } {
  const options: [string, string][] = [
    ...(allowNone ? ([['none', t('queue.action.none')]] as [string, string][]) : []),
    ['busy', t('queue.action.busy')],
    ['hangup', t('queue.action.hangup')],
    ['forward', t('queue.action.forward')],
  ]
  const sel = select(options, value ? value.type : allowNone ? 'none' : 'busy', { 'data-field': name })
  const dest = input({
    type: 'tel',
    value: value && value.type === 'forward' ? value.destination : '',
    placeholder: '0701234567',
    'data-field': `${name}.destination`,
    'aria-label': `${t(`queue.${name}`)}: ${t('queue.destination')}`,
  })
  const destWrap = h('div', { class: 'field' }, dest)
  const sync = (): void => {
    destWrap.hidden = sel.value !== 'forward'
  }
  sel.addEventListener('change', sync)
  sync()
  return {
    el: h('div', {}, field(t(`queue.${name}`), sel), destWrap),
    read: () =>
      sel.value === 'none'
        ? null
        : sel.value === 'forward'
          ? { type: 'forward', destination: dest.value.trim() }
          : ({ type: sel.value } as EndAction),
  }
}

function num(name: string, value: unknown, min: number, max: number): HTMLInputElement {
  return input({
    type: 'number',
    min,
    max,
    step: 1,
    value: typeof value === 'number' ? value : '',
    'data-field': name,
    name,
    inputmode: 'numeric',
  })
}

/** The create / edit form. */
function queueForm(q: Queue | undefined, done: () => void): HTMLElement {
  const s = (q?.settings ?? {}) as Record<string, unknown>
  const name = input({ value: q?.name ?? '', 'data-field': 'name', name: 'name', required: true, autocomplete: 'off' })
  const number = input({
    type: 'tel',
    value: q?.number ?? '',
    'data-field': 'number',
    name: 'number',
    required: true,
    placeholder: '5010',
  })
  const tags = input({
    value: q?.tags.join(', ') ?? '',
    'data-field': 'tags',
    name: 'tags',
    placeholder: 'support, sthlm',
  })
  const strategy = select(
    ['longest-idle', 'ring-parallel', 'skills'].map((v) => [v, t(`queue.strategy.${v}`)]),
    (s.strategy as string) ?? 'longest-idle',
    { 'data-field': 'strategy', name: 'strategy' },
  )
  const language = select(
    [
      ['sv', 'Svenska'],
      ['en', 'English'],
    ],
    (s.language as string) ?? 'sv',
    { 'data-field': 'language', name: 'language' },
  )
  const parallel = num('parallelCount', s.parallelCount ?? 2, 1, 50)
  const ring = num('ringTimeSec', s.ringTimeSec ?? 20, 1, 300)
  const wrap = num('wrapUpSec', s.wrapUpSec ?? 10, 0, 3600)
  const autoLogout = num('autoLogoutAfter', s.autoLogoutAfter ?? 3, 0, 100)
  const periodic = num('periodicIntervalSec', s.periodicIntervalSec ?? 30, 0, 3600)
  const welcome = checkbox(t('queue.welcome'), s.welcomePrompt !== '', { 'data-field': 'welcomePrompt' })
  const pos = checkbox(t('queue.announcePosition'), s.announcePosition !== false, { 'data-field': 'announcePosition' })
  const wait = checkbox(t('queue.announceWait'), s.announceWait !== false, { 'data-field': 'announceWait' })
  const ofCallers = num('overflowMaxCallers', s.overflowMaxCallers ?? 0, 0, 10000)
  const ofWait = num('overflowMaxWaitSec', s.overflowMaxWaitSec ?? 0, 0, 86400)
  const cbKey = select(
    [
      ['', t('queue.callbackOff')],
      ...['1', '2', '3', '4', '5', '6', '7', '8', '9', '*'].map((k) => [k, k] as [string, string]),
    ],
    (s.callbackKey as string) ?? '',
    { 'data-field': 'callbackKey', name: 'callbackKey' },
  )
  const cbMinWait = num('callbackMinWaitSec', s.callbackMinWaitSec ?? 0, 0, 86400)
  const ofAction = actionEditor('overflowAction', s.overflowAction as EndAction | undefined, false)
  const closedAction = actionEditor('closedAction', s.closedAction as EndAction | undefined, false)
  const noAgents = actionEditor('noAgentsAction', s.noAgentsAction as EndAction | null | undefined, true)
  const parallelField = field(t('queue.parallelCount'), parallel)
  const syncStrategy = (): void => {
    parallelField.hidden = strategy.value !== 'ring-parallel'
  }
  strategy.addEventListener('change', syncStrategy)
  syncStrategy()
  const msg = notice()
  const form = h(
    'form',
    { class: 'card', id: 'queue-form', novalidate: true, 'aria-labelledby': 'queue-form-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'queue-form-title' }, q ? `${t('common.edit')}: ${q.name}` : t('queue.new')),
    ),
    msg,
    h(
      'div',
      { class: 'grid2' },
      field(t('common.name'), name),
      field(t('common.number'), number),
      field(t('common.tags'), tags, 'support, sthlm'),
      field(t('common.language'), language),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('queue.strategy')),
      h(
        'div',
        { class: 'grid2' },
        field(t('queue.strategy'), strategy),
        parallelField,
        field(t('queue.ringTimeSec'), ring),
        field(t('queue.wrapUpSec'), wrap),
        field(t('queue.autoLogoutAfter'), autoLogout),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('queue.announcements')),
      h(
        'div',
        { class: 'grid2' },
        h('div', { class: 'field' }, welcome.el, pos.el, wait.el),
        field(t('queue.periodicIntervalSec'), periodic),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('queue.callback')),
      h(
        'div',
        { class: 'grid2' },
        field(t('queue.callbackKey'), cbKey),
        field(t('queue.callbackMinWaitSec'), cbMinWait),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('queue.overflow')),
      h(
        'div',
        { class: 'grid2' },
        field(t('queue.overflowMaxCallers'), ofCallers),
        field(t('queue.overflowMaxWaitSec'), ofWait),
        ofAction.el,
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('queue.endActions')),
      h('div', { class: 'grid2' }, closedAction.el, noAgents.el),
    ),
    h(
      'div',
      { class: 'btn-row' },
      h('button', { type: 'submit', class: 'primary' }, q ? t('common.save') : t('common.create')),
      h('button', { type: 'button', onclick: done }, t('common.cancel')),
    ),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const settings: Record<string, unknown> = {
      strategy: strategy.value,
      language: language.value,
      ringTimeSec: intOf(ring),
      wrapUpSec: intOf(wrap),
      autoLogoutAfter: intOf(autoLogout),
      periodicIntervalSec: intOf(periodic),
      welcomePrompt: welcome.input.checked
        ? typeof s.welcomePrompt === 'string' && s.welcomePrompt
          ? s.welcomePrompt
          : 'welcome'
        : '',
      announcePosition: pos.input.checked,
      announceWait: wait.input.checked,
      callbackKey: cbKey.value,
      callbackMinWaitSec: intOf(cbMinWait),
      overflowMaxCallers: intOf(ofCallers),
      overflowMaxWaitSec: intOf(ofWait),
      overflowAction: ofAction.read(),
      closedAction: closedAction.read(),
      noAgentsAction: noAgents.read(),
    }
    if (strategy.value === 'ring-parallel') settings.parallelCount = intOf(parallel)
    for (const k of Object.keys(settings)) if (settings[k] === undefined) delete settings[k]
    const body = {
      name: name.value.trim(),
      number: number.value.trim(),
      tags: tags.value
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
      settings,
    }
    const req = q ? patch<Queue>(`/queues/${encodeURIComponent(q.id)}`, body) : post<Queue>('/queues', body)
    req.then(
      (saved) => {
        toast(`${t('common.saved')}: ${saved.name}`)
        // the API's routing warnings (a stock FreeSWITCH extension catches the number …): shown, not blocking
        for (const w of (saved as Queue & { warnings?: string[] }).warnings ?? []) toast(w, 'error')
        done()
      },
      (e) => showError(form, msg, e),
    )
  })
  return form
}

export async function renderQueues(app: HTMLElement, ctx: AdminCtx): Promise<void> {
  const queues = await list<Queue>('/queues')
  const open = new Map<string, boolean>()
  await Promise.all(
    queues.map(async (q) => {
      const e = await get<{ open: boolean }>(`/queues/${encodeURIComponent(q.id)}/schedule/explain`).catch(
        () => undefined,
      )
      if (e) open.set(q.id, e.open)
    }),
  )
  const formSlot = h('div', {})
  const live = (q: Queue): [string, string] => {
    const s = ctx.status()?.queues.find((x) => x.queueId === q.id)
    return [String(s?.waiting ?? 0), s ? `${s.agents.free} / ${s.agents.loggedIn}` : '0 / 0']
  }
  const rows = queues.map((q) => {
    const [waiting, agents] = live(q)
    const w = h('td', { class: 'num', 'data-col': 'waiting' }, waiting)
    const a = h('td', { class: 'num', 'data-col': 'agents' }, agents)
    const row = h(
      'tr',
      { 'data-queue': q.id },
      h(
        'td',
        {},
        h('strong', {}, q.name),
        h(
          'div',
          { class: 'small muted' },
          q.tags.map((tg) => h('span', { class: 'tag' }, tg)),
        ),
      ),
      h('td', { class: 'num' }, q.number),
      h('td', {}, t(`queue.strategy.${q.settings.strategy}`)),
      h(
        'td',
        {},
        open.has(q.id)
          ? h(
              'span',
              { class: `pill ${open.get(q.id) ? 'open' : 'closed'}` },
              open.get(q.id) ? t('common.open') : t('common.closed'),
            )
          : '–',
      ),
      w,
      a,
      h(
        'td',
        { class: 'actions' },
        h('a', { class: 'button ghost', href: `#hours/${encodeURIComponent(q.id)}` }, t('nav.hours')),
        h(
          'button',
          { type: 'button', class: 'ghost', onclick: () => replace(formSlot, queueForm(q, ctx.refresh)) },
          t('common.edit'),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'ghost danger',
            'aria-label': `${t('common.remove')} ${q.name}`,
            onclick: () => {
              if (!confirm(`${t('common.remove')} ${q.name}?`)) return
              del(`/queues/${encodeURIComponent(q.id)}`).then(ctx.refresh, (e: Error) => toast(e.message, 'error'))
            },
          },
          t('common.remove'),
        ),
      ),
    )
    return { q, row, w, a }
  })
  ctx.onStatus(() => {
    for (const r of rows) {
      const [waiting, agents] = live(r.q)
      r.w.textContent = waiting
      r.a.textContent = agents
    }
  })
  replace(
    app,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('nav.queues')),
      h('span', { class: 'spacer' }),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'new-queue',
          onclick: () => replace(formSlot, queueForm(undefined, ctx.refresh)),
        },
        `+ ${t('queue.new')}`,
      ),
    ),
    formSlot,
    h(
      'section',
      { class: 'card' },
      queues.length === 0
        ? h('p', { class: 'empty' }, t('common.none'))
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { id: 'queue-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [
                    t('common.name'),
                    t('common.number'),
                    t('queue.strategy'),
                    t('agent.state'),
                    t('queue.waiting'),
                    `${t('queue.free')} / ${t('queue.loggedIn')}`,
                    '',
                  ].map((c) => h('th', { scope: 'col' }, c)),
                ),
              ),
              h(
                'tbody',
                {},
                rows.map((r) => r.row),
              ),
            ),
          ),
    ),
  )
}
