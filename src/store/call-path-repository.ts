/**
 * The asynchronous repository of what the call path writes — call records, offers, the event log, EWT
 * announcements and agent sessions — over either store (AsyncSqlDb: SQLite or PostgreSQL), with the same
 * validation, records and errors as the synchronous repositories (calls.ts, events.ts, ewt.ts, sessions.ts).
 *
 * It runs on any SqlRunner: the database itself (reads, e.g. rebuilding after a restart or a takeover) or one
 * transaction of the write queue (write-queue.ts: one transaction per event, in order):
 *
 *   queue.enqueue('CONNECT c1', async (tx) => {
 *     const repo = new CallPathRepository(tx)
 *     await repo.updateCall('c1', { answeredAt, agentId })
 *     await repo.appendEvent({ at, callId: 'c1', event: 'CONNECT' })
 *   })
 */
import {
  CALL_OUTCOMES,
  OFFER_RESULTS,
  toCallRecord,
  toOffer,
  type CallOffer,
  type CallPatch,
  type CallRecord,
  type CallRow,
  type CallStart,
  type OfferResult,
  type OfferRow,
} from './calls.js'
import { StoreError, invalid, notFound } from './errors.js'
import type { EventInput, LoggedEvent } from './events.js'
import type { EwtEntry } from './ewt.js'
import type { AgentSession } from './sessions.js'
import type { SqlRunner, SqlValue } from './sql/async-db.js'
import { describe, rejectUnknownKeys, requireInstant, requireInt, requireString } from './util.js'

const CALL_PATCH_COLUMNS: Record<keyof CallPatch, string> = {
  enteredQueueAt: 'entered_queue_at',
  answeredAt: 'answered_at',
  endedAt: 'ended_at',
  outcome: 'outcome',
  agentId: 'agent_id',
  waitMs: 'wait_ms',
  talkMs: 'talk_ms',
  queueId: 'queue_id',
}

const EVENT_RE = /^[A-Z][A-Z0-9_]{0,39}$/

interface EventRow {
  id: number
  at: number
  call_id: string | null
  queue_id: string | null
  agent_id: string | null
  event: string
  data: string | null
}
interface EwtRow {
  id: number
  call_id: string
  queue_id: string
  at: number
  position: number
  announced_seconds: number | null
  actual_wait_ms: number | null
}
interface SessionRow {
  agent_id: string
  queue_id: string
  since: number
  paused: number
  pause_reason: string | null
  paused_at: number | null
}

const toEvent = (r: EventRow): LoggedEvent => ({
  id: r.id,
  at: r.at,
  callId: r.call_id,
  queueId: r.queue_id,
  agentId: r.agent_id,
  event: r.event,
  data: r.data === null ? null : JSON.parse(r.data),
})
const toEwt = (r: EwtRow): EwtEntry => ({
  id: r.id,
  callId: r.call_id,
  queueId: r.queue_id,
  at: r.at,
  position: r.position,
  announcedSeconds: r.announced_seconds,
  actualWaitMs: r.actual_wait_ms,
})
const toSession = (r: SessionRow): AgentSession => ({
  agentId: r.agent_id,
  queueId: r.queue_id,
  since: r.since,
  paused: r.paused !== 0,
  pauseReason: r.pause_reason,
  pausedAt: r.paused_at,
})

/** Filters on the event log, as EventLog.list (events.ts). */
export interface EventQuery {
  since?: number
  until?: number
  afterId?: number
  callId?: string
  queueId?: string
  agentId?: string
  event?: string
  /** Oldest first; default 1000, at most 100000. */
  limit?: number
}

/** `col op ?` for each given filter, AND-ed; both dialects (no untyped `? IS NULL`, which PostgreSQL cannot type). */
function where(conds: [string, SqlValue | undefined][]): { sql: string; params: SqlValue[] } {
  const given = conds.filter(([, v]) => v !== undefined) as [string, SqlValue][]
  return { sql: given.length ? `WHERE ${given.map(([c]) => c).join(' AND ')}` : '', params: given.map(([, v]) => v) }
}

export class CallPathRepository {
  constructor(private readonly q: SqlRunner) {}

  // Call records --------------------------------------------------------------------------------------------

