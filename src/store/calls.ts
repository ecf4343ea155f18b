/**
 * Call records (one row per queue call) and offers (one row per agent leg). Rows are written as the
 * call progresses: start() at arrival, update() at queue entry / answer / end. wait_ms and talk_ms are
 * derived on end when not given: wait = (answered or ended) - entered queue; talk = ended - answered.
 */
import type { StoreContext } from './context.js'
import { StoreError, invalid, notFound } from './errors.js'
import { describe, rejectUnknownKeys, requireInstant, requireString } from './util.js'

export const CALL_OUTCOMES = [
  'answered',
  'abandoned',
  'closed',
  'overflow',
  'no-agents',
  'max-wait',
  'exit-key',
  'transferred',
  'failed',
  // Callback (issue 14): the caller hung up keeping the place; then connected ('answered'), given up or cancelled.
  'callback',
  'callback-failed',
  'callback-cancelled',
  // The channel was gone when the daemon came back after a crash and nothing tells how the call ended.
  'unknown',
] as const
export type CallOutcome = (typeof CALL_OUTCOMES)[number]

/** How an offer ended. 'lost-race' / 'cancelled' do not count as unanswered (parallel ringing, caller gone). */
export const OFFER_RESULTS = [
  'answered',
  'no-answer',
  'busy',
  'rejected',
  'failed',
  'lost-race',
  'cancelled',
  'confirm-timeout',
] as const
export type OfferResult = (typeof OFFER_RESULTS)[number]
/** Offer results that count as missed by the agent (and toward auto-logout). 'confirm-timeout': a mobile answered but 1 was not pressed. */
export const MISSED_RESULTS: readonly OfferResult[] = ['no-answer', 'busy', 'rejected', 'failed', 'confirm-timeout']

export interface CallRecord {
  callId: string
  tenantId: string
  queueId: string
  callerNumber: string
  callerName: string
  arrivedAt: number
  enteredQueueAt: number | null
  answeredAt: number | null
  endedAt: number | null
  /** null while the call is in progress. */
  outcome: CallOutcome | null
  agentId: string | null
  waitMs: number | null
  talkMs: number | null
}

export type CallStart = Pick<CallRecord, 'callId' | 'tenantId' | 'queueId' | 'arrivedAt'> &
  Partial<Pick<CallRecord, 'callerNumber' | 'callerName' | 'enteredQueueAt'>>

export type CallPatch = Partial<
  Pick<
    CallRecord,
    'enteredQueueAt' | 'answeredAt' | 'endedAt' | 'outcome' | 'agentId' | 'waitMs' | 'talkMs' | 'queueId'
  >
>

export interface CallOffer {
  id: number
  callId: string
  agentId: string
  legUuid: string | null
  offeredAt: number
  answeredAt: number | null
  endedAt: number | null
  result: OfferResult | null
  cause: string | null
  /** The device rung, '<type>:<target>' (null for offers recorded before it was kept). */
  device: string | null
}

export interface CallRow {
  call_id: string
  tenant_id: string
  queue_id: string
  caller_number: string
  caller_name: string
  arrived_at: number
  entered_queue_at: number | null
  answered_at: number | null
  ended_at: number | null
  outcome: CallOutcome | null
  agent_id: string | null
  wait_ms: number | null
  talk_ms: number | null
}

export interface OfferRow {
  id: number
  call_id: string
  agent_id: string
  leg_uuid: string | null
  offered_at: number
  answered_at: number | null
  ended_at: number | null
  result: OfferResult | null
  cause: string | null
  device: string | null
}

export const toCallRecord = (r: CallRow): CallRecord => ({
  callId: r.call_id,
  tenantId: r.tenant_id,
  queueId: r.queue_id,
  callerNumber: r.caller_number,
  callerName: r.caller_name,
  arrivedAt: r.arrived_at,
  enteredQueueAt: r.entered_queue_at,
  answeredAt: r.answered_at,
  endedAt: r.ended_at,
  outcome: r.outcome,
  agentId: r.agent_id,
  waitMs: r.wait_ms,
  talkMs: r.talk_ms,
})

