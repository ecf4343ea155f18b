/**
 * The live wallboard (/wallboard): per queue the waiting callers, the longest wait (ticking every second between
 * pushes), agents logged in / free / on call / in wrap-up, and today's answered / abandoned / service level.
 * The status arrives over server-sent events; today's figures are re-read from /stats/queues when the status
 * changes (at most every 3 s) — no page reloads.
 */
import { get, list, requireAccount } from './api.js'
import { byId, DEFAULT_ZONE, h, mmss, pct, replace, sharedZone, zonedDate } from './dom.js'
import { t, translatePage } from './i18n.js'
import { subscribeStatus, type QueueStatus, type Status } from './live.js'

interface TodayRow {
  queueId: string
  answered: number
  abandoned: number
  offered: number
  serviceLevel: number | null
  bucket: string
  timeZone?: string
}

let status: Status | undefined
let receivedAt = 0
let today = new Map<string, TodayRow>()
const openState = new Map<string, boolean>()
let canReadStats = true

async function refreshToday(): Promise<void> {
  if (!canReadStats) return
  try {
    // "today" is each queue's own day (rows carry their zone); ask from yesterday so zones west of the default fit
    const now = Date.now()
    const rows = await list<TodayRow>(`/stats/queues?by=day&from=${zonedDate(now, DEFAULT_ZONE, 1)}`)
    const m = new Map<string, TodayRow>()
    for (const r of rows) {
      if (r.bucket !== zonedDate(now, r.timeZone ?? DEFAULT_ZONE)) continue
      const prev = m.get(r.queueId)
      if (!prev) m.set(r.queueId, { ...r })
      else {
        prev.answered += r.answered
        prev.abandoned += r.abandoned
        prev.offered += r.offered
        prev.serviceLevel = r.serviceLevel ?? prev.serviceLevel
      }
    }
    today = m
  } catch {
    canReadStats = false // an agent account: the live figures only
  }
  render()
}

async function refreshOpen(): Promise<void> {
  if (!status) return
  await Promise.all(
    status.queues.map(async (q) => {
      try {
        const e = await get<{ open: boolean }>(`/queues/${encodeURIComponent(q.queueId)}/schedule/explain`)
        openState.set(q.queueId, e.open)
      } catch {
        openState.delete(q.queueId)
      }
    }),
  )
  render()
}

let statsTimer: number | undefined
function scheduleStats(): void {
  if (statsTimer !== undefined) return
  statsTimer = window.setTimeout(() => {
    statsTimer = undefined
    void refreshToday()
    void refreshOpen()
  }, 1500)
}

function big(label: string, value: string, cls = ''): HTMLElement {
  return h('div', { class: `wb-big ${cls}` }, h('div', { class: 'v' }, value), h('div', { class: 'l' }, label))
}
function small(label: string, value: string | number, cls = '', testid?: string): HTMLElement {
  return h(
    'div',
    { class: `wb-small ${cls}`, 'data-testid': testid },
    h('div', { class: 'v' }, value),
    h('div', { class: 'l' }, label),
  )
}

function queueCard(q: QueueStatus, elapsed: number): HTMLElement {
  const longest = q.waiting > 0 ? q.longestWaitSec + elapsed : 0
  const heat = longest >= 180 ? 'very-hot' : longest >= 60 ? 'hot' : ''
  const day = today.get(q.queueId)
  const open = openState.get(q.queueId)
  const sl = day?.serviceLevel ?? null
  return h(
    'section',
    {
      class: `wb-queue${q.overflowing ? ' alert' : ''}${open === false ? ' closed' : ''}`,
      'data-queue': q.queueId,
      'aria-label': q.name,
    },
    h(
      'div',
      { class: 'wb-qhead' },
      h('h2', {}, q.name),
      h('span', { class: 'number' }, q.number),
      h('span', { class: 'spacer' }),
      open === undefined
        ? null
        : h('span', { class: `wb-pill ${open ? 'open' : 'closed'}` }, open ? t('common.open') : t('common.closed')),
    ),
    h(
      'div',
      { class: 'wb-main' },
      big(t('wb.waiting'), String(q.waiting), q.waiting > 0 ? 'hot' : ''),
      big(t('wb.longest'), mmss(longest), heat),
    ),
    h(
      'div',
      { class: 'wb-row' },
      small(t('wb.loggedIn'), q.agents.loggedIn, '', 'logged-in'),
      small(t('wb.free'), q.agents.free, 'free', 'free'),
      small(t('wb.onCall'), q.agents.onCall + q.agents.ringing, 'oncall', 'on-call'),
      small(t('wb.wrapUp'), q.agents.wrapUp, 'wrap', 'wrap-up'),
    ),
    h(
      'div',
      { class: 'wb-row', style: 'grid-template-columns: repeat(3, 1fr)' },
      small(t('wb.answered'), day?.answered ?? (canReadStats ? 0 : '–'), '', 'answered'),
      small(t('wb.abandoned'), day?.abandoned ?? (canReadStats ? 0 : '–'), '', 'abandoned'),
      small(t('wb.sl'), pct(sl), sl === null ? '' : sl >= 0.8 ? 'sl-good' : 'sl-bad', 'service-level'),
    ),
    q.callers.length
      ? h(
          'ul',
          { class: 'wb-callers', 'aria-label': t('wb.waiting') },
          q.callers.slice(0, 12).map((c) =>
            h(
              'li',
              {
                class: c.ringing.length ? 'ringing' : '',
                'data-call': c.callId,
                ...(c.callback ? { 'data-callback': 'true' } : {}),
              },
              `${c.position}. ${c.callerNumber}${c.callback ? ` (${t('callback.mark')})` : ''} · ${mmss(c.waitedSec + elapsed)}`,
            ),
          ),
        )
      : null,
  )
}

function render(): void {
  const board = byId('board')
  if (!status) return
  if (status.queues.length === 0) {
    replace(board, h('div', { class: 'wb-empty' }, t('wb.noQueues')))
    return
  }
  const elapsed = Math.max(0, Math.floor((Date.now() - receivedAt) / 1000))
  const queues = [...status.queues].sort((a, b) => a.name.localeCompare(b.name))
  replace(
    board,
    queues.map((q) => queueCard(q, elapsed)),
  )
}

/** The clock shows the zone of the queues (their schedules'; else Europe/Stockholm), not the browser's. */
let clockZone = DEFAULT_ZONE
function tickClock(): void {
  const clock = byId('clock')
  clock.textContent = new Date().toLocaleTimeString('sv-SE', {
    timeZone: clockZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
  clock.title = clockZone
}

async function main(): Promise<void> {
  translatePage()
  await requireAccount(['operator', 'tenant-admin', 'agent'])
  clockZone = sharedZone(await list<{ schedule?: { timeZone?: string } | null }>('/queues').catch(() => []))
  subscribeStatus((s, at) => {
    status = s
    receivedAt = at
    render()
    scheduleStats()
  }, byId('live'))
  tickClock()
  // the clock and the waits tick between pushes
  window.setInterval(() => {
    tickClock()
    render()
  }, 1000)
  window.setInterval(() => void refreshOpen(), 15_000)
  window.setInterval(() => void refreshToday(), 60_000)
}

void main()
