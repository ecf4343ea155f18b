/**
 * The append-only event log, in the spirit of Asterisk's queue_log (`epoch|callid|queue|agent|EVENT|data`).
 * append() is one INSERT … RETURNING id; appendMany() writes a batch in one transaction. Asynchronous, on SQLite
 * and PostgreSQL alike (RepoContext); the call path appends through the write queue (`store.within(tx).events`).
 */
import { invalid } from './errors.js'
import type { RepoContext } from './repo-context.js'
import type { SqlRunner } from './sql/async-db.js'
import { where } from './sql/clauses.js'

/**
 * Event names the reports read (others may be logged too: any UPPER_SNAKE name is accepted).
 * Call events carry call_id and queue_id; agent events agent_id (and queue_id when per queue).
 */
export const EVENTS = {
  /** A caller arrived at a queue number. data: { callerNumber, callerName } */
  ARRIVE: 'ARRIVE',
  /** The caller entered the queue (after the welcome). data: { position } */
  ENTERQUEUE: 'ENTERQUEUE',
  /** An agent leg started ringing. data: { offerId } */
  RING: 'RING',
  /** An offer was not answered. data: { offerId, result, cause } */
  RINGNOANSWER: 'RINGNOANSWER',
  /** Caller and agent were bridged. data: { waitMs } */
  CONNECT: 'CONNECT',
  /** The call ended after a connection; data: { talkMs, by: 'caller'|'agent' } */
  COMPLETE: 'COMPLETE',
  /** The caller hung up while waiting. data: { waitMs, position } */
  ABANDON: 'ABANDON',
  /** The queue did not serve the caller. data: { reason: 'closed'|'overflow'|'no-agents'|'max-wait'|'exit-key', action } */
  EXIT: 'EXIT',
  /** An announcement of the estimated wait. data: { position, seconds } */
  EWT: 'EWT',
  AGENTLOGIN: 'AGENTLOGIN',
  /** data: { reason?: 'auto-logout' | ... } */
  AGENTLOGOFF: 'AGENTLOGOFF',
  /** data: { reason? } */
  PAUSE: 'PAUSE',
  UNPAUSE: 'UNPAUSE',
  /** Wrap-up began after a queue call (agent_id, call_id). */
  WRAPUPSTART: 'WRAPUPSTART',
  /** Wrap-up ended (timer or feature code). */
  WRAPUPEND: 'WRAPUPEND',
  ADDMEMBER: 'ADDMEMBER',
  REMOVEMEMBER: 'REMOVEMEMBER',
  /** Queue open/closed transitions, closures, overflow on/off. data: { reason } */
  QUEUEOPEN: 'QUEUEOPEN',
  QUEUECLOSED: 'QUEUECLOSED',
  // Callbacks (issue 14, docs/callback.md)
  /** The caller pressed the callback key. data: { anonymous } */
  CALLBACKSETUP: 'CALLBACKSETUP',
  /** A typed number the pattern refused. data: { typed } */
  CALLBACKREFUSED: 'CALLBACKREFUSED',
  /** The caller went back to waiting without a callback. data: { why: timeout | refused } */
  CALLBACKABANDONED: 'CALLBACKABANDONED',
  /** The caller confirmed a number and hung up keeping the place. data: { number, position, estimateSec? } */
  CALLBACKREQUESTED: 'CALLBACKREQUESTED',
  /** The agent answered and the person is dialled. data: { attempt, number, legId } */
  CALLBACKDIAL: 'CALLBACKDIAL',
  /** An attempt did not reach the person; the next one after the delay. data: { reason, attempt, nextAttemptAt } */
  CALLBACKRETRY: 'CALLBACKRETRY',
  /** The person pressed 1 and was bridged with the agent. data: { attempt, sinceRequestSec, number } */
  CALLBACKCONNECTED: 'CALLBACKCONNECTED',
  /** Given up. data: { reason: no-answer | busy | not-confirmed | failed | expired, attempts, number } */
  CALLBACKFAILED: 'CALLBACKFAILED',
  /** Cancelled by an operator. data: { reason, attempts, number, source } */
  CALLBACKCANCELLED: 'CALLBACKCANCELLED',
  /** Moved by an operator. data: { from, to, source } */
  CALLBACKMOVED: 'CALLBACKMOVED',
  /** Its queue closed: held until the next opening. data: { reason, expiresAt? } */
  CALLBACKHELD: 'CALLBACKHELD',
  /** Its queue opened again. data: { heldSec } */
  CALLBACKRESUMED: 'CALLBACKRESUMED',
} as const

