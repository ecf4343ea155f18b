/**
 * Inbound: FreeSWITCH channel events → core events (captures in ../shared/esl-captures, see its README "What these
 * captures teach").
 * - A queue call is the channel whose CHANNEL_PARK carries variable_koplus_queue (inbound-queue-call: the
 *   loopback -a "phone" leg parks too, without koplus variables, and is ignored). A CHANNEL_PARK of a known caller
 *   after a bridge is the park_after_bridge park (inbound-queue-call-pab) → call-parked-after-bridge.
 * - A feature-code call parks with variable_koplus_feature → feature-call.
 * - Agent legs (origination_uuid = leg id): CHANNEL_PROGRESS(_MEDIA) → leg-ringing, CHANNEL_ANSWER → leg-answered,
 *   CHANNEL_BRIDGE with the caller → bridged, CHANNEL_HANGUP before the bridge → leg-failed (NO_ANSWER,
 *   USER_BUSY, CALL_REJECTED, LOSE_RACE), after it → leg-hungup.
 * - Answered calls that are not ours, of an agent's phone → device-busy (via the ChannelTable).
 * - CUSTOM sofia::register / unregister / expire → registrations.ts.
 */
import type { CoreEvent } from '../../core/events.js'
import type { EslEvent } from '../esl/event.js'
import type { ChannelTable } from './channels.js'
import type { Reconciler } from './reconcile.js'
import type { Registrations } from './registrations.js'
import { classifyChannels } from './restore.js'

/** Maps ESL events to core events, keeping the ChannelTable up to date. */
export class Inbound {
  readonly #table: ChannelTable
  readonly #registrations: Registrations
  readonly #reconciler: Reconciler
  readonly #emit: (event: CoreEvent) => void
  readonly #now: () => number

  constructor(
    table: ChannelTable,
    registrations: Registrations,
    reconciler: Reconciler,
    emit: (event: CoreEvent) => void,
    now: () => number,
  ) {
    this.#table = table
    this.#registrations = registrations
    this.#reconciler = reconciler
    this.#emit = emit
    this.#now = now
  }

  /** Maps one ESL event (may throw: FreeSwitchAdapter.handleEslEvent catches and logs). */
  handle(ev: EslEvent): void {
    switch (ev.name) {
      case 'CHANNEL_PARK':
        return this.#onPark(ev)
      case 'CHANNEL_ANSWER':
        return this.#onAnswer(ev)
      case 'CHANNEL_PROGRESS':
      case 'CHANNEL_PROGRESS_MEDIA':
        return this.#onProgress(ev)
      case 'CHANNEL_BRIDGE':
        return this.#onBridge(ev)
      case 'CHANNEL_HANGUP':
        return this.#onHangup(ev)
      case 'DTMF':
        return this.#onDtmf(ev)
      case 'CUSTOM':
        return this.#registrations.onCustom(ev)
      default:
        return
    }
  }

