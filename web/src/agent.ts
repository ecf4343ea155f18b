/**
 * The agent page (/agent, A1/A2), made for a phone screen: log in and out of each granted queue, choose the
 * device calls are delivered to, pause (with a reason) and resume, and see every queue's length and how many
 * agents are logged in and free — live over server-sent events.
 */
import { ApiFailure, get, list, logout, post, requireAccount, type Account } from './api.js'
import { byId, h, mmss, replace } from './dom.js'
import { t, translatePage } from './i18n.js'
import { subscribeStatus, type AgentStatus, type Status } from './live.js'

interface Device {
  type: 'softphone' | 'deskphone' | 'mobile'
  target: string
}
interface AgentRecord {
  id: string
  name: string
  extension: string
  plan: string
  devices: Device[]
  activeDevice: number
}
interface QueueRecord {
  id: string
  name: string
  number: string
}

let account: Account
let agent: AgentRecord
let queues: QueueRecord[] = []
let status: Status | undefined
let receivedAt = 0
let busy = false
let message: { kind: 'error' | 'ok'; text: string } | undefined
/** The chosen pause reason survives the re-renders that every status push causes. */
let pauseReason = ''

function me(): AgentStatus | undefined {
  return status?.agents.find((a) => a.agentId === agent.id)
}

async function act(path: string, body?: unknown): Promise<void> {
  if (busy) return
  busy = true
  message = undefined
  render()
  try {
    const r = await post<{ status?: Status }>(`/agents/${encodeURIComponent(agent.id)}/${path}`, body)
    if (r.status) {
      status = r.status
      receivedAt = Date.now()
    }
    if (path === 'device') agent = await get<AgentRecord>(`/agents/${encodeURIComponent(agent.id)}`)
  } catch (e) {
    message = { kind: 'error', text: e instanceof ApiFailure ? e.message : String(e) }
  } finally {
    busy = false
    render()
  }
}

function stateCard(a: AgentStatus | undefined): HTMLElement {
  const state = a?.state ?? 'logged-out'
  const loggedIn = (a?.queues.length ?? 0) > 0
  const reasons = ['lunch', 'meeting', 'break', 'other'] as const
  const select = h(
    'select',
    { id: 'pause-reason', 'aria-label': t('agentpage.pauseReason') },
    reasons.map((r) =>
      h(
        'option',
        { value: t(`agentpage.reason.${r}`), selected: t(`agentpage.reason.${r}`) === pauseReason },
        t(`agentpage.reason.${r}`),
      ),
    ),
  )
  select.addEventListener('change', () => {
    pauseReason = select.value
  })
  const wrapLeft = a?.wrapUpEndsAt
    ? Math.max(
        0,
        Math.round((a.wrapUpEndsAt - (status?.at ?? 0)) / 1000) - Math.floor((Date.now() - receivedAt) / 1000),
      )
    : undefined
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'state-title' },
    h(
      'div',
      { class: 'agent-state' },
      h(
        'div',
        {},
        h(
          'div',
          { class: 'muted small', id: 'state-title' },
          `${t('agentpage.hello')} ${agent.name} · ${agent.extension}`,
        ),
        h(
          'div',
          { class: 'big' },
          h('span', { class: `pill ${state}`, id: 'agent-state', 'data-state': state }, t(`agentpage.state.${state}`)),
          a?.pauseReason ? h('span', { class: 'muted small' }, ` ${a.pauseReason}`) : null,
        ),
      ),
    ),
    a?.callbackNumber
      ? h(
          'p',
          { class: 'notice info', id: 'callback-next', style: 'margin-top:.75rem' },
          `${t('agentpage.callback')} ${a.callbackNumber}`,
        )
      : null,
    a?.autoLogoutReason && !loggedIn
      ? h('p', { class: 'notice info small', style: 'margin-top:.75rem' }, a.autoLogoutReason)
      : null,
    loggedIn && a && !a.registered
      ? h('p', { class: 'notice error small', style: 'margin-top:.75rem' }, t('agentpage.notRegistered'))
      : null,
    h(
      'div',
      { class: 'btn-row', style: 'margin-top:.9rem' },
      a?.paused
        ? h(
            'button',
            { class: 'primary', type: 'button', id: 'resume', disabled: busy, onclick: () => void act('unpause') },
            t('agentpage.resume'),
          )
        : [
            select,
            h(
              'button',
              {
                type: 'button',
                id: 'pause',
                disabled: busy || !loggedIn,
                onclick: () => void act('pause', { reason: select.value }),
              },
              t('agentpage.pause'),
            ),
          ],
      state === 'wrap-up'
        ? h(
            'button',
            { type: 'button', id: 'end-wrapup', disabled: busy, onclick: () => void act('end-wrapup') },
            `${t('agentpage.endWrap')}${wrapLeft !== undefined ? ` (${mmss(wrapLeft)})` : ''}`,
          )
        : null,
    ),
  )
}

