/**
 * Report queries: licences (T1–T3), per-queue and per-agent statistics, EWT accuracy. Buckets and
 * months are local to a time zone (default Europe/Stockholm).
 *
 * The same figures on SQLite and PostgreSQL: the SQL only selects rows (and sums integers, cast back to BIGINT);
 * buckets, months, averages, percentiles and ratios are computed here in JavaScript (timezone.ts, Intl), never
 * with either engine's date functions or division.
 */
import type { Plan } from '../core/model.js'
import type { RepoContext } from './repo-context.js'
import { textOrder, where } from './sql/clauses.js'
import { invalid } from './errors.js'
import { EVENTS } from './events.js'
import { MISSED_RESULTS, type CallOutcome } from './calls.js'
import { bucketOf, checkTimeZone, monthRange } from './timezone.js'

export const DEFAULT_REPORT_TIME_ZONE = 'Europe/Stockholm'

export interface LicenceRow {
  tenant: string
  agentId: string
  extension: string
  name: string
  plan: Plan
  /** The first instant within the month at which the agent was a member of a queue. */
  firstMemberAt: number
  /** How many of the tenant's queues the agent was a member of during the month (information only: one licence). */
  queues: number
}

export interface AbandonedCaller {
  callId: string
  callerNumber: string
  callerName: string
  arrivedAt: number
  endedAt: number | null
  waitMs: number | null
}

export interface QueueStatsRow {
  queueId: string
  /** 'YYYY-MM-DD', 'YYYY-MM-DD HH' (local), or 'total'. */
  bucket: string
  /** Calls that arrived at the queue number (including those turned away). */
  arrived: number
  /** Calls that entered the queue. */
  offered: number
  answered: number
  abandoned: number
  /** Counts per outcome ('in-progress' for calls not ended). */
  outcomes: Record<string, number>
  abandonedCallers: AbandonedCaller[]
  /** Answered within the service-level threshold. */
  answeredWithinSl: number
  /** answeredWithinSl / offered; null when nothing was offered. */
  serviceLevel: number | null
  /** Over answered calls (time from queue entry to answer); null when none. */
  avgWaitMs: number | null
  p90WaitMs: number | null
  avgTalkMs: number | null
}

export interface QueueStatsQuery {
  since: number
  until: number
  tenantId?: string
  queueId?: string
  bucket?: 'day' | 'hour' | 'total'
  /** Service level threshold in seconds (default 20). */
  serviceLevelSec?: number
  timeZone?: string
}

export interface AgentStatsRow {
  agentId: string
  extension: string | null
  name: string | null
  offered: number
  answered: number
  /** Offers not answered: no answer, busy, rejected, failed (parallel-ringing losses and cancels excluded). */
  missed: number
  talkMs: number
  wrapUpMs: number
}

export interface EwtAccuracy {
  /** Announcements with a known outcome (answered calls only). */
  n: number
  /** Mean absolute error in seconds; null when n = 0. */
  maeSeconds: number | null
  /** Mean signed error (announced - actual) in seconds: > 0 means we over-estimate. */
  biasSeconds: number | null
  /** Share of announcements within ±60 s of the real wait; null when n = 0. */
  within60Share: number | null
}