  #onPark(ev: EslEvent): void {
    const uuid = ev.uuid
    if (!uuid) return
    const table = this.#table
    // Agent legs park after answering (&park()); their -b "phone" legs inherit koplus_role too.
    if (ev.variable('koplus_role') === 'agent' || table.isLeg(uuid)) return
    // A test call of `koplus doctor` (src/doctor) proving a queue number or feature code reaches koplus: not a caller.
    if (ev.variable('koplus_check_id')) return
    const known = table.call(uuid)
    if (known) {
      if (known.awaitingParkAfterBridge) {
        known.awaitingParkAfterBridge = false
        known.bridgedLeg = undefined
        this.#emit({ type: 'call-parked-after-bridge', callId: uuid })
      }
      return // a repeated park (e.g. after uuid_park) is not a new call
    }
    const queue = ev.variable('koplus_queue')
    const feature = ev.variable('koplus_feature')
    const tenant = ev.variable('koplus_tenant') || ev.variable('domain_name') || 'default'
    if (queue) {
      const call = table.addCall(uuid, ev.get('Answer-State') === 'answered')
      // A call an earlier daemon already handled (its variables are on the channel) parks again, e.g. the
      // park_after_bridge park when its agent hangs up while this daemon is still starting: it is restored from the
      // event's variables, as a rebuild would (restore.ts), never taken for a new caller.
      const earlier = ev.variable('koplus_seq') || ev.variable('koplus_joined_at') || ev.variable('koplus_connected')
      const restored = earlier
        ? classifyChannels([{ ...ev.headers, 'Unique-ID': uuid }], this.#now(), (_uuid, problems) =>
            call.log.warn(
              { problems },
              'invalid koplus_* channel variables on rebuild; kept the caller with safe values',
            ),
          ).calls.get(uuid)?.restored
        : undefined
      this.#reconciler.arrive({
        type: 'call-arrived',
        callId: uuid,
        queueNumber: queue,
        tenantDomain: tenant,
        callerNumber: ev.get('Caller-Caller-ID-Number') ?? '',
        callerName: ev.get('Caller-Caller-ID-Name') ?? '',
        ...(restored ? { restored } : {}),
      })
    } else if (feature) {
      // A feature-code caller is known only by digest authentication (docs/channel-variables.md).
      table.addCall(uuid, ev.get('Answer-State') === 'answered')
      this.#emit({
        type: 'feature-call',
        callId: uuid,
        digits: feature,
        sipUser: ev.variable('sip_auth_username') ?? '',
        domain:
          ev.variable('koplus_tenant') || ev.variable('sip_auth_realm') || ev.variable('domain_name') || 'default',
      })
    }
  }

  #onAnswer(ev: EslEvent): void {
    const uuid = ev.uuid
    if (!uuid) return
    const call = this.#table.call(uuid)
    if (call) {
      if (!call.answered) {
        call.answered = true
        this.#emit({ type: 'call-answered', callId: uuid })
      }
      return
    }
    const leg = this.#table.leg(uuid)
    if (leg) {
      if (leg.phase === 'dialing' || leg.phase === 'ringing') {
        leg.seen = true
        leg.phase = 'answered'
        this.#emit({ type: 'leg-answered', legId: uuid })
      }
      return
    }
    this.#privateCallAnswered(uuid, ev)
  }

  /**
   * A call that is not ours was answered. If a SIP user's phone is on it — the caller authenticated as that user
   * (variable_sip_auth_username, the agent dialled out) or the call was to that user (variable_dialed_user, set by
   * the user/ endpoint) — that device is in use: the core skips agents whose active device it is (issue 5: "agents
   * whose device is in use on any other call are skipped"). Our own agent legs carry koplus_role=agent (also on
   * loopback -b legs) and are not counted; queue and feature-code calls are in the table.
   */
  #privateCallAnswered(uuid: string, ev: EslEvent): void {
    if (
      this.#table.isPrivateCall(uuid) ||
      ev.variable('koplus_role') === 'agent' ||
      ev.variable('koplus_queue') ||
      ev.variable('koplus_feature')
    )
      return
    const target = ev.variable('sip_auth_username') || ev.variable('dialed_user')
    if (target) this.#table.privateCallUp(uuid, target)
  }

  #onProgress(ev: EslEvent): void {
    const leg = ev.uuid ? this.#table.leg(ev.uuid) : undefined
    if (leg && leg.phase === 'dialing') {
      leg.seen = true
      leg.phase = 'ringing'
      this.#emit({ type: 'leg-ringing', legId: leg.legId })
    }
  }

  #onBridge(ev: EslEvent): void {
    const a = ev.uuid
    const b = ev.get('Other-Leg-Unique-ID') ?? ev.variable('bridge_uuid')
    if (!a || !b) return
    const table = this.#table
    let callId: string | undefined
    let legId: string | undefined
    if (table.isCall(a) && table.isLeg(b)) [callId, legId] = [a, b]
    else if (table.isCall(b) && table.isLeg(a)) [callId, legId] = [b, a]
    if (!callId || !legId) return
    const call = table.call(callId)!
    const leg = table.leg(legId)!
    if (leg.phase === 'bridged' && call.bridgedLeg === legId) return // both sides report the bridge
    leg.phase = 'bridged'
    leg.seen = true
    call.bridgedLeg = legId
    call.awaitingParkAfterBridge = true
    if (table.logs('debug')) leg.log.debug('bridged with the caller')
    this.#emit({ type: 'bridged', callId, legId })
  }

  #onHangup(ev: EslEvent): void {
    const uuid = ev.uuid
    if (!uuid) return
    const cause = ev.get('Hangup-Cause') ?? ev.variable('hangup_cause') ?? 'NORMAL_CLEARING'
    const table = this.#table
    if (table.isCall(uuid)) {
      table.callGone(uuid, cause)
      return
    }
    const leg = table.leg(uuid)
    if (leg) {
      leg.seen = true
      table.legGone(leg, cause)
      return
    }
    table.privateCallGone(uuid)
  }

  #onDtmf(ev: EslEvent): void {
    const uuid = ev.uuid
    const digit = ev.get('DTMF-Digit')
    if (!uuid || !digit) return
    if (this.#table.isCall(uuid)) this.#emit({ type: 'call-dtmf', callId: uuid, digit })
    else if (this.#table.isLeg(uuid)) this.#emit({ type: 'leg-dtmf', legId: uuid, digit })
  }
}