  /** Record a call's arrival. DUPLICATE if the call id exists. */
  async startCall(c: CallStart): Promise<CallRecord> {
    rejectUnknownKeys('call', c, [
      'callId',
      'tenantId',
      'queueId',
      'arrivedAt',
      'callerNumber',
      'callerName',
      'enteredQueueAt',
    ])
    requireString('call.callId', c.callId, { max: 128 })
    requireString('call.tenantId', c.tenantId, { max: 64 })
    requireString('call.queueId', c.queueId, { max: 64 })
    requireInstant('call.arrivedAt', c.arrivedAt)
    if (c.enteredQueueAt != null) requireInstant('call.enteredQueueAt', c.enteredQueueAt)
    const rows = await this.q.all<CallRow>(
      `INSERT INTO call_records (call_id, tenant_id, queue_id, caller_number, caller_name, arrived_at, entered_queue_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO NOTHING RETURNING *`,
      [
        c.callId,
        c.tenantId,
        c.queueId,
        c.callerNumber ?? '',
        c.callerName ?? '',
        c.arrivedAt,
        c.enteredQueueAt ?? null,
      ],
    )
    if (!rows[0]) throw new StoreError('DUPLICATE', `call '${c.callId}' already recorded`, 'call.callId')
    return toCallRecord(rows[0])
  }

