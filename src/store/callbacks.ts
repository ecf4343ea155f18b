/**
 * Callbacks (issue 14, docs/callback.md): one row per callback, upserted from the core's `callback-record`
 * commands. Pending ones (waiting / dialing) are handed back to the core at start-up in seq order, so the virtual
 * callers keep their places across restarts and failover. Also the statistics: requested, completed, failed by
 * reason, time from request to connection.
 *
 * Asynchronous, on SQLite and PostgreSQL alike (RepoContext). The daemon writes `callback-record` through the write
 * queue: `store.writes.enqueue('callback c1', (tx) => store.within(tx).callbacks.record(u))`.
 */
import type { CallbackRecordUpdate, CallbackState } from '../core/commands.js'
import type { StoredCallback } from '../core/events.js'
import type { RepoContext } from './repo-context.js'
import type { SqlValue } from './sql/async-db.js'
import { textOrder, where } from './sql/clauses.js'
import { requireInstant, requireString } from './util.js'

export interface CallbackRow {
  callId: string
  tenantId: string
  queueId: string
  number: string
  callerNumber: string
  requestedAt: number
  joinedAt: number
  seq: number
  state: CallbackState
  attempts: number
  nextAttemptAt: number
  heldSince: number | null
  reason: string | null
  agentId: string | null
  connectedAt: number | null
  endedAt: number | null
}

export interface CallbackStats {
  requested: number
  completed: number
  pending: number
  cancelled: number
  /** Given up, per reason (no-answer, busy, not-confirmed, failed, expired). */
  failed: Record<string, number>
  /** Seconds from the request to the connection, of the completed ones. */
  toConnectionSec: { avg: number | null; max: number | null }
}

type Raw = {
  call_id: string
  tenant_id: string
  queue_id: string
  number: string
  caller_number: string
  requested_at: number
  joined_at: number
  seq: number
  state: CallbackState
  attempts: number
  next_attempt_at: number
  held_since: number | null
  reason: string | null
  agent_id: string | null
  connected_at: number | null
  ended_at: number | null
}

const COLUMNS: Record<Exclude<keyof CallbackRecordUpdate, 'callId'>, string> = {
  tenantId: 'tenant_id',
  queueId: 'queue_id',
  number: 'number',
  callerNumber: 'caller_number',
  requestedAt: 'requested_at',
  joinedAt: 'joined_at',
  seq: 'seq',
  state: 'state',
  attempts: 'attempts',
  nextAttemptAt: 'next_attempt_at',
  heldSince: 'held_since',
  reason: 'reason',
  agentId: 'agent_id',
  connectedAt: 'connected_at',
  endedAt: 'ended_at',
}

function row(r: Raw): CallbackRow {
  return {
    callId: r.call_id,
    tenantId: r.tenant_id,
    queueId: r.queue_id,
    number: r.number,
    callerNumber: r.caller_number,
    requestedAt: r.requested_at,
    joinedAt: r.joined_at,
    seq: r.seq,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    heldSince: r.held_since,
    reason: r.reason,
    agentId: r.agent_id,
    connectedAt: r.connected_at,
    endedAt: r.ended_at,
  }
}

export class Callbacks {
  constructor(private readonly ctx: RepoContext) {}

