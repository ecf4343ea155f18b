/**
 * Reconcile: bringing the adapter's table of live channels in line with what FreeSWITCH has after a (re)connect
 * (read by restore.ts: `show channels` + `uuid_dump`), and holding arrivals while that rebuild runs so restored
 * callers keep their queue order (koplus_seq). Calls survive a lost connection (inbound-reconnect-1/2), but their
 * hang-ups and playback ends went to the old connection: those are settled here.
 */
import type { Logger } from 'pino'
import type { CoreEvent, FoundLeg } from '../../core/events.js'
import type { ChannelTable } from './channels.js'
import type { Outbound } from './outbound.js'
import type { LiveChannels, LiveLeg } from './restore.js'
import { pipelined } from './pipelined.js'

type Arrival = Extract<CoreEvent, { type: 'call-arrived' }>

/** Holds arrivals during a rebuild and reconciles the table with FreeSWITCH's live channels. */
export class Reconciler {
  readonly #table: ChannelTable
  readonly #outbound: Outbound
  readonly #emit: (event: CoreEvent) => void
  readonly #log: Logger
  /**
   * While a rebuild runs (begin … end), arrivals are held and then reported together, restored callers in their
   * queue order (koplus_seq) first: a caller restored later must not be overtaken by one restored or arriving
   * earlier in the rebuild, and a new caller gets a place after every restored one.
   */
  #rebuilding = false
  #held: Arrival[] = []
  /** Legs of callback attempts found by the rebuild's reconcile, reported at end() (see #adoptCallbackLegs). */
  #found: FoundLeg[] | undefined

  constructor(table: ChannelTable, outbound: Outbound, emit: (event: CoreEvent) => void, log: Logger) {
    this.#table = table
    this.#outbound = outbound
    this.#emit = emit
    this.#log = log
  }

  /** A rebuild starts: arrivals are held until end(). */
  begin(): void {
    this.#rebuilding = true
  }

  /**
   * The rebuild is over (or failed): the held arrivals are reported, restored callers in queue order first. The
   * restored callers go to the core in one `calls-restored` event (one engine step, one store transaction: issue 13,
   * recovery), then the callers who parked during the rebuild one `call-arrived` each, in the order they came.
   */
  end(): void {
    this.#rebuilding = false
    const held = this.#held
    this.#held = []
    const restored: Arrival[] = []
    const fresh: Arrival[] = []
    for (const e of inQueueOrder(held)) {
      const call = this.#table.call(e.callId)
      if (call && !call.gone) (e.restored ? restored : fresh).push(e)
    }
    this.#emitRestored(restored)
    for (const e of fresh) this.#emit(e)
    // After the restored callers, so that a callback released now does not overtake one restored before it.
    this.#reportFound()
  }

