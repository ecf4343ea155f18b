/**
 * Admin: callbacks that keep the caller's place (issue 14, docs/callback.md) — the pending ones in queue order with
 * cancel and "move first" (re-prioritise), and the last 7 days' figures.
 */
import { get, list, post } from './api.js'
import { dateTime, h, replace, zoneOf } from './dom.js'
import { toast } from './form.js'
import { lang, t } from './i18n.js'
import type { AdminCtx, Queue } from './admin-ctx.js'

interface Callback {
  callId: string
  queueId: string
  number: string
  requestedAt: number
  seq: number
  state: string
  attempts: number
  heldSince: number | null
}

interface CallbackStats {
  requested: number
  completed: number
  cancelled: number
  failed: Record<string, number>
  toConnectionSec: { avg: number | null }
}

export async function renderCallbacks(app: HTMLElement, ctx: AdminCtx): Promise<void> {
  const [queues, pending, stats] = await Promise.all([
    list<Queue>('/queues'),
    list<Callback>('/callbacks?state=pending'),
    get<CallbackStats>('/callbacks/stats'),
  ])
  const byId = new Map(queues.map((q) => [q.id, q]))
  const rows = [...pending].sort((a, b) => a.queueId.localeCompare(b.queueId) || a.seq - b.seq)
  const act = (path: string, body?: unknown) =>
    post(path, body).then(ctx.refresh, (e: Error) => toast(e.message, 'error'))
  const table = rows.length
    ? h(
        'table',
        { id: 'callback-table' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              t('common.queues'),
              t('callback.number'),
              t('callback.requested'),
              t('callback.state'),
              t('callback.attempts'),
              '',
            ].map((c) => h('th', { scope: 'col' }, c)),
          ),
        ),
        h(
          'tbody',
          {},
          rows.map((c) =>
            h(
              'tr',
              { 'data-callback': c.callId },
              h('td', {}, byId.get(c.queueId)?.name ?? c.queueId),
              h('td', { class: 'num' }, c.number),
              h('td', { class: 'num' }, dateTime(c.requestedAt, lang(), zoneOf(byId.get(c.queueId)))),
              h('td', {}, c.heldSince !== null ? t('callback.held') : c.state),
              h('td', { class: 'num' }, String(c.attempts)),
              h(
                'td',
                { class: 'actions' },
                h(
                  'button',
                  {
                    type: 'button',
                    'data-action': 'first',
                    onclick: () => void act(`/callbacks/${encodeURIComponent(c.callId)}/move`, { position: 1 }),
                  },
                  t('callback.first'),
                ),
                h(
                  'button',
                  {
                    type: 'button',
                    'data-action': 'cancel',
                    onclick: () => void act(`/callbacks/${encodeURIComponent(c.callId)}/cancel`),
                  },
                  t('callback.cancel'),
                ),
              ),
            ),
          ),
        ),
      )
    : h('p', { class: 'empty' }, t('callback.none'))
  const failed = Object.values(stats.failed).reduce((s, n) => s + n, 0)
  const line = t('callback.statsLine')
    .replace('{requested}', String(stats.requested))
    .replace('{completed}', String(stats.completed))
    .replace(
      '{failed}',
      `${failed}${
        failed
          ? ` (${Object.entries(stats.failed)
              .map(([k, n]) => `${k} ${n}`)
              .join(', ')})`
          : ''
      }`,
    )
    .replace('{cancelled}', String(stats.cancelled))
    .replace('{avg}', stats.toConnectionSec.avg === null ? '–' : String(stats.toConnectionSec.avg))
  replace(
    app,
    h('div', { class: 'page-head' }, h('h1', {}, t('nav.callbacks'))),
    h('section', { class: 'card' }, h('h2', {}, t('callback.pending')), h('div', { class: 'table-wrap' }, table)),
    h('section', { class: 'card', id: 'callback-stats' }, h('h2', {}, t('callback.stats')), h('p', {}, line)),
  )
}