function queuesCard(a: AgentStatus | undefined): HTMLElement {
  if (queues.length === 0)
    return h(
      'section',
      { class: 'card' },
      h('h2', {}, t('agentpage.queues')),
      h('p', { class: 'muted' }, t('agentpage.noQueues')),
    )
  const mine = new Set(a?.queues ?? [])
  const elapsed = Math.floor((Date.now() - receivedAt) / 1000)
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'queues-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'queues-title' }, t('agentpage.queues')),
      h('span', { class: 'spacer' }),
      mine.size < queues.length
        ? h(
            'button',
            { type: 'button', class: 'primary', id: 'login-all', disabled: busy, onclick: () => void act('login', {}) },
            t('agentpage.loginAll'),
          )
        : h(
            'button',
            { type: 'button', id: 'logout-all', disabled: busy, onclick: () => void act('logout', {}) },
            t('agentpage.logoutAll'),
          ),
    ),
    queues.map((q) => {
      const qs = status?.queues.find((s) => s.queueId === q.id)
      const on = mine.has(q.id)
      const id = `q-${q.id}`
      const input = h('input', {
        type: 'checkbox',
        id,
        role: 'switch',
        checked: on,
        disabled: busy,
        'aria-checked': String(on),
      })
      input.addEventListener('change', () => void act(on ? 'logout' : 'login', { queueIds: [q.id] }))
      const waiting = qs?.waiting ?? 0
      return h(
        'div',
        { class: 'queue-card', 'data-queue': q.id, style: 'padding:.75rem 0;border-top:1px solid var(--line-2)' },
        h('div', {}, h('strong', {}, q.name), h('div', { class: 'muted small' }, q.number)),
        h(
          'label',
          { class: 'switch', for: id },
          input,
          h('span', { class: 'track', 'aria-hidden': 'true' }),
          h(
            'span',
            { class: 'sr-only' },
            `${q.name}: ${on ? t('agentpage.state.free') : t('agentpage.state.logged-out')}`,
          ),
        ),
        h(
          'div',
          { class: 'stats' },
          h(
            'div',
            { class: `stat${waiting > 0 ? ' hot' : ''}`, 'data-testid': 'waiting' },
            h('div', { class: 'v' }, waiting),
            h(
              'div',
              { class: 'l' },
              `${t('queue.waiting')}${waiting > 0 && qs ? ` · ${mmss(qs.longestWaitSec + elapsed)}` : ''}`,
            ),
          ),
          h(
            'div',
            { class: 'stat', 'data-testid': 'logged-in' },
            h('div', { class: 'v' }, qs?.agents.loggedIn ?? 0),
            h('div', { class: 'l' }, t('queue.loggedIn')),
          ),
          h(
            'div',
            { class: 'stat', 'data-testid': 'free' },
            h('div', { class: 'v' }, qs?.agents.free ?? 0),
            h('div', { class: 'l' }, t('queue.free')),
          ),
        ),
      )
    }),
  )
}

function deviceCard(a: AgentStatus | undefined): HTMLElement | null {
  if (agent.devices.length === 0) return null
  const active = a?.deviceIndex ?? agent.activeDevice
  return h(
    'section',
    { class: 'card' },
    h(
      'fieldset',
      { style: 'border:0;padding:0;margin:0' },
      h('legend', { style: 'padding:0;margin-bottom:.6rem;font-size:1.15rem' }, t('agentpage.device')),
      h(
        'div',
        { class: 'device-list' },
        agent.devices.map((d, i) => {
          const input = h('input', {
            type: 'radio',
            name: 'device',
            id: `device-${i}`,
            value: i,
            checked: i === active,
            disabled: busy,
          })
          input.addEventListener('change', () => void act('device', { index: i }))
          return h(
            'label',
            {},
            input,
            h('span', {}, t(`agent.device.${d.type}`)),
            h('span', { class: 'muted small' }, d.target),
          )
        }),
      ),
    ),
  )
}

/**
 * Every render replaces the page's elements, so the keyboard focus is carried over by element id (WCAG 2.4.3): to
 * the same control, or to the one that took its place (Pause ↔ Resume, Log in to all ↔ Log out of all).
 */
let focusId: string | undefined
const FOCUS_SUCCESSOR: Record<string, string> = {
  pause: 'resume',
  resume: 'pause',
  'end-wrapup': 'pause',
  'login-all': 'logout-all',
  'logout-all': 'login-all',
}
document.addEventListener('focusin', (e) => {
  const el = e.target as HTMLElement
  focusId = byId('app').contains(el) && el.id ? el.id : undefined
})

function restoreFocus(app: HTMLElement): void {
  if (!focusId) return
  const active = document.activeElement
  if (active && active !== document.body && !app.contains(active)) return // the focus went elsewhere meanwhile
  for (const id of [focusId, FOCUS_SUCCESSOR[focusId]]) {
    const el = id ? (document.getElementById(id) as HTMLButtonElement | HTMLInputElement | null) : null
    if (el && !el.disabled) {
      el.focus()
      return
    }
  }
}

function render(): void {
  const app = byId('app')
  const a = me()
  replace(
    app,
    message ? h('div', { class: `notice ${message.kind}`, role: 'alert' }, message.text) : null,
    stateCard(a),
    queuesCard(a),
    deviceCard(a),
  )
  restoreFocus(app)
  app.setAttribute('aria-busy', 'false')
}

async function main(): Promise<void> {
  translatePage()
  account = await requireAccount(['agent'])
  byId('logout').addEventListener('click', () => void logout())
  agent = await get<AgentRecord>(`/agents/${encodeURIComponent(account.agentId!)}`)
  queues = await list<QueueRecord>('/queues')
  render()
  subscribeStatus((s, at) => {
    status = s
    receivedAt = at
    // a queue granted or revoked meanwhile
    const known = new Set(queues.map((q) => q.id))
    if (s.queues.some((q) => !known.has(q.queueId)) || s.queues.length !== queues.length) {
      void list<QueueRecord>('/queues').then((qs) => {
        queues = qs
        render()
      })
    }
    render()
  }, byId('live'))
  window.setInterval(() => {
    if (!busy && me()?.state === 'wrap-up') render()
  }, 1000)
}

void main()