export interface LoggedEvent {
  id: number
  /** Epoch ms. */
  at: number
  callId: string | null
  queueId: string | null
  agentId: string | null
  event: string
  data: unknown
}

export type EventInput = Omit<LoggedEvent, 'id' | 'callId' | 'queueId' | 'agentId' | 'data'> &
  Partial<Pick<LoggedEvent, 'callId' | 'queueId' | 'agentId' | 'data'>>

interface Row {
  id: number
  at: number
  call_id: string | null
  queue_id: string | null
  agent_id: string | null
  event: string
  data: string | null
}

const toEvent = (r: Row): LoggedEvent => ({
  id: r.id,
  at: r.at,
  callId: r.call_id,
  queueId: r.queue_id,
  agentId: r.agent_id,
  event: r.event,
  data: r.data === null ? null : JSON.parse(r.data),
})

const EVENT_RE = /^[A-Z][A-Z0-9_]{0,39}$/

export interface EventFilter {
  /** at >= since */
  since?: number
  /** at < until */
  until?: number
  /** id > afterId (tailing) */
  afterId?: number
  callId?: string
  queueId?: string
  agentId?: string
  event?: string
  /** Oldest first; default 1000, at most 100000. */
  limit?: number
}

export class EventLog {
  constructor(private readonly ctx: RepoContext) {}

  /** Append one event (committed before the promise resolves, or with the transaction it runs in); returns its id. */
  append(e: EventInput): Promise<number> {
    return insert(this.ctx.db, e)
  }

  /** Append many events in one transaction; returns the last id (0 for none). */
  async appendMany(events: readonly EventInput[]): Promise<number> {
    for (const e of events) check(e)
    return this.ctx.tx(async (c) => {
      let last = 0
      for (const e of events) last = await insert(c.db, e)
      return last
    })
  }

  async list(f: EventFilter = {}): Promise<LoggedEvent[]> {
    const limit = Math.min(Math.max(1, Math.floor(f.limit ?? 1000)), 100000)
    const w = filter(f)
    const rows = await this.ctx.db.all<Row>(`SELECT * FROM event_log ${w.sql} ORDER BY at, id LIMIT ?`, [
      ...w.params,
      limit,
    ])
    return rows.map(toEvent)
  }

  /** The newest event matching the filter (e.g. an agent's last AGENTLOGOFF, to show an auto-logout reason). */
  async last(f: Omit<EventFilter, 'limit' | 'afterId'> = {}): Promise<LoggedEvent | undefined> {
    const w = filter(f)
    const r = await this.ctx.db.get<Row>(`SELECT * FROM event_log ${w.sql} ORDER BY at DESC, id DESC LIMIT 1`, w.params)
    return r && toEvent(r)
  }
}

function filter(f: EventFilter): ReturnType<typeof where> {
  return where([
    ['at >= ?', f.since],
    ['at < ?', f.until],
    ['id > ?', f.afterId],
    ['call_id = ?', f.callId],
    ['queue_id = ?', f.queueId],
    ['agent_id = ?', f.agentId],
    ['event = ?', f.event],
  ])
}

function check(e: EventInput): void {
  if (typeof e.event !== 'string' || !EVENT_RE.test(e.event))
    throw invalid('event.event', `expected an UPPER_SNAKE event name, got ${JSON.stringify(e.event)}`)
  if (typeof e.at !== 'number' || !Number.isFinite(e.at))
    throw invalid('event.at', `expected epoch milliseconds, got ${JSON.stringify(e.at)}`)
}

async function insert(db: SqlRunner, e: EventInput): Promise<number> {
  check(e)
  const data = e.data === undefined || e.data === null ? null : JSON.stringify(e.data)
  const r = await db.get<{ id: number }>(
    'INSERT INTO event_log (at, call_id, queue_id, agent_id, event, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
    [Math.round(e.at), e.callId ?? null, e.queueId ?? null, e.agentId ?? null, e.event, data],
  )
  return r!.id
}