  /** Update a call; on end (endedAt/answeredAt set) wait and talk are derived unless given (as Calls.update). */
  async updateCall(callId: string, patch: CallPatch): Promise<CallRecord> {
    rejectUnknownKeys('call', patch, Object.keys(CALL_PATCH_COLUMNS))
    for (const k of ['enteredQueueAt', 'answeredAt', 'endedAt', 'waitMs', 'talkMs'] as const)
      if (patch[k] != null) requireInstant(`call.${k}`, patch[k])
    if (patch.outcome != null && !CALL_OUTCOMES.includes(patch.outcome)) {
      throw invalid('call.outcome', `expected one of ${CALL_OUTCOMES.join(', ')}, got ${describe(patch.outcome)}`)
    }
    const cur = await this.getCall(callId)
    const next = { ...cur, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
    if (patch.endedAt != null || patch.answeredAt != null) {
      if (patch.waitMs === undefined && next.enteredQueueAt !== null && (next.answeredAt ?? next.endedAt) !== null) {
        next.waitMs = Math.max(0, (next.answeredAt ?? next.endedAt)! - next.enteredQueueAt)
      }
      if (patch.talkMs === undefined && next.answeredAt !== null && next.endedAt !== null)
        next.talkMs = Math.max(0, next.endedAt - next.answeredAt)
    }
    const cols = Object.entries(CALL_PATCH_COLUMNS)
    const rows = await this.q.all<CallRow>(
      `UPDATE call_records SET ${cols.map(([, c]) => `${c} = ?`).join(', ')} WHERE call_id = ? RETURNING *`,
      [...cols.map(([k]) => next[k as keyof CallPatch] ?? null), callId],
    )
    return toCallRecord(rows[0])
  }

  async findCall(callId: string): Promise<CallRecord | undefined> {
    const r = await this.q.get<CallRow>('SELECT * FROM call_records WHERE call_id = ?', [callId])
    return r && toCallRecord(r)
  }

  async getCall(callId: string): Promise<CallRecord> {
    const c = await this.findCall(callId)
    if (!c) throw notFound('call', callId)
    return c
  }

  /** Calls not yet ended (to re-adopt after a restart or a takeover), oldest first. */
  async callsInProgress(): Promise<CallRecord[]> {
    return (
      await this.q.all<CallRow>('SELECT * FROM call_records WHERE ended_at IS NULL ORDER BY arrived_at, call_id')
    ).map(toCallRecord)
  }

  // Offers -----------------------------------------------------------------------------------------------

  async addOffer(o: {
    callId: string
    agentId: string
    offeredAt: number
    legUuid?: string
    device?: string
  }): Promise<CallOffer> {
    requireString('offer.callId', o.callId, { max: 128 })
    requireString('offer.agentId', o.agentId, { max: 64 })
    requireInstant('offer.offeredAt', o.offeredAt)
    if (o.device !== undefined) requireString('offer.device', o.device, { max: 300 })
    const rows = await this.q.all<OfferRow>(
      'INSERT INTO call_offers (call_id, agent_id, leg_uuid, offered_at, device) VALUES (?, ?, ?, ?, ?) RETURNING *',
      [o.callId, o.agentId, o.legUuid ?? null, o.offeredAt, o.device ?? null],
    )
    return toOffer(rows[0])
  }

  async finishOffer(
    id: number,
    p: { result: OfferResult; cause?: string; answeredAt?: number; endedAt?: number },
  ): Promise<CallOffer> {
    if (!OFFER_RESULTS.includes(p.result))
      throw invalid('offer.result', `expected one of ${OFFER_RESULTS.join(', ')}, got ${describe(p.result)}`)
    if (p.answeredAt != null) requireInstant('offer.answeredAt', p.answeredAt)
    if (p.endedAt != null) requireInstant('offer.endedAt', p.endedAt)
    const rows = await this.q.all<OfferRow>(
      `UPDATE call_offers SET result = ?, cause = COALESCE(?, cause), answered_at = COALESCE(?, answered_at), ended_at = COALESCE(?, ended_at)
       WHERE id = ? RETURNING *`,
      [p.result, p.cause ?? null, p.answeredAt ?? null, p.endedAt ?? null, id],
    )
    if (!rows[0]) throw notFound('offer', String(id))
    return toOffer(rows[0])
  }

  async findOfferByLeg(legUuid: string): Promise<CallOffer | undefined> {
    const r = await this.q.get<OfferRow>('SELECT * FROM call_offers WHERE leg_uuid = ? ORDER BY id DESC LIMIT 1', [
      legUuid,
    ])
    return r && toOffer(r)
  }

  /** Offers without a result yet, oldest first. */
  async openOffers(): Promise<CallOffer[]> {
    return (await this.q.all<OfferRow>('SELECT * FROM call_offers WHERE result IS NULL ORDER BY offered_at, id')).map(
      toOffer,
    )
  }

  async offersForCall(callId: string): Promise<CallOffer[]> {
    return (
      await this.q.all<OfferRow>('SELECT * FROM call_offers WHERE call_id = ? ORDER BY offered_at, id', [callId])
    ).map(toOffer)
  }

  // Event log --------------------------------------------------------------------------------------------

  /** Append one event; returns its id. */
  async appendEvent(e: EventInput): Promise<number> {
    if (typeof e.event !== 'string' || !EVENT_RE.test(e.event))
      throw invalid('event.event', `expected an UPPER_SNAKE event name, got ${JSON.stringify(e.event)}`)
    if (typeof e.at !== 'number' || !Number.isFinite(e.at))
      throw invalid('event.at', `expected epoch milliseconds, got ${JSON.stringify(e.at)}`)
    const data = e.data === undefined || e.data === null ? null : JSON.stringify(e.data)
    const r = await this.q.get<{ id: number }>(
      'INSERT INTO event_log (at, call_id, queue_id, agent_id, event, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      [Math.round(e.at), e.callId ?? null, e.queueId ?? null, e.agentId ?? null, e.event, data],
    )
    return r!.id
  }

  /** Events, oldest first (as EventLog.list). */
  async listEvents(f: EventQuery = {}): Promise<LoggedEvent[]> {
    const limit = Math.min(Math.max(1, Math.floor(f.limit ?? 1000)), 100000)
    const w = where([
      ['at >= ?', f.since],
      ['at < ?', f.until],
      ['id > ?', f.afterId],
      ['call_id = ?', f.callId],
      ['queue_id = ?', f.queueId],
      ['agent_id = ?', f.agentId],
      ['event = ?', f.event],
    ])
    return (
      await this.q.all<EventRow>(`SELECT * FROM event_log ${w.sql} ORDER BY at, id LIMIT ?`, [...w.params, limit])
    ).map(toEvent)
  }

  // EWT announcements ---------------------------------------------------------------------------------------

  async recordEwt(e: {
    callId: string
    queueId: string
    at: number
    position: number
    announcedSeconds: number | null
  }): Promise<number> {
    requireString('ewt.callId', e.callId, { max: 128 })
    requireString('ewt.queueId', e.queueId, { max: 64 })
    requireInstant('ewt.at', e.at)
    requireInt('ewt.position', e.position, 1, 1_000_000)
    if (e.announcedSeconds !== null) requireInt('ewt.announcedSeconds', e.announcedSeconds, 0, 86400 * 7)
    const r = await this.q.get<{ id: number }>(
      'INSERT INTO ewt_log (call_id, queue_id, at, position, announced_seconds) VALUES (?, ?, ?, ?, ?) RETURNING id',
      [e.callId, e.queueId, e.at, e.position, e.announcedSeconds],
    )
    return r!.id
  }

  /** Fill in the actual remaining wait of a call's announcements once it is answered; returns rows updated. */
  async resolveEwt(callId: string, answeredAt: number): Promise<number> {
    requireInstant('ewt.answeredAt', answeredAt)
    // CASE rather than SQLite's scalar MAX / PostgreSQL's GREATEST: the same text runs on both.
    const r = await this.q.run(
      'UPDATE ewt_log SET actual_wait_ms = CASE WHEN at < ? THEN ? - at ELSE 0 END WHERE call_id = ? AND actual_wait_ms IS NULL',
      [answeredAt, answeredAt, callId],
    )
    return r.changes
  }

  async ewtForCall(callId: string): Promise<EwtEntry[]> {
    return (await this.q.all<EwtRow>('SELECT * FROM ewt_log WHERE call_id = ? ORDER BY at, id', [callId])).map(toEwt)
  }

  // Agent sessions ---------------------------------------------------------------------------------------

  /** Every session, or those of one agent / one queue (as AgentSessions.list). */
  async sessions(filter: { agentId?: string; queueId?: string } = {}): Promise<AgentSession[]> {
    const w = where([
      ['agent_id = ?', filter.agentId],
      ['queue_id = ?', filter.queueId],
    ])
    return (
      await this.q.all<SessionRow>(`SELECT * FROM agent_sessions ${w.sql} ORDER BY since, agent_id, queue_id`, w.params)
    ).map(toSession)
  }

  /** Log a member in to a queue, as AgentSessions.login: again keeps `since`; a new session inherits the agent's pause. */
  async login(agentId: string, queueId: string, at: number): Promise<AgentSession> {
    requireInstant('session.at', at)
    if (!(await this.q.get('SELECT 1 AS x FROM agents WHERE id = ?', [agentId]))) throw notFound('agent', agentId)
    if (!(await this.q.get('SELECT 1 AS x FROM queues WHERE id = ?', [queueId]))) throw notFound('queue', queueId)
    if (!(await this.q.get('SELECT 1 AS x FROM memberships WHERE agent_id = ? AND queue_id = ?', [agentId, queueId]))) {
      throw new StoreError('INVALID', `agent '${agentId}' is not a member of queue '${queueId}'`, 'queueId')
    }
    const other = await this.q.get<Pick<SessionRow, 'pause_reason' | 'paused_at'>>(
      'SELECT pause_reason, paused_at FROM agent_sessions WHERE agent_id = ? AND paused = 1 LIMIT 1',
      [agentId],
    )
    await this.q.run(
      'INSERT INTO agent_sessions (agent_id, queue_id, since, paused, pause_reason, paused_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id, queue_id) DO NOTHING',
      [agentId, queueId, at, other ? 1 : 0, other?.pause_reason ?? null, other?.paused_at ?? null],
    )
    return (await this.sessions({ agentId, queueId }))[0]
  }

  /** Log out of one queue, or of every queue when queueId is omitted. Returns the queues left. */
  async logout(agentId: string, queueId?: string): Promise<string[]> {
    const left = await this.sessions({ agentId, queueId })
    const w = where([
      ['agent_id = ?', agentId],
      ['queue_id = ?', queueId],
    ])
    await this.q.run(`DELETE FROM agent_sessions ${w.sql}`, w.params)
    return left.map((r) => r.queueId)
  }

  /** Pause (with an optional reason) or unpause an agent in all their sessions. Returns how many sessions changed. */
  async setPaused(agentId: string, paused: boolean, reason: string | null, at: number): Promise<number> {
    if (reason !== null) requireString('session.pauseReason', reason, { max: 64 })
    const r = paused
      ? await this.q.run('UPDATE agent_sessions SET paused = 1, pause_reason = ?, paused_at = ? WHERE agent_id = ?', [
          reason,
          at,
          agentId,
        ])
      : await this.q.run(
          'UPDATE agent_sessions SET paused = 0, pause_reason = NULL, paused_at = NULL WHERE agent_id = ?',
          [agentId],
        )
    return r.changes
  }
}
