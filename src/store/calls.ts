/**
 * Call records (one row per queue call) and offers (one row per agent leg). Rows are written as the
 * call progresses: start() at arrival, update() at queue entry / answer / end. wait_ms and talk_ms are
 * derived on end when not given: wait = (answered or ended) - entered queue; talk = ended - answered.
 *
 * Asynchronous, on SQLite and PostgreSQL alike (RepoContext): the daemon's call path writes through the write queue,
 * `store.writes.enqueue('CONNECT c1', (tx) => store.within(tx).calls.update('c1', { answeredAt }))`, and a restart
 * or a takeover reads `inProgress()` and `openOffers()` to re-adopt what was going on.
 */
import type { RepoContext } from './repo-context.js'
import { textOrder, where } from './sql/clauses.js'
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
  constructor(private readonly ctx: RepoContext) {}

  /** Record a call's arrival. DUPLICATE if the call id exists (a restart re-adopting a call should use find()). */
  async start(c: CallStart): Promise<CallRecord> {
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
    // One statement: a second arrival of the same id inserts nothing and returns no row, on both engines.
    const r = await this.ctx.db.get<CallRow>(
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
    if (!r) throw new StoreError('DUPLICATE', `call '${c.callId}' already recorded`, 'call.callId')
    return toCallRecord(r)
  }

  /** Update a call; on end (endedAt set) wait/talk are derived unless given. */
  /**
   * `current`: the record as this same transaction just read or wrote it (the call path's persistence has it), which
   * saves reading it again: one round trip less on PostgreSQL.
   */
  async update(callId: string, patch: CallPatch, current?: CallRecord): Promise<CallRecord> {
    rejectUnknownKeys('call', patch, Object.keys(COLUMN))
    return this.ctx.tx(async (ctx) => {
      const cur = current?.callId === callId ? current : await this.#get(ctx, callId)
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
      const r = await ctx.db.get<CallRow>(
        `UPDATE call_records SET ${cols.map(([, c]) => `${c} = ?`).join(', ')} WHERE call_id = ? RETURNING *`,
        [...cols.map(([k]) => next[k as keyof CallPatch] ?? null), callId],
      )
      return toCallRecord(r!)
    })
  }

  async find(callId: string): Promise<CallRecord | undefined> {
    const r = await this.ctx.db.get<CallRow>('SELECT * FROM call_records WHERE call_id = ?', [callId])
    return r && toCallRecord(r)
  }

  get(callId: string): Promise<CallRecord> {
    return this.#get(this.ctx, callId)
  }

  async #get(ctx: RepoContext, callId: string): Promise<CallRecord> {
    const r = await ctx.db.get<CallRow>('SELECT * FROM call_records WHERE call_id = ?', [callId])
    if (!r) throw notFound('call', callId)
    return toCallRecord(r)
  }

  /** Call records, newest first. */
  async list(f: CallFilter = {}): Promise<CallRecord[]> {
    const limit = Math.min(Math.max(1, Math.floor(f.limit ?? 100)), 10000)
    const w = where([
      ['tenant_id = ?', f.tenantId],
      ['queue_id = ?', f.queueId],
      ['agent_id = ?', f.agentId],
      ['outcome = ?', f.outcome],
      ['arrived_at >= ?', f.since],
      ['arrived_at < ?', f.until],
    ])
    const rows = await this.ctx.db.all<CallRow>(
      `SELECT * FROM call_records ${w.sql} ORDER BY arrived_at DESC, ${textOrder(this.ctx.dialect, 'call_id')} DESC LIMIT ?`,
      [...w.params, limit],
    )
    return rows.map(toCallRecord)
  }

  /** Calls not yet ended (to re-adopt after a restart or a takeover), oldest first. */
  async inProgress(): Promise<CallRecord[]> {
    const rows = await this.ctx.db.all<CallRow>(
      `SELECT * FROM call_records WHERE ended_at IS NULL ORDER BY arrived_at, ${textOrder(this.ctx.dialect, 'call_id')}`,
    )
    return rows.map(toCallRecord)
  }

  /** Record an offer (an agent leg ringing); returns it with its id. */
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
    const r = await this.ctx.db.get<OfferRow>(
      'INSERT INTO call_offers (call_id, agent_id, leg_uuid, offered_at, device) VALUES (?, ?, ?, ?, ?) RETURNING *',
      [o.callId, o.agentId, o.legUuid ?? null, o.offeredAt, o.device ?? null],
    )
    return toOffer(r!)
  }

  /** The offer of an agent leg (the leg uuid the daemon chose), if recorded. */
  async findOfferByLeg(legUuid: string): Promise<CallOffer | undefined> {
    const r = await this.ctx.db.get<OfferRow>('SELECT * FROM call_offers WHERE leg_uuid = ? ORDER BY id DESC LIMIT 1', [
      legUuid,
    ])
    return r && toOffer(r)
  }

  /** Offers without a result yet (ringing, or left so by a daemon that went away), oldest first. */
  async openOffers(): Promise<CallOffer[]> {
    const rows = await this.ctx.db.all<OfferRow>(
      'SELECT * FROM call_offers WHERE result IS NULL ORDER BY offered_at, id',
    )
    return rows.map(toOffer)
  }

  /** Finish an offer: answered (set answeredAt) or not, and later ended. Fields left out are kept. */
  async finishOffer(
    id: number,
    p: { result: OfferResult; cause?: string; answeredAt?: number; endedAt?: number },
  ): Promise<CallOffer> {
    if (!OFFER_RESULTS.includes(p.result))
      throw invalid('offer.result', `expected one of ${OFFER_RESULTS.join(', ')}, got ${describe(p.result)}`)
    if (p.answeredAt != null) requireInstant('offer.answeredAt', p.answeredAt)
    if (p.endedAt != null) requireInstant('offer.endedAt', p.endedAt)
    // COALESCE keeps what is not given, in the same statement (no read-then-write race between two writers).
    const r = await this.ctx.db.get<OfferRow>(
      `UPDATE call_offers SET result = ?, cause = COALESCE(?, cause), answered_at = COALESCE(?, answered_at),
              ended_at = COALESCE(?, ended_at)
        WHERE id = ? RETURNING *`,
      [p.result, p.cause ?? null, p.answeredAt ?? null, p.endedAt ?? null, id],
    )
    if (!r) throw notFound('offer', String(id))
    return toOffer(r)
  }

  async getOffer(id: number): Promise<CallOffer> {
    const r = await this.ctx.db.get<OfferRow>('SELECT * FROM call_offers WHERE id = ?', [id])
    if (!r) throw notFound('offer', String(id))
    return toOffer(r)
  }

  async offersForCall(callId: string): Promise<CallOffer[]> {
    const rows = await this.ctx.db.all<OfferRow>(
      'SELECT * FROM call_offers WHERE call_id = ? ORDER BY offered_at, id',
      [callId],
    )
    return rows.map(toOffer)
  }
}
