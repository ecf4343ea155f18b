/**
 * Admin: statistics (from the event log through /stats/queues and /stats/agents) with charts drawn in SVG —
 * calls per hour answered vs abandoned, service level and waits per day — the callers to call back, the
 * per-agent table, and CSV downloads.
 */
import { list } from './api.js'
import { dateTime, h, mmss, pct, replace, sharedZone, zonedDate, zoneOf } from './dom.js'
import { select } from './form.js'
import { barChart, lineChart } from './charts.js'
import { lang, t } from './i18n.js'
import type { AdminCtx, Queue } from './admin-ctx.js'

interface QueueStatsRow {
  queueId: string
  bucket: string
  offered: number
  answered: number
  abandoned: number
  answeredWithinSl: number
  serviceLevel: number | null
  avgWaitMs: number | null
  p90WaitMs: number | null
  avgTalkMs: number | null
  abandonedCallers: {
    callId: string
    callerNumber: string
    callerName: string
    arrivedAt: number
    waitMs: number | null
  }[]
}
interface AgentStatsRow {
  agentId: string
  extension: string | null
  name: string | null
  offered: number
  answered: number
  missed: number
  talkMs: number
  wrapUpMs: number
}

const GREEN = '#0f766e'
const RED = '#e0795f'
const BLUE = '#3559c7'
const AMBER = '#c98a1b'

/** Sum rows per bucket key. */
export function sumBy<T extends { offered: number; answered: number; abandoned: number; answeredWithinSl: number }>(
  rows: T[],
  key: (r: T) => string,
): Map<
  string,
  {
    offered: number
    answered: number
    abandoned: number
    withinSl: number
    waitSum: number
    waitN: number
    p90: number | null
  }
> {
  const m = new Map<
    string,
    {
      offered: number
      answered: number
      abandoned: number
      withinSl: number
      waitSum: number
      waitN: number
      p90: number | null
    }
  >()
  for (const r of rows) {
    const k = key(r)
    const e = m.get(k) ?? { offered: 0, answered: 0, abandoned: 0, withinSl: 0, waitSum: 0, waitN: 0, p90: null }
    e.offered += r.offered
    e.answered += r.answered
    e.abandoned += r.abandoned
    e.withinSl += r.answeredWithinSl
    const rr = r as unknown as QueueStatsRow
    if (rr.avgWaitMs !== null && rr.avgWaitMs !== undefined) {
      e.waitSum += rr.avgWaitMs * r.answered
      e.waitN += r.answered
    }
    if (rr.p90WaitMs !== null && rr.p90WaitMs !== undefined) e.p90 = Math.max(e.p90 ?? 0, rr.p90WaitMs)
    m.set(k, e)
  }
  return m
}

