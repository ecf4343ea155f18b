/**
 * Admin: agents — their extension, plan, SIP user, devices, skills, the queues they are granted (membership, D2)
 * and a login for the agent page; the live state of each from the status stream.
 */
import { del, list, patch, post, type Account } from './api.js'
import { h, replace } from './dom.js'
import { checkbox, field, input, notice, select, showError, toast } from './form.js'
import { lang, t } from './i18n.js'
import type { AdminCtx, Agent, Queue } from './admin-ctx.js'

interface Membership {
  agentId: string
  queueId: string
}

const DEVICE_TYPES = ['softphone', 'deskphone', 'mobile'] as const

function skillsText(skills: Record<string, number>): string {
  return Object.entries(skills)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')
}

/** "sales=5, support" → { sales: 5, support: 5 }; throws naming the bad part. */
export function parseSkills(text: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=').map((x) => x.trim())
    const level = v === undefined ? 5 : Number(v)
    if (!k || !Number.isInteger(level) || level < 1 || level > 10)
      throw new Error(`${t('agent.skills')}: "${part}" (1–10)`)
    out[k] = level
  }
  return out
}

function agentForm(
  a: Agent | undefined,
  queues: Queue[],
  members: Set<string>,
  account: Account | undefined,
  done: () => void,
): HTMLElement {
  const name = input({ value: a?.name ?? '', 'data-field': 'name', name: 'name', required: true })
  const ext = input({
    type: 'tel',
    value: a?.extension ?? '',
    'data-field': 'extension',
    name: 'extension',
    required: true,
    placeholder: '1001',
  })
  const plan = select(
    ['basic', 'pro', 'business', 'enterprise'].map((p) => [p, p[0].toUpperCase() + p.slice(1)]),
    a?.plan ?? 'pro',
    { 'data-field': 'plan', name: 'plan' },
  )
  const sip = input({ value: a?.sipUser ?? '', 'data-field': 'sipUser', name: 'sipUser', placeholder: '1001' })
  const skills = input({
    value: a ? skillsText(a.skills) : '',
    'data-field': 'skills',
    name: 'skills',
    placeholder: 'sales=5, support=3',
  })
  const devices = (a?.devices.length ? a.devices : [{ type: 'softphone' as const, target: '' }])
    .concat([{ type: 'mobile', target: '' }])
    .slice(0, 3)
  const deviceRows = devices.map((d, i) => {
    const type = select(
      DEVICE_TYPES.map((x) => [x, t(`agent.device.${x}`)]),
      d.type,
      { 'aria-label': `${t('agent.devices')} ${i + 1}`, 'data-field': `devices[${i}].type` },
    )
    const target = input({
      value: d.target,
      'aria-label': `${t('agent.devices')} ${i + 1}: ${t('common.number')}`,
      'data-field': `devices[${i}].target`,
      placeholder: i === 0 ? '1001' : '0701234567',
    })
    return {
      type,
      target,
      el: h(
        'div',
        { style: 'display:grid;grid-template-columns:150px 1fr;gap:.5rem;margin-bottom:.5rem' },
        type,
        target,
      ),
    }
  })
  const memberBoxes = queues.map((q) => {
    const c = checkbox(`${q.name} (${q.number})`, members.has(q.id), { 'data-member-queue': q.id })
    return { q, ...c }
  })
  const username = input({
    'data-field': 'username',
    name: 'username',
    autocomplete: 'off',
    placeholder: a?.name.split(' ')[0]?.toLowerCase() ?? '',
  })
  const password = input({
    type: 'password',
    'data-field': 'password',
    name: 'password',
    autocomplete: 'new-password',
    minlength: 10,
  })
  const msg = notice()
  const form = h(
    'form',
    { class: 'card', id: 'agent-form', novalidate: true },
    h('h2', {}, a ? `${t('common.edit')}: ${a.name}` : t('agent.new')),
    msg,
    h(
      'div',
      { class: 'grid2' },
      field(t('common.name'), name),
      field(t('agent.extension'), ext),
      field(
        t('agent.plan'),
        plan,
        lang() === 'sv'
          ? 'Pro, Business eller Enterprise krävs för köer'
          : 'Pro, Business or Enterprise is needed for queues',
      ),
      field(t('agent.sipUser'), sip),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, t('agent.devices')),
      deviceRows.map((r) => r.el),
    ),
    field(t('agent.skills'), skills, 'sales=5, support=3'),
    h(
      'fieldset',
      {},
      h('legend', {}, t('agent.membership')),
      memberBoxes.length ? memberBoxes.map((b) => b.el) : h('p', { class: 'muted' }, t('common.none')),
      h('div', { style: 'height:.5rem' }),
    ),
    account
      ? h('p', { class: 'small muted' }, `${t('agent.account')}: `, h('strong', {}, account.username))
      : h(
          'fieldset',
          {},
          h('legend', {}, t('agent.account')),
          h(
            'div',
            { class: 'grid2' },
            field(t('login.username'), username),
            field(t('login.password'), password, lang() === 'sv' ? 'minst 10 tecken' : 'at least 10 characters'),
          ),
        ),
    h(
      'div',
      { class: 'btn-row' },
      h('button', { type: 'submit', class: 'primary' }, a ? t('common.save') : t('common.create')),
      h('button', { type: 'button', onclick: done }, t('common.cancel')),
    ),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    void (async () => {
      try {
        const body = {
          name: name.value.trim(),
          extension: ext.value.trim(),
          plan: plan.value,
          sipUser: sip.value.trim() || ext.value.trim(),
          devices: deviceRows
            .filter((r) => r.target.value.trim())
            .map((r) => ({ type: r.type.value, target: r.target.value.trim() })),
          skills: parseSkills(skills.value),
        }
        const saved = a
          ? await patch<Agent>(`/agents/${encodeURIComponent(a.id)}`, body)
          : await post<Agent>('/agents', body)
        for (const b of memberBoxes) {
          const was = members.has(b.q.id)
          if (b.input.checked && !was) await post('/memberships', { agentId: saved.id, queueId: b.q.id })
          if (!b.input.checked && was)
            await del(`/memberships/${encodeURIComponent(saved.id)}/${encodeURIComponent(b.q.id)}`)
        }
        if (!account && username.value.trim())
          await post('/accounts', {
            username: username.value.trim(),
            password: password.value,
            role: 'agent',
            tenantId: saved.tenantId,
            agentId: saved.id,
          })
        toast(`${t('common.saved')}: ${saved.name}`)
        done()
      } catch (e) {
        showError(form, msg, e)
      }
    })()
  })
  return form
}