/** Nearest-rank percentile of a sorted array. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null)

function checkRange(since: number, until: number): void {
  if (!Number.isFinite(since) || !Number.isFinite(until) || until <= since)
    throw invalid('until', 'expected since < until (epoch milliseconds)')
}

function zone(tz: string | undefined): string {
  const z = tz ?? DEFAULT_REPORT_TIME_ZONE
  try {
    checkTimeZone(z)
  } catch (err) {
    throw invalid('timeZone', (err as Error).message)
  }
  return z
}

export class Reports {
  constructor(private readonly ctx: RepoContext) {}

  /**
   * Licences for a month 'YYYY-MM': every agent who was a member of at least one queue at any time
   * of the month (local to timeZone), one row per agent however many queues (T1–T3).
   */
  async licences(month: string, tenantId?: string, opts: { timeZone?: string } = {}): Promise<LicenceRow[]> {
    let range: { start: number; end: number }
    try {
      range = monthRange(month, zone(opts.timeZone))
    } catch (err) {
      if (err instanceof RangeError) throw invalid('month', err.message.replace(/^month: /, ''))
      throw err
    }
    const w = where([
      ['h.from_at < ?', range.end],
      ['(h.until_at IS NULL OR (h.until_at > ? AND h.until_at > h.from_at))', range.start],
      ['h.tenant_id = ?', tenantId ?? undefined],
    ])
    const rows = await this.ctx.db.all<{
      tenant_id: string
      agent_id: string
      queue_id: string
      extension: string
      name: string
      plan: Plan
      from_at: number
      cur_extension: string | null
      cur_name: string | null
      cur_plan: Plan | null
    }>(
      `SELECT h.*, a.extension AS cur_extension, a.name AS cur_name, a.plan AS cur_plan
         FROM membership_history h LEFT JOIN agents a ON a.id = h.agent_id
         ${w.sql}
        ORDER BY h.from_at, h.id`,
      w.params,
    )
    const byAgent = new Map<string, LicenceRow & { queueSet: Set<string> }>()
    for (const r of rows) {
      let l = byAgent.get(r.agent_id)
      if (!l) {
        l = {
          tenant: r.tenant_id,
          agentId: r.agent_id,
          extension: r.cur_extension ?? r.extension,
          name: r.cur_name ?? r.name,
          plan: r.cur_plan ?? r.plan,
          firstMemberAt: Math.max(range.start, r.from_at),
          queues: 0,
          queueSet: new Set(),
        }
        byAgent.set(r.agent_id, l)
      }
      l.firstMemberAt = Math.min(l.firstMemberAt, Math.max(range.start, r.from_at))
      l.queueSet.add(r.queue_id)
    }
    return [...byAgent.values()]
      .map(({ queueSet, ...l }) => ({ ...l, queues: queueSet.size }))
      .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.extension.localeCompare(b.extension))
  }

  /** Per-queue statistics per local day, hour, or for the whole range, from call_records. */
  async queueStats(q: QueueStatsQuery): Promise<QueueStatsRow[]> {
    checkRange(q.since, q.until)
    const tz = zone(q.timeZone)
    const bucket = q.bucket ?? 'day'
    const slMs = (q.serviceLevelSec ?? 20) * 1000
    const w = where([
      ['arrived_at >= ?', q.since],
      ['arrived_at < ?', q.until],
      ['tenant_id = ?', q.tenantId],
      ['queue_id = ?', q.queueId],
    ])
    const rows = await this.ctx.db.all<{
      call_id: string
      queue_id: string
      caller_number: string
      caller_name: string
      arrived_at: number
      entered_queue_at: number | null
      answered_at: number | null
      ended_at: number | null
      outcome: CallOutcome | null
      wait_ms: number | null
      talk_ms: number | null
    }>(`SELECT * FROM call_records ${w.sql} ORDER BY arrived_at, ${textOrder(this.ctx.dialect, 'call_id')}`, w.params)
    interface Acc {
      row: QueueStatsRow
      waits: number[]
      talks: number[]
    }
    const groups = new Map<string, Acc>()
    for (const r of rows) {
      const b = bucket === 'total' ? 'total' : bucketOf(r.arrived_at, bucket, tz)
      const key = `${r.queue_id}\u0000${b}`
      let g = groups.get(key)
      if (!g) {
        g = {
          row: {
            queueId: r.queue_id,
            bucket: b,
            arrived: 0,
            offered: 0,
            answered: 0,
            abandoned: 0,
            outcomes: {},
            abandonedCallers: [],
            answeredWithinSl: 0,
            serviceLevel: null,
            avgWaitMs: null,
            p90WaitMs: null,
            avgTalkMs: null,
          },
          waits: [],
          talks: [],
        }
        groups.set(key, g)
      }
      const s = g.row
      s.arrived++
      const outcome = r.outcome ?? 'in-progress'
      s.outcomes[outcome] = (s.outcomes[outcome] ?? 0) + 1
      if (r.entered_queue_at !== null) s.offered++
      if (r.answered_at !== null) {
        s.answered++
        const wait = r.wait_ms ?? (r.entered_queue_at !== null ? r.answered_at - r.entered_queue_at : 0)
        g.waits.push(wait)
        if (wait <= slMs) s.answeredWithinSl++
        if (r.talk_ms !== null) g.talks.push(r.talk_ms)
      }
      if (r.outcome === 'abandoned') {
        s.abandoned++
        s.abandonedCallers.push({
          callId: r.call_id,
          callerNumber: r.caller_number,
          callerName: r.caller_name,
          arrivedAt: r.arrived_at,
          endedAt: r.ended_at,
          waitMs: r.wait_ms,
        })
      }
    }
    const out: QueueStatsRow[] = []
    for (const g of groups.values()) {
      const s = g.row
      const waits = [...g.waits].sort((a, b) => a - b)
      s.serviceLevel = s.offered ? s.answeredWithinSl / s.offered : null
      s.avgWaitMs = mean(waits)
      s.p90WaitMs = percentile(waits, 90)
      s.avgTalkMs = mean(g.talks)
      out.push(s)
    }
    return out.sort((a, b) => a.queueId.localeCompare(b.queueId) || a.bucket.localeCompare(b.bucket))
  }

  /**
   * Per-agent statistics over [since, until): offers (call_offers), talk time (call_records answered in
   * the range), wrap-up time (event_log WRAPUPSTART → next WRAPUPEND of the same agent, start in the range).
   */
  async agentStats(q: {
    since: number
    until: number
    tenantId?: string
    queueId?: string
    agentId?: string
  }): Promise<AgentStatsRow[]> {
    checkRange(q.since, q.until)
    const stats = new Map<string, AgentStatsRow>()
    const get = (agentId: string): AgentStatsRow => {
      let s = stats.get(agentId)
      if (!s) {
        s = { agentId, extension: null, name: null, offered: 0, answered: 0, missed: 0, talkMs: 0, wrapUpMs: 0 }
        stats.set(agentId, s)
      }
      return s
    }
    const ow = where([
      ['o.offered_at >= ?', q.since],
      ['o.offered_at < ?', q.until],
      ['o.agent_id = ?', q.agentId],
      ['c.tenant_id = ?', q.tenantId],
      ['c.queue_id = ?', q.queueId],
    ])
    const offers = await this.ctx.db.all<{ agent_id: string; result: string | null }>(
      `SELECT o.agent_id, o.result FROM call_offers o LEFT JOIN call_records c ON c.call_id = o.call_id ${ow.sql}`,
      ow.params,
    )
    for (const o of offers) {
      const s = get(o.agent_id)
      s.offered++
      if (o.result === 'answered') s.answered++
      else if (o.result !== null && (MISSED_RESULTS as readonly string[]).includes(o.result)) s.missed++
    }
    const tw = where([
      'agent_id IS NOT NULL',
      ['answered_at >= ?', q.since],
      ['answered_at < ?', q.until],
      ['agent_id = ?', q.agentId],
      ['tenant_id = ?', q.tenantId],
      ['queue_id = ?', q.queueId],
    ])
    // SUM of a BIGINT is NUMERIC on PostgreSQL (a string to node-postgres): cast back to BIGINT, a number on both.
    const talks = await this.ctx.db.all<{ agent_id: string; talk: number }>(
      `SELECT agent_id, CAST(SUM(COALESCE(talk_ms, 0)) AS BIGINT) AS talk FROM call_records ${tw.sql} GROUP BY agent_id`,
      tw.params,
    )
    for (const t of talks) get(t.agent_id).talkMs += t.talk
    const ww = where([
      `event IN ('${EVENTS.WRAPUPSTART}', '${EVENTS.WRAPUPEND}')`,
      'agent_id IS NOT NULL',
      ['at >= ?', q.since],
      ['agent_id = ?', q.agentId],
    ])
    const wraps = await this.ctx.db.all<{ agent_id: string; event: string; at: number; queue_id: string | null }>(
      `SELECT agent_id, event, at, queue_id FROM event_log ${ww.sql} ORDER BY agent_id, at, id`,
      ww.params,
    )
    let open: { agentId: string; at: number; queueId: string | null } | undefined
    for (const w of wraps) {
      if (open && open.agentId !== w.agent_id) open = undefined
      if (w.event === EVENTS.WRAPUPSTART) {
        open = w.at < q.until ? { agentId: w.agent_id, at: w.at, queueId: w.queue_id } : undefined
      } else if (open) {
        if (await this.wrapUpCounts(open, q)) get(open.agentId).wrapUpMs += w.at - open.at
        open = undefined
      }
    }
    for (const s of stats.values()) {
      const a = await this.ctx.db.get<{ extension: string; name: string }>(
        'SELECT extension, name FROM agents WHERE id = ?',
        [s.agentId],
      )
      s.extension = a?.extension ?? null
      s.name = a?.name ?? null
    }
    return [...stats.values()].sort((a, b) => (a.extension ?? a.agentId).localeCompare(b.extension ?? b.agentId))
  }

  /** EWT accuracy over announcements that had an estimate and whose call was answered. */
  async ewtAccuracy(q: { queueId?: string; since?: number; until?: number } = {}): Promise<EwtAccuracy> {
    const w = where([
      'announced_seconds IS NOT NULL',
      'actual_wait_ms IS NOT NULL',
      ['queue_id = ?', q.queueId],
      ['at >= ?', q.since],
      ['at < ?', q.until],
    ])
    const rows = await this.ctx.db.all<{ err: number }>(
      `SELECT announced_seconds * 1000 - actual_wait_ms AS err FROM ewt_log ${w.sql}`,
      w.params,
    )
    const n = rows.length
    if (n === 0) return { n: 0, maeSeconds: null, biasSeconds: null, within60Share: null }
    const abs = rows.map((r) => Math.abs(r.err))
    return {
      n,
      maeSeconds: abs.reduce((a, b) => a + b, 0) / n / 1000,
      biasSeconds: rows.reduce((a, r) => a + r.err, 0) / n / 1000,
      within60Share: abs.filter((e) => e <= 60_000).length / n,
    }
  }

  private async wrapUpCounts(
    open: { queueId: string | null },
    q: { tenantId?: string; queueId?: string },
  ): Promise<boolean> {
    if (q.queueId !== undefined && open.queueId !== q.queueId) return false
    if (q.tenantId !== undefined) {
      if (open.queueId === null) return false
      const t = await this.ctx.db.get<{ tenant_id: string }>('SELECT tenant_id FROM queues WHERE id = ?', [
        open.queueId,
      ])
      if (t?.tenant_id !== q.tenantId) return false
    }
    return true
  }
}
