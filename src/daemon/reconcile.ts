/**
 * Reconciling the database with FreeSWITCH on every rebuild (issue 9, "calls in progress at a crash are never
 * closed"). The daemon writes a call record's end when it sees the end; a daemon killed (-9) in between leaves
 * records open for calls whose channels are gone by the time a daemon is back. Those are closed here with their
 * real end as far as it is known:
 * - answered: the record has an answer time, or the event log has the CONNECT (its time and agent fill the record);
 * - abandoned: the caller had entered the queue and was never connected (the caller hung up while we were away);
 * - unknown: the caller had not entered the queue (during the welcome, or being turned away): how it ended is lost.
 * The end time is the last thing known of the call: the latest of its event log entries, offers and record times.
 * Offers still open for those calls are closed too ('cancelled', or 'answered' for the connected agent).
 *
 * Also `annotateFromStore`: what the database knows of a live call that the channel may not (the queue id of calls
 * from an older daemon; whether the record was already closed, so a restored end is not recorded twice).
 *
 * The store is asynchronous: the daemon runs these reads and writes as jobs of its write queue (`run`, see
 * ./queued-work.ts), so they come after the call path's writes queued before them; by default `run` is a plain
 * transaction.
 */
import type { Logger } from 'pino'
import type { LiveChannels } from '../freeswitch/adapter/adapter.js'
import type { CallOutcome, CallRecord } from '../store/calls.js'
import type { Store } from '../store/index.js'
import type { StoreReader } from './engine-deps.js'

/** Fills in `restored.queueId` (when the channel lacks it) and `recordClosed` from the call records. */
export async function annotateFromStore(store: Pick<Store, 'calls'>, live: LiveChannels): Promise<void> {
  for (const c of live.calls.values()) {
    const rec = await store.calls.find(c.callId)
    if (!rec) continue
    if (!c.restored.queueId) c.restored.queueId = rec.queueId
    c.restored.hasRecord = true
    if (rec.outcome !== null) c.restored.recordClosed = true
  }
}

/**
 * Live callers without a call record: their start was still in the write queue of a daemon that was killed (the
 * queue is in memory), so the record never reached the store. The record is made again from the channel (queue,
 * tenant, caller, joined-at as the arrival), so the new leader's updates (answer, end) have a row to go to: without
 * it they fail as "not known yet" and the call is never recorded. Calls `skip` names (already tracked by this
 * daemon: their own start is queued) are left alone. Returns how many records were made.
 */
export async function recreateLostRecords(
  store: Pick<Store, 'calls' | 'tenants' | 'queues'>,
  live: LiveChannels,
  o: { skip: (callId: string) => boolean; log: Logger },
): Promise<number> {
  let n = 0
  for (const c of live.calls.values()) {
    if (c.restored.hasRecord || o.skip(c.callId)) continue
    let queue = c.restored.queueId ? await store.queues.find(c.restored.queueId) : undefined
    if (!queue) {
      const tenant = await store.tenants.getByDomain(c.tenantDomain)
      queue = tenant ? (await store.queues.list(tenant.id)).find((q) => q.number === c.queueNumber) : undefined
    }
    if (!queue) continue // its queue is gone: the engine ends the call (restoredQueueGone) without a record
    await store.calls.start({
      callId: c.callId,
      tenantId: queue.tenantId,
      queueId: queue.id,
      arrivedAt: c.restored.joinedAt,
      enteredQueueAt: c.restored.joinedAt,
      callerNumber: c.callerNumber,
      callerName: c.callerName,
    })
    c.restored.hasRecord = true
    c.restored.queueId ??= queue.id
    n++
    o.log.info({ call: c.callId, queue: queue.id }, 'made again the call record a stopped daemon had not written yet')
  }
  return n
}

interface ReconcileFigures {
  /** Open records looked at (not live). */
  checked: number
  closed: { answered: number; abandoned: number; unknown: number }
}

/**
 * Closes the open call records whose channels no longer exist. `isLive(callId)` says whether a call is live (in
 * FreeSWITCH's channel list or tracked by the daemon); `exists(callId)` asks FreeSWITCH (uuid_exists) for the rest
 * (`show channels` lags behind a call that appeared just before the crash), and a call is closed only on a clear no.
 */