export async function renderAgents(app: HTMLElement, ctx: AdminCtx): Promise<void> {
  const [agents, queues, memberships, accounts] = await Promise.all([
    list<Agent>('/agents'),
    list<Queue>('/queues'),
    list<Membership>('/memberships'),
    list<Account>('/accounts'),
  ])
  const qName = new Map(queues.map((q) => [q.id, q.name]))
  const membersOf = (id: string): Set<string> =>
    new Set(memberships.filter((m) => m.agentId === id).map((m) => m.queueId))
  const accountOf = (id: string): Account | undefined => accounts.find((x) => x.agentId === id)
  const formSlot = h('div', {})
  const stateCells = new Map<string, HTMLElement>()
  const stateOf = (id: string): HTMLElement => {
    const s = ctx.status()?.agents.find((x) => x.agentId === id)
    const st = s?.state ?? 'logged-out'
    return h('span', { class: `pill ${st}` }, t(`agentpage.state.${st}`))
  }
  const rows = agents.map((a) => {
    const cell = h('td', {}, stateOf(a.id))
    stateCells.set(a.id, cell)
    return h(
      'tr',
      { 'data-agent': a.id },
      h('td', {}, h('strong', {}, a.name), h('div', { class: 'small muted' }, accountOf(a.id)?.username ?? '')),
      h('td', { class: 'num' }, a.extension),
      h('td', {}, h('span', { class: `pill ${a.plan === 'basic' ? 'warn' : ''}` }, a.plan)),
      h(
        'td',
        { class: 'small' },
        a.devices.map((d, i) =>
          h(
            'div',
            { style: i === a.activeDevice ? 'font-weight:600' : 'color:var(--ink-3)' },
            `${t(`agent.device.${d.type}`)} ${d.target}`,
          ),
        ),
      ),
      h(
        'td',
        {},
        [...membersOf(a.id)].map((q) => h('span', { class: 'tag' }, qName.get(q) ?? q)),
      ),
      h('td', { class: 'small' }, Object.keys(a.skills).length ? skillsText(a.skills) : '–'),
      cell,
      h(
        'td',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'ghost',
            onclick: () => replace(formSlot, agentForm(a, queues, membersOf(a.id), accountOf(a.id), ctx.refresh)),
          },
          t('common.edit'),
        ),
      ),
    )
  })
  ctx.onStatus(() => {
    for (const [id, cell] of stateCells) replace(cell, stateOf(id))
  })
  replace(
    app,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('nav.agents')),
      h('span', { class: 'spacer' }),
      h(
        'button',
        {
          type: 'button',
          class: 'primary',
          id: 'new-agent',
          onclick: () => replace(formSlot, agentForm(undefined, queues, new Set(), undefined, ctx.refresh)),
        },
        `+ ${t('agent.new')}`,
      ),
    ),
    formSlot,
    h(
      'section',
      { class: 'card' },
      agents.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { id: 'agent-table' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [
                    t('common.name'),
                    t('agent.extension'),
                    t('agent.plan'),
                    t('agent.devices'),
                    t('common.queues'),
                    t('agent.skills'),
                    t('agent.state'),
                    '',
                  ].map((c) => h('th', { scope: 'col' }, c)),
                ),
              ),
              h('tbody', {}, rows),
            ),
          )
        : h('p', { class: 'empty' }, t('common.none')),
    ),
  )
}