  #emitRestored(calls: Arrival[]): void {
    if (calls.length === 1) this.#emit(calls[0])
    else if (calls.length > 1) this.#emit({ type: 'calls-restored', calls })
  }

  #reportFound(): void {
    const found = this.#found
    this.#found = undefined
    if (found) this.#emit({ type: 'callback-legs-found', legs: found.filter((l) => this.#table.isLeg(l.legId)) })
  }

  /** A caller arrived (CHANNEL_PARK or restored): reported now, or held while a rebuild runs. */
  arrive(e: Arrival): void {
    if (this.#rebuilding) this.#held.push(e)
    else this.#emit(e)
  }

  /** See FreeSwitchAdapter.reconcile. */
  async reconcile(live: LiveChannels): Promise<void> {
    const table = this.#table
    // `show channels` lags the events (inbound-introspection): a tracked channel missing from it is confirmed gone
    // with uuid_exists before it is reported.
    // The checks are pipelined (pipelined.ts): a reconnect with 1,000 known calls costs no 1,000 round trips.
    const missing = table.callIds().filter((id) => !live.calls.has(id))
    const missingExists = await pipelined(missing, (id) => this.#outbound.exists(id))
    missing.forEach((callId, i) => {
      if (!missingExists[i]) table.callGone(callId, 'NORMAL_CLEARING')
    })
    // Private calls that ended while we were away (their CHANNEL_HANGUP went to the old connection), and those
    // that are up now (after a restart the daemon has never seen their CHANNEL_ANSWER).
    for (const uuid of table.privateCallIds()) {
      if (!live.privateCalls?.has(uuid) && !(await this.#outbound.exists(uuid))) table.privateCallGone(uuid)
    }
    for (const [uuid, target] of live.privateCalls ?? []) table.privateCallUp(uuid, target)
    // A leg not in FreeSWITCH any more is over (its originate's result, if any, went to the old connection).
    const missingLegs = [...table.legs()].filter((leg) => !live.legs.has(leg.legId))
    const legExists = await pipelined(missingLegs, (leg) => this.#outbound.exists(leg.legId))
    missingLegs.forEach((leg, i) => {
      if (!legExists[i]) table.legGone(leg, leg.phase === 'bridged' ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL')
    })
    const restoredNow: Arrival[] = []
    for (const c of live.calls.values()) {
      if (table.isCall(c.callId)) continue
      const bridged = c.restored.bridgedTo
      const call = table.addCall(c.callId, c.restored.answered, bridged?.legId)
      if (bridged)
        table.addLeg(
          bridged.legId,
          c.callId,
          live.legs.get(bridged.legId)?.offerId ?? '',
          bridged.agentId,
          'bridged',
          true,
        )
      call.log.info(
        { queue: c.queueNumber, joinedAt: c.restored.joinedAt, bridged: !!bridged },
        'restored a waiting call from FreeSWITCH',
      )
      restoredNow.push({
        type: 'call-arrived',
        callId: c.callId,
        queueNumber: c.queueNumber,
        tenantDomain: c.tenantDomain,
        callerNumber: c.callerNumber,
        callerName: c.callerName,
        restored: c.restored,
      })
    }
    if (this.#rebuilding) for (const e of inQueueOrder(restoredNow)) this.arrive(e)
    else this.#emitRestored(inQueueOrder(restoredNow))
    const untracked = [...live.legs.values()].filter(
      (l) => !table.isLeg(l.legId) && live.calls.get(l.callId)?.restored.bridgedTo?.legId !== l.legId,
    )
    const lostLegs = untracked.filter((l) => live.calls.has(l.callId) || table.isCall(l.callId))
    this.#adoptCallbackLegs(untracked.filter((l) => !lostLegs.includes(l)))
    await pipelined(lostLegs, async (l) => {
      // Ringing (or answered but not yet bridged) when the daemon went away: its offer is lost; end the leg, the
      // core offers the caller again.
      const cause = l.answered ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL'
      const log = this.#log.child({ callId: l.callId, legId: l.legId, agentId: l.agentId })
      log.info({ cause }, 'ending an agent leg whose offer was lost')
      try {
        await this.#outbound.api(`uuid_kill ${l.legId} ${cause}`, l.legId)
      } catch (err) {
        log.warn({ err }, 'uuid_kill failed')
      }
    })
    this.#settleLostPlays()
    // Outside a rebuild (begin … end) only legs found are worth an event; a rebuild reports even none at end().
    if (!this.#rebuilding) {
      if (this.#found?.length) this.#reportFound()
      this.#found = undefined
    }
  }

  /**
   * Legs whose call has no channel: a callback's (the agent's and the called person's legs of an attempt, or of a
   * conversation; issue 14, docs/callback.md). Followed from now on, and reported to the core once the rebuild is
   * over (`callback-legs-found`, also when there are none: the core then knows FreeSWITCH was read); the core
   * carries on with its callbacks' legs and hangs up the rest.
   */
  #adoptCallbackLegs(legs: LiveLeg[]): void {
    const found = (this.#found ??= [])
    for (const l of legs) {
      const leg = this.#table.addLeg(l.legId, l.callId, l.offerId, l.agentId, l.answered ? 'answered' : 'ringing', true)
      leg.log.info({ answered: l.answered, bridgedWith: l.bridgedWith }, 'found a leg of a callback attempt')
      found.push({
        legId: l.legId,
        callId: l.callId,
        agentId: l.agentId,
        answered: l.answered,
        ...(l.queueId ? { queueId: l.queueId } : {}),
        ...(l.bridgedWith ? { bridgedWith: l.bridgedWith } : {}),
        ...(l.bridgedAt !== undefined ? { bridgedAt: l.bridgedAt } : {}),
      })
    }
  }

  /**
   * After a reconnect: audio whose outcome was lost with the old connection. Hold music is started again (if it
   * still plays, the new playback queues behind the endless one and the next uuid_break all flushes both); a lost
   * prompt is reported finished (interrupted), so the core goes on with the next announcement or the music — any
   * audio it starts queues behind the prompt if that still plays, so nothing overlaps and there is no silence.
   */
  #settleLostPlays(): void {
    const lost = [...this.#table.lostPlays.values()]
    this.#table.lostPlays.clear()
    for (const p of lost) {
      const call = this.#table.call(p.channel)
      if (!call || call.gone || call.bridgedLeg) continue
      call.log.info({ kind: p.kind }, 'resuming audio after the reconnect')
      if (p.kind === 'hold') void this.#outbound.play(p.channel, '', 'hold', p.arg, { loops: -1 })
      else this.#emit({ type: 'prompt-finished', callId: p.channel, token: p.token, interrupted: true })
    }
  }
}

/**
 * Arrivals in the order the core should see them: restored callers with a place (koplus_seq > 0) by that place,
 * then the others (new callers, callers that never entered a queue) in the order they came (a stable sort).
 */
function inQueueOrder(events: Arrival[]): Arrival[] {
  const place = (e: Arrival) => (e.restored && e.restored.seq > 0 ? e.restored.seq : Infinity)
  return [...events].sort((a, b) => place(a) - place(b))
}