export async function renderStats(app: HTMLElement, ctx: AdminCtx): Promise<void> {
  const days = Number(ctx.arg?.split(':')[0] ?? '7') || 7
  const queueId = ctx.arg?.split(':')[1] ?? ''
  // days are the queue's local days (else the zone the queues share): 'from' is sent as a date without an offset,
  // which the API reads in the queue's zone (docs/api.md "Times and time zones")
  const queues = await list<Queue>('/queues')
  const zone = queueId ? zoneOf(queues.find((q) => q.id === queueId)) : sharedZone(queues)
  const now = Date.now()
  const from = zonedDate(now, zone, days - 1)
  const qp = `from=${from}${queueId ? `&queue=${encodeURIComponent(queueId)}` : ''}`
  const [byDay, byHour, agents] = await Promise.all([
    list<QueueStatsRow>(`/stats/queues?by=day&${qp}`),
    list<QueueStatsRow>(`/stats/queues?by=hour&${qp}`),
    list<AgentStatsRow>(`/stats/agents?from=${from}`),
  ])
  const range = select(
    [
      ['1', lang() === 'sv' ? 'Idag' : 'Today'],
      ['7', lang() === 'sv' ? 'Senaste 7 dagarna' : 'Last 7 days'],
      ['30', lang() === 'sv' ? 'Senaste 30 dagarna' : 'Last 30 days'],
    ],
    String(days),
    { 'aria-label': lang() === 'sv' ? 'Period' : 'Period', id: 'stats-range' },
  )
  const queue = select([['', t('common.all')], ...queues.map((q): [string, string] => [q.id, q.name])], queueId, {
    'aria-label': t('common.queue'),
    id: 'stats-queue',
  })
  const go = (): void => {
    location.hash = `stats/${range.value}:${queue.value}`
  }
  range.addEventListener('change', go)
  queue.addEventListener('change', go)

  const total = sumBy(byDay, () => 'all').get('all') ?? {
    offered: 0,
    answered: 0,
    abandoned: 0,
    withinSl: 0,
    waitSum: 0,
    waitN: 0,
    p90: null,
  }
  const hours = Array.from({ length: 24 }, (_, i) => String(i).padStart(2, '0'))
  const perHour = sumBy(byHour, (r) => r.bucket.slice(-2))
  const dayKeys: string[] = []
  for (let i = days - 1; i >= 0; i--) dayKeys.push(zonedDate(now, zone, i))
  const perDay = sumBy(byDay, (r) => r.bucket)
  const dayLabels = dayKeys.map((k) => k.slice(5).replace('-', '/'))
  const kpi = (label: string, value: string, id: string): HTMLElement =>
    h('div', { class: 'kpi', 'data-kpi': id }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value))
  const legend = (items: [string, string][]): HTMLElement =>
    h(
      'div',
      { class: 'legend' },
      items.map(([c, l]) => h('span', {}, h('i', { style: `background:${c}` }), l)),
    )
  const csv = (path: string): HTMLElement =>
    h('a', { class: 'button ghost', href: `/api/v1${path}`, download: '' }, `↓ ${t('stats.csv')}`)
  const callers = byDay
    .flatMap((r) => r.abandonedCallers.map((c) => ({ ...c, queueId: r.queueId })))
    .sort((a, b) => b.arrivedAt - a.arrivedAt)
  const qName = new Map(queues.map((q) => [q.id, q.name]))

  replace(
    app,
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, t('stats.title')),
      range,
      queue,
      h('span', { class: 'small muted', id: 'stats-zone' }, zone),
      h('span', { class: 'spacer' }),
      csv(`/stats/queues?by=day&format=csv&${qp}`),
    ),
    h(
      'div',
      { class: 'kpis' },
      kpi(t('stats.offered'), String(total.offered), 'offered'),
      kpi(t('stats.answered'), String(total.answered), 'answered'),
      kpi(t('stats.abandoned'), String(total.abandoned), 'abandoned'),
      kpi(`${t('stats.sl')} (20 s)`, pct(total.offered ? total.withinSl / total.offered : null), 'sl'),
      kpi(t('stats.avgWait'), total.waitN ? mmss(total.waitSum / total.waitN / 1000) : '–', 'avg-wait'),
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', {}, t('stats.perHour')),
        h('span', { class: 'spacer' }),
        csv(`/stats/queues?by=hour&format=csv&${qp}`),
      ),
      legend([
        [GREEN, t('stats.answered')],
        [RED, t('stats.abandoned')],
      ]),
      barChart({
        title: t('stats.perHour'),
        labels: hours,
        labelEvery: 2,
        series: [
          { name: t('stats.answered'), color: GREEN, values: hours.map((hr) => perHour.get(hr)?.answered ?? 0) },
          { name: t('stats.abandoned'), color: RED, values: hours.map((hr) => perHour.get(hr)?.abandoned ?? 0) },
        ],
      }),
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('stats.slTrend')),
        legend([[BLUE, `${t('stats.sl')} %`]]),
        lineChart({
          title: t('stats.slTrend'),
          labels: dayLabels,
          width: 480,
          height: 220,
          max: 100,
          format: (v) => `${Math.round(v)}`,
          series: [
            {
              name: t('stats.sl'),
              color: BLUE,
              values: dayKeys.map((k) => {
                const e = perDay.get(k)
                return e && e.offered ? Math.round((e.withinSl / e.offered) * 100) : null
              }),
            },
          ],
        }),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, t('stats.waits')),
        legend([
          [GREEN, t('stats.avgWait')],
          [AMBER, t('stats.p90Wait')],
        ]),
        lineChart({
          title: t('stats.waits'),
          labels: dayLabels,
          width: 480,
          height: 220,
          integer: true,
          series: [
            {
              name: t('stats.avgWait'),
              color: GREEN,
              values: dayKeys.map((k) => {
                const e = perDay.get(k)
                return e && e.waitN ? Math.round(e.waitSum / e.waitN / 1000) : null
              }),
            },
            {
              name: t('stats.p90Wait'),
              color: AMBER,
              values: dayKeys.map((k) => {
                const e = perDay.get(k)
                return e && e.p90 !== null ? Math.round(e.p90 / 1000) : null
              }),
            },
          ],
        }),
      ),
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'section',
        { class: 'card' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', {}, t('stats.callback')),
          h('span', { class: 'spacer' }),
          csv(`/calls?format=csv&limit=1000${queueId ? `&queue=${encodeURIComponent(queueId)}` : ''}`),
        ),
        callers.length
          ? h(
              'table',
              { id: 'callback-table' },
              h(
                'tbody',
                {},
                callers
                  .slice(0, 50)
                  .map((c) =>
                    h(
                      'tr',
                      {},
                      h(
                        'td',
                        { class: 'num' },
                        h('strong', {}, c.callerNumber),
                        c.callerName && c.callerName !== c.callerNumber
                          ? h('div', { class: 'small muted' }, c.callerName)
                          : null,
                      ),
                      h('td', {}, qName.get(c.queueId) ?? c.queueId),
                      h(
                        'td',
                        { class: 'num small muted' },
                        dateTime(c.arrivedAt, lang(), zoneOf(queues.find((q) => q.id === c.queueId))),
                      ),
                      h('td', { class: 'num small' }, c.waitMs !== null ? mmss(c.waitMs / 1000) : ''),
                    ),
                  ),
              ),
            )
          : h('p', { class: 'empty' }, t('stats.noData')),
      ),
      h(
        'section',
        { class: 'card' },
        h(
          'div',
          { class: 'card-head' },
          h('h2', {}, t('stats.agents')),
          h('span', { class: 'spacer' }),
          csv(`/stats/agents?format=csv&from=${from}`),
        ),
        agents.length
          ? h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { id: 'agent-stats' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    [t('common.agent'), t('stats.answered'), t('stats.missed'), t('stats.talk'), t('stats.wrap')].map(
                      (c) => h('th', { scope: 'col' }, c),
                    ),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  agents.map((a) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, a.name ?? a.agentId, h('div', { class: 'small muted' }, a.extension ?? '')),
                      h('td', { class: 'num' }, a.answered),
                      h('td', { class: 'num' }, a.missed),
                      h('td', { class: 'num' }, mmss(a.talkMs / 1000)),
                      h('td', { class: 'num' }, mmss(a.wrapUpMs / 1000)),
                    ),
                  ),
                ),
              ),
            )
          : h('p', { class: 'empty' }, t('stats.noData')),
      ),
    ),
  )
}