export const toOffer = (r: OfferRow): CallOffer => ({
  id: r.id,
  callId: r.call_id,
  agentId: r.agent_id,
  legUuid: r.leg_uuid,
  offeredAt: r.offered_at,
  answeredAt: r.answered_at,
  endedAt: r.ended_at,
  result: r.result,
  cause: r.cause,
  device: r.device ?? null,
})

const COLUMN: Record<keyof CallPatch, string> = {
  enteredQueueAt: 'entered_queue_at',
  answeredAt: 'answered_at',
  endedAt: 'ended_at',
  outcome: 'outcome',
  agentId: 'agent_id',
  waitMs: 'wait_ms',
  talkMs: 'talk_ms',
  queueId: 'queue_id',
}

export interface CallFilter {
  tenantId?: string
  queueId?: string
  agentId?: string
  /** arrived_at >= since */
  since?: number
  /** arrived_at < until */
  until?: number
  outcome?: CallOutcome
  /** Newest first; default 100, at most 10000. */
  limit?: number
}

export class Calls {
  constructor(private readonly ctx: StoreContext) {}

  /** Record a call's arrival. DUPLICATE if the call id exists (a restart re-adopting a call should use find()). */
  start(c: CallStart): CallRecord {
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
    if (this.find(c.callId)) throw new StoreError('DUPLICATE', `call '${c.callId}' already recorded`, 'call.callId')
    this.ctx
      .sql(
        `INSERT INTO call_records (call_id, tenant_id, queue_id, caller_number, caller_name, arrived_at, entered_queue_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.callId,
        c.tenantId,
        c.queueId,
        c.callerNumber ?? '',
        c.callerName ?? '',
        c.arrivedAt,
        c.enteredQueueAt ?? null,
      )
    return this.get(c.callId)
  }

  /** Update a call; on end (endedAt set) wait/talk are derived unless given. */
  update(callId: string, patch: CallPatch): CallRecord {
    rejectUnknownKeys('call', patch, Object.keys(COLUMN))
    const cur = this.get(callId)
    for (const k of ['enteredQueueAt', 'answeredAt', 'endedAt'] as const)
      if (patch[k] != null) requireInstant(`call.${k}`, patch[k])
    for (const k of ['waitMs', 'talkMs'] as const) if (patch[k] != null) requireInstant(`call.${k}`, patch[k])
    if (patch.outcome != null && !CALL_OUTCOMES.includes(patch.outcome)) {
      throw invalid('call.outcome', `expected one of ${CALL_OUTCOMES.join(', ')}, got ${describe(patch.outcome)}`)
    }
    const next = { ...cur, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) }
    if (patch.endedAt != null || patch.answeredAt != null) {
      if (patch.waitMs === undefined && next.enteredQueueAt !== null && (next.answeredAt ?? next.endedAt) !== null) {
        next.waitMs = Math.max(0, (next.answeredAt ?? next.endedAt)! - next.enteredQueueAt)
      }
      if (patch.talkMs === undefined && next.answeredAt !== null && next.endedAt !== null)
        next.talkMs = Math.max(0, next.endedAt - next.answeredAt)
    }
    const cols = Object.entries(COLUMN)
    this.ctx
      .sql(`UPDATE call_records SET ${cols.map(([, c]) => `${c} = @${c}`).join(', ')} WHERE call_id = @call_id`)
      .run({ call_id: callId, ...Object.fromEntries(cols.map(([k, c]) => [c, next[k as keyof CallPatch] ?? null])) })
    return this.get(callId)
  }

  find(callId: string): CallRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM call_records WHERE call_id = ?').get(callId) as CallRow | undefined
    return r && toCallRecord(r)
  }

  get(callId: string): CallRecord {
    const c = this.find(callId)
    if (!c) throw notFound('call', callId)
    return c
  }

  /** Call records, newest first. */
  list(f: CallFilter = {}): CallRecord[] {
    const limit = Math.min(Math.max(1, Math.floor(f.limit ?? 100)), 10000)
    const rows = this.ctx
      .sql(
        `SELECT * FROM call_records
                 WHERE (@tenantId IS NULL OR tenant_id = @tenantId) AND (@queueId IS NULL OR queue_id = @queueId)
                   AND (@agentId IS NULL OR agent_id = @agentId) AND (@outcome IS NULL OR outcome = @outcome)
                   AND (@since IS NULL OR arrived_at >= @since) AND (@until IS NULL OR arrived_at < @until)
                 ORDER BY arrived_at DESC, call_id DESC LIMIT @limit`,
      )
      .all({
        tenantId: f.tenantId ?? null,
        queueId: f.queueId ?? null,
        agentId: f.agentId ?? null,
        outcome: f.outcome ?? null,
        since: f.since ?? null,
        until: f.until ?? null,
        limit,
      }) as CallRow[]
    return rows.map(toCallRecord)
  }

  /** Calls not yet ended (to re-adopt after a restart), oldest first. */
  inProgress(): CallRecord[] {
    return (
      this.ctx.sql('SELECT * FROM call_records WHERE ended_at IS NULL ORDER BY arrived_at, call_id').all() as CallRow[]
    ).map(toCallRecord)
  }

  /** Record an offer (an agent leg ringing); returns it with its id. */
  addOffer(o: { callId: string; agentId: string; offeredAt: number; legUuid?: string; device?: string }): CallOffer {
    requireString('offer.callId', o.callId, { max: 128 })
    requireString('offer.agentId', o.agentId, { max: 64 })
    requireInstant('offer.offeredAt', o.offeredAt)
    if (o.device !== undefined) requireString('offer.device', o.device, { max: 300 })
    const r = this.ctx
      .sql('INSERT INTO call_offers (call_id, agent_id, leg_uuid, offered_at, device) VALUES (?, ?, ?, ?, ?)')
      .run(o.callId, o.agentId, o.legUuid ?? null, o.offeredAt, o.device ?? null)
    return this.getOffer(Number(r.lastInsertRowid))
  }

  /** The offer of an agent leg (the leg uuid the daemon chose), if recorded. */
  findOfferByLeg(legUuid: string): CallOffer | undefined {
    const r = this.ctx.sql('SELECT * FROM call_offers WHERE leg_uuid = ? ORDER BY id DESC LIMIT 1').get(legUuid) as
      OfferRow | undefined
    return r && toOffer(r)
  }

  /** Offers without a result yet (ringing, or left so by a daemon that went away), oldest first. */
  openOffers(): CallOffer[] {
    return (
      this.ctx.sql('SELECT * FROM call_offers WHERE result IS NULL ORDER BY offered_at, id').all() as OfferRow[]
    ).map(toOffer)
  }

  /** Finish an offer: answered (set answeredAt) or not, and later ended. Fields left out are kept. */
  finishOffer(
    id: number,
    p: { result: OfferResult; cause?: string; answeredAt?: number; endedAt?: number },
  ): CallOffer {
    const cur = this.getOffer(id)
    if (!OFFER_RESULTS.includes(p.result))
      throw invalid('offer.result', `expected one of ${OFFER_RESULTS.join(', ')}, got ${describe(p.result)}`)
    if (p.answeredAt != null) requireInstant('offer.answeredAt', p.answeredAt)
    if (p.endedAt != null) requireInstant('offer.endedAt', p.endedAt)
    this.ctx
      .sql('UPDATE call_offers SET result = ?, cause = ?, answered_at = ?, ended_at = ? WHERE id = ?')
      .run(p.result, p.cause ?? cur.cause, p.answeredAt ?? cur.answeredAt, p.endedAt ?? cur.endedAt, id)
    return this.getOffer(id)
  }

  getOffer(id: number): CallOffer {
    const r = this.ctx.sql('SELECT * FROM call_offers WHERE id = ?').get(id) as OfferRow | undefined
    if (!r) throw notFound('offer', String(id))
    return toOffer(r)
  }

  offersForCall(callId: string): CallOffer[] {
    return (
      this.ctx.sql('SELECT * FROM call_offers WHERE call_id = ? ORDER BY offered_at, id').all(callId) as OfferRow[]
    ).map(toOffer)
  }
}