  /** Apply one `callback-record`: the first carries every start field (insert), later ones patch. */
  async record(u: CallbackRecordUpdate): Promise<void> {
    requireString('callback.callId', u.callId, { max: 128 })
    await this.ctx.tx(async (ctx) => {
      const existing = await ctx.db.get<{ call_id: string }>('SELECT call_id FROM callbacks WHERE call_id = ?', [
        u.callId,
      ])
      if (!existing) {
        if (
          !u.tenantId ||
          !u.queueId ||
          !u.number ||
          u.requestedAt === undefined ||
          u.joinedAt === undefined ||
          u.seq === undefined
        ) {
          throw new Error(`callback ${u.callId} is not known yet and the update lacks its start fields`)
        }
        requireInstant('callback.requestedAt', u.requestedAt)
        await ctx.db.run(
          `INSERT INTO callbacks (call_id, tenant_id, queue_id, number, caller_number, requested_at, joined_at, seq, state, attempts, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            u.callId,
            u.tenantId,
            u.queueId,
            u.number,
            u.callerNumber ?? '',
            u.requestedAt,
            u.joinedAt,
            u.seq,
            u.state ?? 'waiting',
            u.attempts ?? 0,
            u.nextAttemptAt ?? u.requestedAt,
          ],
        )
        return
      }
      const sets: string[] = []
      const values: SqlValue[] = []
      for (const [k, col] of Object.entries(COLUMNS)) {
        const v = u[k as keyof CallbackRecordUpdate]
        if (v === undefined) continue
        sets.push(`${col} = ?`)
        values.push(v)
      }
      if (sets.length)
        await ctx.db.run(`UPDATE callbacks SET ${sets.join(', ')} WHERE call_id = ?`, [...values, u.callId])
    })
  }

  async get(callId: string): Promise<CallbackRow | undefined> {
    const r = await this.ctx.db.get<Raw>('SELECT * FROM callbacks WHERE call_id = ?', [callId])
    return r ? row(r) : undefined
  }

  /** Callbacks, newest request first; `pending` = waiting or dialing. */
  async list(
    f: { queueId?: string; tenantId?: string; state?: CallbackState | 'pending'; limit?: number } = {},
  ): Promise<CallbackRow[]> {
    const w = where([
      ['queue_id = ?', f.queueId || undefined],
      ['tenant_id = ?', f.tenantId || undefined],
      ...(f.state === 'pending' ? ["state IN ('waiting', 'dialing')"] : []),
      ['state = ?', f.state && f.state !== 'pending' ? f.state : undefined],
    ])
    const rows = await this.ctx.db.all<Raw>(
      `SELECT * FROM callbacks ${w.sql} ORDER BY requested_at DESC, ${textOrder(this.ctx.dialect, 'call_id')} LIMIT ?`,
      [...w.params, Math.min(Math.floor(f.limit ?? 500), 10_000)],
    )
    return rows.map(row)
  }

  /** What the core rebuilds at start-up: pending callbacks in queue order (seq). A dialing one waits again. */
  async pending(): Promise<StoredCallback[]> {
    const rows = await this.ctx.db.all<Raw>(
      `SELECT * FROM callbacks WHERE state IN ('waiting', 'dialing') ORDER BY seq, ${textOrder(this.ctx.dialect, 'call_id')}`,
    )
    return rows.map((r) => ({
      callId: r.call_id,
      queueId: r.queue_id,
      number: r.number,
      callerNumber: r.caller_number,
      requestedAt: r.requested_at,
      joinedAt: r.joined_at,
      seq: r.seq,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at,
      heldSince: r.held_since,
    }))
  }

  /** Requested in [from, to): how many completed, failed (by reason), were cancelled or still wait; time to connection. */
  async stats(from: number, to: number, tenantId?: string): Promise<CallbackStats> {
    const w = where([
      ['requested_at >= ?', from],
      ['requested_at < ?', to],
      ['tenant_id = ?', tenantId || undefined],
    ])
    const rows = await this.ctx.db.all<Pick<Raw, 'state' | 'reason' | 'requested_at' | 'connected_at'>>(
      `SELECT state, reason, requested_at, connected_at FROM callbacks ${w.sql}`,
      w.params,
    )
    const out: CallbackStats = {
      requested: rows.length,
      completed: 0,
      pending: 0,
      cancelled: 0,
      failed: {},
      toConnectionSec: { avg: null, max: null },
    }
    const waits: number[] = []
    for (const r of rows) {
      if (r.state === 'completed') {
        out.completed++
        if (r.connected_at !== null) waits.push((r.connected_at - r.requested_at) / 1000)
      } else if (r.state === 'failed') out.failed[r.reason ?? 'failed'] = (out.failed[r.reason ?? 'failed'] ?? 0) + 1
      else if (r.state === 'cancelled') out.cancelled++
      else out.pending++
    }
    if (waits.length)
      out.toConnectionSec = {
        avg: Math.round(waits.reduce((a, b) => a + b, 0) / waits.length),
        max: Math.round(Math.max(...waits)),
      }
    return out
  }
}