export async function closeOrphanRecords(
  store: Pick<Store, 'tx'>,
  o: {
    isLive: (callId: string) => boolean
    exists: (callId: string) => Promise<boolean>
    log: Logger
    run?: StoreReader
  },
): Promise<ReconcileFigures> {
  const run: StoreReader = o.run ?? ((_label, fn) => store.tx(fn))
  const figures: ReconcileFigures = { checked: 0, closed: { answered: 0, abandoned: 0, unknown: 0 } }
  for (const rec of await run('read the open call records', (s) => s.calls.inProgress())) {
    if (o.isLive(rec.callId)) continue
    figures.checked++
    let exists: boolean
    try {
      exists = await o.exists(rec.callId)
    } catch (err) {
      o.log.warn({ call: rec.callId, err }, 'could not check whether a call still exists; its record stays open')
      continue
    }
    // Checked again after the await: the call may have come back (its CHANNEL_PARK) meanwhile.
    if (exists || o.isLive(rec.callId)) continue
    try {
      const outcome = await run(`close the record of ${rec.callId}`, (s) => closeRecord(s, rec))
      if (outcome) {
        figures.closed[outcome as keyof ReconcileFigures['closed']]++
        o.log.info({ call: rec.callId, outcome }, 'closed the record of a call that ended while the daemon was away')
      }
    } catch (err) {
      o.log.error(
        { call: rec.callId, err },
        'could not close the record of a call that ended while the daemon was away',
      )
    }
  }
  return figures
}

/**
 * Offers left ringing by a daemon that went away, whose legs are gone (the rebuild cancels such legs: their offer
 * was lost): closed as 'cancelled' at the last time known of them. Returns how many.
 */
export function closeOrphanOffers(
  store: Pick<Store, 'tx'>,
  isLegLive: (legUuid: string) => boolean,
  run: StoreReader = (_label, fn) => store.tx(fn),
): Promise<number> {
  return run('close the orphan offers', async (s) => {
    let n = 0
    for (const f of await s.calls.openOffers()) {
      if (f.legUuid !== null && isLegLive(f.legUuid)) continue
      await s.calls.finishOffer(f.id, {
        result: 'cancelled',
        cause: 'DAEMON_RESTART',
        endedAt: Math.max(f.offeredAt, f.answeredAt ?? 0),
      })
      n++
    }
    return n
  })
}

async function closeRecord(store: Pick<Store, 'calls' | 'events'>, rec: CallRecord): Promise<CallOutcome | undefined> {
  const cur = await store.calls.find(rec.callId)
  if (!cur || cur.endedAt !== null) return undefined
  const events = await store.events.list({ callId: rec.callId, limit: 10000 })
  const offers = await store.calls.offersForCall(rec.callId)
  const connect = events.find((e) => e.event === 'CONNECT')
  const answeredAt = cur.answeredAt ?? connect?.at ?? null
  const agentId = cur.agentId ?? connect?.agentId ?? null
  const times = [
    cur.arrivedAt,
    cur.enteredQueueAt,
    answeredAt,
    ...events.map((e) => e.at),
    ...offers.flatMap((f) => [f.offeredAt, f.answeredAt, f.endedAt]),
  ]
  const endedAt = Math.max(...times.filter((x): x is number => typeof x === 'number'))
  const outcome: CallOutcome = answeredAt !== null ? 'answered' : cur.enteredQueueAt !== null ? 'abandoned' : 'unknown'
  await store.calls.update(rec.callId, {
    endedAt,
    outcome,
    ...(answeredAt !== null && cur.answeredAt === null ? { answeredAt } : {}),
    ...(agentId !== null && cur.agentId === null ? { agentId } : {}),
  })
  for (const f of offers) {
    if (f.result !== null) continue
    const won = answeredAt !== null && f.agentId === agentId
    await store.calls.finishOffer(f.id, {
      result: won ? 'answered' : 'cancelled',
      cause: 'DAEMON_RESTART',
      endedAt,
      ...(won && f.answeredAt === null ? { answeredAt } : {}),
    })
  }
  await store.events.append({
    at: endedAt,
    callId: rec.callId,
    queueId: cur.queueId,
    agentId,
    event: 'RECONCILED',
    data: { outcome, reason: 'the channel was gone after a daemon restart' },
  })
  return outcome
}
