/**
 * The FreeSWITCH adapter: FreeSWITCH channel events → core events, core commands → ESL.
 *
 * What each mapping rests on (captures in ../shared/esl-captures, see its README "What these captures teach"):
 * - A queue call is the channel whose CHANNEL_PARK carries variable_koplus_queue (inbound-queue-call: the
 *   loopback -a "phone" leg parks too, without koplus variables, and is ignored). A CHANNEL_PARK of a known caller
 *   after a bridge is the park_after_bridge park (inbound-queue-call-pab) → call-parked-after-bridge.
 * - Prompts are `playback` run with EslClient.execute (event-lock, the client's Event-UUID, settled on the matching
 *   CHANNEL_EXECUTE_COMPLETE: inbound-sendmsg) → prompt-finished. A playback stopped by uuid_break still answers
 *   "FILE PLAYED" (inbound-moh-break), so "interrupted" is what we know: we broke it, or a terminator was used.
 * - Hold music is `playback` with the sendmsg header `loops: -1`: uuid_break ends it, keys are reported
 *   (inbound-moh-break, inbound-dtmf). Not endless_playback: uuid_break only restarts that.
 * - Offers: one bgapi originate (one per leg when a leg must confirm with 1); legs are known by origination_uuid = legId. A leg CHANNEL_HANGUP before its
 *   bridge → leg-failed (NO_ANSWER, USER_BUSY, CALL_REJECTED, LOSE_RACE); the job's `-ERR CAUSE` for legs that
 *   never got a channel (USER_NOT_REGISTERED, SUBSCRIBER_ABSENT: inbound-originate-failures) → leg-failed for each
 *   leg still unresolved.
 * - Bridge: uuid_setvar park_after_bridge true, then uuid_bridge (inbound-queue-call-pab).
 * - Registrations: CUSTOM sofia::register / unregister / expire, user in `username` (or from-user), domain in
 *   `realm` (or from-host) (inbound-registration).
 *
 * Nothing throws out of `handleEslEvent` or `execute`: ESL failures are logged with the call id and, when they
 * mean the channel is gone, turned into the hang-up event the core needs (once).
 */
import pino, { type Logger } from 'pino'
import type { Command } from '../../core/commands.js'
import type { CoreEvent, RestoredCall } from '../../core/events.js'
import type { EslEvent } from '../esl/event.js'
import { hangupCause, jobFailureCause, originateCommand, playbackArgument } from './dial.js'
import type { EslPort } from './port.js'
import { classifyChannels } from './restore.js'

export interface AdapterOptions {
  /** Dialplan context for `transfer` (uuid_transfer <uuid> <dest> XML <context>); default 'default'. */
  transferContext?: string
  /** Turns a file id of a `play`/`hold-music` command into what FreeSWITCH plays (default: unchanged). */
  resolveFile?: (file: string) => string
  logger?: Logger
  /** The daemon's clock (epoch ms), for validating the koplus_* variables of a call from an earlier daemon. */
  now?: () => number
}

interface CallState {
  callId: string
  answered: boolean
  /** The leg currently bridged to the caller, if any. */
  bridgedLeg?: string
  /** true once a bridge was seen, so the next CHANNEL_PARK is the park_after_bridge one. */
  awaitingParkAfterBridge: boolean
  gone: boolean
}

type LegPhase = 'dialing' | 'ringing' | 'answered' | 'bridged' | 'done'

interface LegState {
  legId: string
  callId: string
  offerId: string
  agentId: string
  phase: LegPhase
  /** A channel event was seen for this leg (it exists in FreeSWITCH). */
  seen: boolean
}

interface PlayState {
  channel: string
  token: string
  kind: 'play' | 'record' | 'hold'
  interrupted: boolean
  /** The application argument (to start hold music again after a reconnect). */
  arg: string
}

/** The FreeSWITCH adapter. Feed it every ESL event; give it every call/leg command the core returns. */
export class FreeSwitchAdapter {
  readonly #port: EslPort
  readonly #emit: (event: CoreEvent) => void
  readonly #log: Logger
  readonly #transferContext: string
  readonly #resolve: (file: string) => string
  readonly #calls = new Map<string, CallState>()
  readonly #legs = new Map<string, LegState>()
  /** offer id → leg ids. */
  readonly #offers = new Map<string, string[]>()
  /** Plays (prompts, hold music, recordings) still running, to mark them interrupted on stop-audio / bridge. */
  readonly #plays = new Set<PlayState>()
  /**
   * Per caller channel, the last play whose end we cannot learn because the ESL connection dropped (its
   * EXECUTE_COMPLETE went to the old connection, or the command was never sent). Settled by `reconcile` after the
   * reconnect; a newer audio command for the channel replaces or clears it.
   */
  readonly #lostPlays = new Map<string, PlayState>()
  /**
   * Channels of agents' phones on calls that are not ours (a private call): channel uuid → device target (SIP
   * user). Per target, how many such channels are up: device-busy is reported on 0 → 1 and 1 → 0.
   */
  readonly #privateCalls = new Map<string, string>()
  /** Registered SIP users (key user@domain, lower case) and the Call-IDs of their registrations. */
  readonly #contacts = new Map<string, { sipUser: string; domain: string; callIds: Set<string> }>()
  readonly #busyTargets = new Map<string, number>()
  readonly #now: () => number
  /**
   * While a rebuild runs (beginRebuild … endRebuild), arrivals are held and then reported together, restored callers
   * in their queue order (koplus_seq) first: a caller restored later must not be overtaken by one restored or
   * arriving earlier in the rebuild, and a new caller gets a place after every restored one.
   */
  #rebuilding = false
  #held: Extract<CoreEvent, { type: 'call-arrived' }>[] = []

  /**
   * @param port the ESL client (or a fake): api / bgapi / sendmsg
   * @param emit receives every core event the adapter derives, in order
   */
  constructor(port: EslPort, emit: (event: CoreEvent) => void, opts: AdapterOptions = {}) {
    this.#port = port
    this.#emit = emit
    this.#log = opts.logger ?? pino({ level: 'silent' })
    this.#transferContext = opts.transferContext ?? 'default'
    this.#resolve = opts.resolveFile ?? ((f) => f)
    this.#now = opts.now ?? (() => Date.now())
  }

  /** Call ids of the queue calls the adapter currently tracks. */
  knownCalls(): string[] {
    return [...this.#calls.keys()]
  }

  /** Leg ids of the agent legs the adapter currently tracks (not yet ended). */
  knownLegs(): string[] {
    return [...this.#legs.values()].filter((l) => l.phase !== 'done').map((l) => l.legId)
  }

  // ───────────────────────────── ESL events → core events ─────────────────────────────

  /** Maps one ESL event; never throws. */
  handleEslEvent(ev: EslEvent): void {
    try {
      this.#handle(ev)
    } catch (err) {
      this.#log.error({ err, event: ev.name, uuid: ev.uuid }, 'adapter: failed to map an ESL event')
    }
  }

  #handle(ev: EslEvent): void {
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
        return this.#onCustom(ev)
      default:
        return
    }
  }

  #onPark(ev: EslEvent): void {
    const uuid = ev.uuid
    if (!uuid) return
    // Agent legs park after answering (&park()); their -b "phone" legs inherit koplus_role too.
    if (ev.variable('koplus_role') === 'agent' || this.#legs.has(uuid)) return
    // A test call of `koplus doctor` (src/doctor) proving a queue number or feature code reaches koplus: not a caller.
    if (ev.variable('koplus_check_id')) return
    const known = this.#calls.get(uuid)
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
      this.#calls.set(uuid, { callId: uuid, answered: ev.get('Answer-State') === 'answered', awaitingParkAfterBridge: false, gone: false })
      // A call an earlier daemon already handled (its variables are on the channel) parks again, e.g. the
      // park_after_bridge park when its agent hangs up while this daemon is still starting: it is restored from the
      // event's variables, as a rebuild would (restore.ts), never taken for a new caller.
      const earlier = ev.variable('koplus_seq') || ev.variable('koplus_joined_at') || ev.variable('koplus_connected')
      const restored = earlier ? classifyChannels([{ ...ev.headers, 'Unique-ID': uuid }], this.#now(), (call, problems) => this.#log.warn({ call, problems }, 'invalid koplus_* channel variables on rebuild; kept the caller with safe values')).calls.get(uuid)?.restored : undefined
      this.#arrive({
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
      this.#calls.set(uuid, { callId: uuid, answered: ev.get('Answer-State') === 'answered', awaitingParkAfterBridge: false, gone: false })
      this.#emit({
        type: 'feature-call',
        callId: uuid,
        digits: feature,
        sipUser: ev.variable('sip_auth_username') ?? '',
        domain: ev.variable('koplus_tenant') || ev.variable('sip_auth_realm') || ev.variable('domain_name') || 'default',
      })
    }
  }

  #onAnswer(ev: EslEvent): void {
    const uuid = ev.uuid
    if (!uuid) return
    const call = this.#calls.get(uuid)
    if (call) {
      if (!call.answered) {
        call.answered = true
        this.#emit({ type: 'call-answered', callId: uuid })
      }
      return
    }
    const leg = this.#legs.get(uuid)
    if (leg) {
      if (leg.phase === 'dialing' || leg.phase === 'ringing') {
        leg.seen = true
        leg.phase = 'answered'
        this.#emit({ type: 'leg-answered', legId: uuid })
      }
      return
    }
    this.#privateCallAnswered(ev)
  }

  /**
   * A call that is not ours was answered. If a SIP user's phone is on it — the caller authenticated as that user
   * (variable_sip_auth_username, the agent dialled out) or the call was to that user (variable_dialed_user, set by
   * the user/ endpoint) — that device is in use: the core skips agents whose active device it is (issue 5: "agents
   * whose device is in use on any other call are skipped"). Our own agent legs carry koplus_role=agent (also on
   * loopback -b legs) and are not counted; queue and feature-code calls are in #calls.
   */
  #privateCallAnswered(ev: EslEvent): void {
    const uuid = ev.uuid!
    if (this.#privateCalls.has(uuid) || ev.variable('koplus_role') === 'agent' || ev.variable('koplus_queue') || ev.variable('koplus_feature')) return
    const target = ev.variable('sip_auth_username') || ev.variable('dialed_user')
    if (target) this.#privateCallUp(uuid, target)
  }

  #privateCallUp(uuid: string, target: string): void {
    if (this.#privateCalls.has(uuid)) return
    this.#privateCalls.set(uuid, target)
    const n = (this.#busyTargets.get(target) ?? 0) + 1
    this.#busyTargets.set(target, n)
    if (n === 1) this.#emit({ type: 'device-busy', target, busy: true })
  }

  #privateCallGone(uuid: string): void {
    const target = this.#privateCalls.get(uuid)
    if (target === undefined) return
    this.#privateCalls.delete(uuid)
    const n = (this.#busyTargets.get(target) ?? 1) - 1
    if (n > 0) {
      this.#busyTargets.set(target, n)
      return
    }
    this.#busyTargets.delete(target)
    this.#emit({ type: 'device-busy', target, busy: false })
  }

  #onProgress(ev: EslEvent): void {
    const leg = ev.uuid ? this.#legs.get(ev.uuid) : undefined
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
    let callId: string | undefined
    let legId: string | undefined
    if (this.#calls.has(a) && this.#legs.has(b)) [callId, legId] = [a, b]
    else if (this.#calls.has(b) && this.#legs.has(a)) [callId, legId] = [b, a]
    if (!callId || !legId) return
    const call = this.#calls.get(callId)!
    const leg = this.#legs.get(legId)!
    if (leg.phase === 'bridged' && call.bridgedLeg === legId) return // both sides report the bridge
    leg.phase = 'bridged'
    leg.seen = true
    call.bridgedLeg = legId
    call.awaitingParkAfterBridge = true
    this.#emit({ type: 'bridged', callId, legId })
  }

  #onHangup(ev: EslEvent): void {
    const uuid = ev.uuid
    if (!uuid) return
    const cause = ev.get('Hangup-Cause') ?? ev.variable('hangup_cause') ?? 'NORMAL_CLEARING'
    if (this.#calls.has(uuid)) {
      this.#callGone(uuid, cause)
      return
    }
    const leg = this.#legs.get(uuid)
    if (leg) {
      leg.seen = true
      this.#legGone(leg, cause)
      return
    }
    this.#privateCallGone(uuid)
  }

  #onDtmf(ev: EslEvent): void {
    const uuid = ev.uuid
    const digit = ev.get('DTMF-Digit')
    if (!uuid || !digit) return
    if (this.#calls.has(uuid)) this.#emit({ type: 'call-dtmf', callId: uuid, digit })
    else if (this.#legs.has(uuid)) this.#emit({ type: 'leg-dtmf', legId: uuid, digit })
  }

  #onCustom(ev: EslEvent): void {
    const sub = ev.subclass
    if (sub !== 'sofia::register' && sub !== 'sofia::unregister' && sub !== 'sofia::expire') return
    const sipUser = ev.get('username') || ev.get('from-user') || ev.get('user')
    const domain = ev.get('realm') || ev.get('from-host') || ev.get('host') || ''
    if (!sipUser) return
    const callId = ev.get('call-id') ?? ''
    if (sub === 'sofia::register') this.#contactUp(sipUser, domain, callId)
    else this.#contactDown(sipUser, domain, callId)
  }

  /**
   * The registrations FreeSWITCH holds now (`show registrations`, read on every (re)connect): each is reported
   * registered, and users we had as registered who are not in the list any more (their unregister / expire went to
   * a lost connection) are reported unregistered.
   */
  registrationsFromSwitch(rows: readonly { sipUser: string; domain: string; token?: string }[]): void {
    const before = new Map(this.#contacts)
    this.#contacts.clear()
    for (const r of rows) this.#contactUp(r.sipUser, r.domain, r.token ?? '')
    for (const [key, c] of before) {
      if (!this.#contacts.has(key)) this.#emit({ type: 'registration', sipUser: c.sipUser, domain: c.domain, registered: false })
    }
  }

  /** A contact of a SIP user registered (a refresh with the same Call-ID changes nothing). */
  #contactUp(sipUser: string, domain: string, callId: string): void {
    const key = `${sipUser}@${domain}`.toLowerCase()
    let c = this.#contacts.get(key)
    if (!c) this.#contacts.set(key, (c = { sipUser, domain, callIds: new Set() }))
    c.callIds.add(callId)
    this.#emit({ type: 'registration', sipUser, domain, registered: true })
  }

  /**
   * A contact unregistered or expired. The user stays registered while another contact of theirs is: a phone that
   * rebooted registers with a new Call-ID, and its old registration expires ~90 s later (sofia::expire with the
   * old call-id, inbound-registration); a user may also register from two devices.
   */
  #contactDown(sipUser: string, domain: string, callId: string): void {
    const key = `${sipUser}@${domain}`.toLowerCase()
    const c = this.#contacts.get(key)
    if (c) {
      c.callIds.delete(callId)
      // '' = a registration read at start-up without its token: it cannot be told apart, so it does not count.
      c.callIds.delete('')
      if (c.callIds.size > 0) {
        this.#log.debug({ sipUser, domain, callId, remaining: c.callIds.size }, 'a contact went away; the user is still registered')
        return
      }
      this.#contacts.delete(key)
    }
    this.#emit({ type: 'registration', sipUser, domain, registered: false })
  }

  #callGone(callId: string, cause: string): void {
    const call = this.#calls.get(callId)
    if (!call || call.gone) return
    call.gone = true
    this.#calls.delete(callId)
    this.#lostPlays.delete(callId)
    for (const p of this.#plays) if (p.channel === callId) this.#plays.delete(p)
    this.#emit({ type: 'call-hungup', callId, cause })
  }

  /** Stops tracking a call that leaves koplus alive (transferred): no call-hungup will be reported for it. */
  #forgetCall(callId: string): void {
    this.#calls.delete(callId)
    this.#lostPlays.delete(callId)
    for (const p of this.#plays) if (p.channel === callId) this.#plays.delete(p)
  }

  #legGone(leg: LegState, cause: string): void {
    const phase = leg.phase
    if (phase === 'done') return
    leg.phase = 'done'
    this.#legs.delete(leg.legId)
    const rest = (this.#offers.get(leg.offerId) ?? []).filter((id) => id !== leg.legId)
    if (rest.length) this.#offers.set(leg.offerId, rest)
    else this.#offers.delete(leg.offerId)
    const call = this.#calls.get(leg.callId)
    if (call?.bridgedLeg === leg.legId) call.bridgedLeg = undefined
    if (phase === 'bridged') this.#emit({ type: 'leg-hungup', legId: leg.legId, cause })
    else this.#emit({ type: 'leg-failed', legId: leg.legId, cause })
  }

  // ───────────────────────────── core commands → ESL ─────────────────────────────

  /** True for the command types this adapter carries out (the daemon handles the rest). */
  static handles(cmd: Command): boolean {
    switch (cmd.type) {
      case 'answer':
      case 'pre-answer':
      case 'play':
      case 'hold-music':
      case 'stop-audio':
      case 'set-vars':
      case 'originate':
      case 'hangup-leg':
      case 'play-leg':
      case 'bridge':
      case 'hangup':
      case 'transfer':
      case 'record':
        return true
      default:
        return false
    }
  }

  /**
   * Carries out one call/leg command. Its ESL commands are written to the socket before this returns (so commands
   * given one after the other reach FreeSWITCH in order); the promise resolves when FreeSWITCH has replied to them
   * (not when a prompt ends: that is reported as prompt-finished). Never rejects: failures are logged and, when the
   * channel is gone, reported to the core as call-hungup / leg-failed.
   */
  execute(cmd: Command): Promise<void> {
    let pending: Promise<unknown>[]
    try {
      pending = this.#execute(cmd)
    } catch (err) {
      this.#failed(cmd, err)
      return Promise.resolve()
    }
    return Promise.all(pending.map((p) => p.catch((err: unknown) => this.#failed(cmd, err)))).then(() => undefined)
  }

  /** Issues the ESL commands of `cmd` synchronously; returns their replies. */
  #execute(cmd: Command): Promise<unknown>[] {
    switch (cmd.type) {
      case 'answer':
        return [this.#detach(cmd, this.#port.execute(cmd.callId, 'answer'))]
      case 'pre-answer':
        return [this.#detach(cmd, this.#port.execute(cmd.callId, 'pre_answer'))]
      case 'play':
        return [this.#play(cmd.callId, cmd.token, 'play', playbackArgument(cmd.files.map(this.#resolve)))]
      case 'hold-music':
        return [this.#play(cmd.callId, '', 'hold', this.#resolve(cmd.source), { loops: -1 })]
      case 'stop-audio':
        this.#lostPlays.delete(cmd.callId)
        for (const p of this.#plays) if (p.channel === cmd.callId) p.interrupted = true
        return [this.#api(`uuid_break ${cmd.callId} all`, cmd.callId)]
      case 'set-vars':
        // One uuid_setvar per variable: values are free text and uuid_setvar_multi splits on ';'.
        return Object.entries(cmd.vars).map(([k, v]) => this.#api(`uuid_setvar ${cmd.callId} ${k} ${v}`, cmd.callId))
      case 'originate':
        return [this.#originate(cmd)]
      case 'hangup-leg':
        // A leg that already ended (e.g. a LOSE_RACE loser the core cancels) needs no uuid_kill.
        if (!this.#legs.has(cmd.legId)) return []
        return [this.#api(`uuid_kill ${cmd.legId} ${hangupCause(cmd.cause)}`, cmd.legId)]
      case 'play-leg': {
        // Digits pressed during playback are reported as DTMF events (inbound-dtmf: also the terminator); with
        // collectDigit any key ends the prompt, so the agent need not hear it out.
        const setvar = cmd.collectDigit ? [this.#api(`uuid_setvar ${cmd.legId} playback_terminators any`, cmd.legId)] : []
        return [...setvar, this.#play(cmd.legId, cmd.token, 'play', playbackArgument(cmd.files.map(this.#resolve)))]
      }
      case 'bridge': {
        this.#lostPlays.delete(cmd.callId)
        for (const p of this.#plays) if (p.channel === cmd.callId) p.interrupted = true
        return [this.#api(`uuid_setvar ${cmd.callId} park_after_bridge true`, cmd.callId), this.#bridge(cmd.callId, cmd.legId)]
      }
      case 'hangup':
        return [this.#port.sendmsg(cmd.callId, { 'call-command': 'hangup', 'hangup-cause': hangupCause(cmd.cause) })]
      case 'transfer': {
        // The caller leaves koplus (the core has forgotten them). Stop tracking the channel, and clear its koplus
        // variables first, so that (a) a forward to another koplus queue — whose dialplan sets koplus_queue again
        // and parks — is a new arrival there, not "a repeated park" of a known call, and (b) a rebuild after a
        // restart does not take a forwarded call back into the queue (restore.ts reads variable_koplus_queue).
        // uuid_setvar without a value unsets the variable (mod_commands uuid_setvar_function: "<uuid> <var>
        // [value]", argc 2 → switch_channel_set_variable(channel, var, NULL)). Commands go out in this order.
        this.#forgetCall(cmd.callId)
        const unset = ['koplus_queue', 'koplus_seq', 'koplus_joined_at', 'koplus_announce'].map((v) => this.#api(`uuid_setvar ${cmd.callId} ${v}`, cmd.callId))
        return [...unset, this.#api(`uuid_transfer ${cmd.callId} ${cmd.destination} XML ${this.#transferContext}`, cmd.callId)]
      }
      case 'record':
        return [
          this.#api(`uuid_setvar ${cmd.callId} playback_terminators #`, cmd.callId),
          // record <path> <time_limit_secs> <silence_thresh> <silence_hits> (mod_dptools record; inbound-record).
          this.#play(cmd.callId, cmd.token, 'record', `${cmd.path} ${cmd.maxSec} 200 ${cmd.silenceSec}`),
        ]
      default:
        return []
    }
  }

  /** Waits for an application's end in the background (errors handled as usual); resolves at once. */
  #detach(cmd: Command, done: Promise<unknown>): Promise<unknown> {
    done.catch((err: unknown) => this.#failed(cmd, err))
    return Promise.resolve()
  }

  /**
   * Runs playback / record and reports prompt-finished for it when it ends (not for hold music). Prompts to agent
   * legs (whisper, mobile confirmation) are reported too, with the leg id as `callId`: the core waits for the
   * whisper's end to bridge, and for the confirmation prompt's end to start the agent's time to press 1. The
   * returned promise settles at once with the sendmsg reply's fate only as far as errors go: the wait
   * for the end runs detached.
   */
  #play(channel: string, token: string, kind: PlayState['kind'], arg: string, opts?: { loops: number }): Promise<unknown> {
    const play: PlayState = { channel, token, kind, interrupted: false, arg }
    this.#plays.add(play)
    // A newer play on the channel supersedes one lost to a disconnect.
    this.#lostPlays.delete(channel)
    const app = kind === 'record' ? 'record' : 'playback'
    const done = this.#port.execute(channel, app, arg, opts)
    done.then(
      (result) => {
        this.#plays.delete(play)
        if (kind === 'hold' || !this.#tracked(channel)) return
        const terminator = result.event?.variable('playback_terminator_used')
        const interrupted = play.interrupted || (kind === 'play' && !!terminator)
        this.#emit({ type: 'prompt-finished', callId: channel, token, interrupted })
      },
      (err: unknown) => {
        this.#plays.delete(play)
        const code = (err as { code?: string } | null)?.code
        if (code === 'ESL_CHANNEL_GONE') {
          this.#channelGone(channel, (err as { hangupCause?: string }).hangupCause)
          return
        }
        if (code === 'ESL_DISCONNECTED') {
          // Not a failure of the playback: FreeSWITCH plays on (calls survive a lost connection,
          // inbound-reconnect-1/2), but its end is reported on the old connection. Reporting it finished now
          // would make the core start the next audio on a dead connection, and the caller would hear silence
          // after the prompt. `reconcile` settles it after the reconnect (journey-restart.test.ts).
          if (this.#calls.has(channel) && !play.interrupted) this.#lostPlays.set(channel, play)
          this.#log.debug({ call: channel, app, kind }, 'playback outcome lost with the ESL connection')
          return
        }
        this.#log.warn({ call: channel, app, code, err: (err as Error)?.message }, 'playback failed')
        // The core must not wait forever for this prompt: report it as interrupted.
        if (kind !== 'hold' && this.#tracked(channel)) this.#emit({ type: 'prompt-finished', callId: channel, token, interrupted: true })
      },
    )
    return Promise.resolve()
  }

  /** A queue/feature call we track, or an agent leg not yet ended. */
  #tracked(uuid: string): boolean {
    return this.#calls.has(uuid) || this.#legs.has(uuid)
  }

  #originate(cmd: Extract<Command, { type: 'originate' }>): Promise<unknown> {
    for (const l of cmd.legs) {
      this.#legs.set(l.legId, { legId: l.legId, callId: cmd.callId, offerId: cmd.offerId, agentId: l.agentId, phase: 'dialing', seen: false })
    }
    this.#offers.set(cmd.offerId, cmd.legs.map((l) => l.legId))
    this.#log.debug({ call: cmd.callId, offer: cmd.offerId, legs: cmd.legs.map((l) => ({ leg: l.legId, agent: l.agentId, dial: l.dialString })) }, 'originate')
    // One originate rings all legs and FreeSWITCH ends the others with LOSE_RACE at the first answer
    // (inbound-parallel-ring). A leg that must confirm (mobile: press 1) has not taken the call when it answers —
    // it may be a voicemail — so then every leg gets its own originate and the core decides the winner, cancelling
    // the others itself with uuid_kill ORIGINATOR_CANCEL (hangup-leg).
    const groups = cmd.legs.length > 1 && cmd.legs.some((l) => l.confirm) ? cmd.legs.map((l) => [l]) : [cmd.legs]
    for (const legs of groups) {
      const part = groups.length === 1 ? cmd : { ...cmd, legs }
      this.#port.bgapi(originateCommand(part)).then(
        (result) => {
          const cause = result.ok ? undefined : jobFailureCause(result.body) ?? 'UNKNOWN'
          if (!cause) return
          // Legs that got a channel were resolved by their CHANNEL_HANGUP; the rest never existed.
          for (const l of part.legs) {
            const leg = this.#legs.get(l.legId)
            if (leg && (leg.phase === 'dialing' || leg.phase === 'ringing')) this.#legGone(leg, cause)
          }
        },
        (err: unknown) => this.#failed(part, err),
      )
    }
    return Promise.resolve()
  }

  async #bridge(callId: string, legId: string): Promise<void> {
    const reply = await this.#port.api(`uuid_bridge ${callId} ${legId}`)
    if (/^\s*-ERR/.test(reply)) {
      this.#log.warn({ call: callId, leg: legId, reply: reply.trim() }, 'uuid_bridge failed')
      const call = this.#calls.get(callId)
      if (call) call.awaitingParkAfterBridge = false
      await Promise.all([this.#checkGone(callId), this.#checkGone(legId)])
    }
  }

  /** api command on a channel; a `-ERR No such channel` reply means the channel is gone. */
  async #api(command: string, uuid: string): Promise<void> {
    const reply = await this.#port.api(command)
    if (/^\s*-ERR/.test(reply)) {
      this.#log.warn({ call: uuid, command: command.split(' ')[0], reply: reply.trim() }, 'ESL api command failed')
      if (/no such channel/i.test(reply)) this.#channelGone(uuid)
    }
  }

  /** uuid_exists; true when unsure (an error), so nothing is reported gone by mistake. */
  async #exists(uuid: string): Promise<boolean> {
    try {
      return (await this.#port.api(`uuid_exists ${uuid}`)).trim() !== 'false'
    } catch {
      return true
    }
  }

  async #checkGone(uuid: string): Promise<void> {
    try {
      const r = await this.#port.api(`uuid_exists ${uuid}`)
      if (r.trim() === 'false') this.#channelGone(uuid)
    } catch {
      /* disconnected: the rebuild after reconnect settles it */
    }
  }

  #channelGone(uuid: string, cause?: string): void {
    if (this.#calls.has(uuid)) this.#callGone(uuid, cause ?? 'NORMAL_CLEARING')
    else {
      const leg = this.#legs.get(uuid)
      if (leg) this.#legGone(leg, cause ?? (leg.phase === 'bridged' ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL'))
    }
  }

  #failed(cmd: Command, err: unknown): void {
    const code = (err as { code?: string } | null)?.code ?? ''
    const target = 'callId' in cmd ? cmd.callId : 'legId' in cmd ? cmd.legId : undefined
    const message = (err as Error)?.message ?? String(err)
    this.#log.warn({ call: target, command: cmd.type, code, err: message }, 'ESL command failed')
    if (!target) return
    if (code === 'ESL_CHANNEL_GONE' || /no such channel/i.test(message)) {
      this.#channelGone(target, (err as { hangupCause?: string }).hangupCause)
      return
    }
    if (cmd.type === 'originate' && code !== 'ESL_DISCONNECTED') {
      // FreeSWITCH refused the originate outright: none of its legs will ring. (After a disconnect the originate
      // may still be running: the rebuild after reconnect settles its legs.)
      for (const l of cmd.legs) {
        const leg = this.#legs.get(l.legId)
        if (leg) this.#legGone(leg, 'ORIGINATOR_CANCEL')
      }
    }
  }

  // ───────────────────────────── rebuilding after (re)connect ─────────────────────────────

  /** A rebuild starts: arrivals are held until endRebuild (see #held). */
  beginRebuild(): void {
    this.#rebuilding = true
  }

  /** The rebuild is over (or failed): the held arrivals are reported, restored callers in queue order first. */
  endRebuild(): void {
    this.#rebuilding = false
    const held = this.#held
    this.#held = []
    for (const e of inQueueOrder(held)) {
      const call = this.#calls.get(e.callId)
      if (call && !call.gone) this.#emit(e)
    }
  }

  #arrive(e: Extract<CoreEvent, { type: 'call-arrived' }>): void {
    if (this.#rebuilding) this.#held.push(e)
    else this.#emit(e)
  }

  /**
   * Reconciles the adapter's view with what FreeSWITCH has now (from `LiveChannels`, see restore.ts):
   * calls and legs we track that are gone → call-hungup / leg-failed / leg-hungup; queue calls we do not track →
   * call-arrived with `restored`; agent legs of restored calls that were still ringing are cancelled (the core
   * lost their offer and will offer the call again).
   */
  async reconcile(live: LiveChannels): Promise<void> {
    // `show channels` lags the events (inbound-introspection): a tracked channel missing from it is confirmed gone
    // with uuid_exists before it is reported.
    for (const callId of [...this.#calls.keys()]) {
      if (!live.calls.has(callId) && !(await this.#exists(callId))) this.#callGone(callId, 'NORMAL_CLEARING')
    }
    // Private calls that ended while we were away (their CHANNEL_HANGUP went to the old connection), and those
    // that are up now (after a restart the daemon has never seen their CHANNEL_ANSWER).
    for (const uuid of [...this.#privateCalls.keys()]) {
      if (!live.privateCalls?.has(uuid) && !(await this.#exists(uuid))) this.#privateCallGone(uuid)
    }
    for (const [uuid, target] of live.privateCalls ?? []) this.#privateCallUp(uuid, target)
    for (const leg of [...this.#legs.values()]) {
      // A leg not in FreeSWITCH any more is over (its originate's result, if any, went to the old connection).
      if (!live.legs.has(leg.legId) && !(await this.#exists(leg.legId))) this.#legGone(leg, leg.phase === 'bridged' ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL')
    }
    const restoredNow: Extract<CoreEvent, { type: 'call-arrived' }>[] = []
    for (const c of live.calls.values()) {
      if (this.#calls.has(c.callId)) continue
      const bridged = c.restored.bridgedTo
      this.#calls.set(c.callId, { callId: c.callId, answered: c.restored.answered, bridgedLeg: bridged?.legId, awaitingParkAfterBridge: !!bridged, gone: false })
      if (bridged) {
        this.#legs.set(bridged.legId, { legId: bridged.legId, callId: c.callId, offerId: live.legs.get(bridged.legId)?.offerId ?? '', agentId: bridged.agentId, phase: 'bridged', seen: true })
      }
      this.#log.info({ call: c.callId, queue: c.queueNumber, joinedAt: c.restored.joinedAt, bridged: !!bridged }, 'restored a waiting call from FreeSWITCH')
      restoredNow.push({ type: 'call-arrived', callId: c.callId, queueNumber: c.queueNumber, tenantDomain: c.tenantDomain, callerNumber: c.callerNumber, callerName: c.callerName, restored: c.restored })
    }
    for (const e of inQueueOrder(restoredNow)) this.#arrive(e)
    for (const l of live.legs.values()) {
      if (this.#legs.has(l.legId)) continue
      const call = live.calls.get(l.callId)
      const bridgedHere = call?.restored.bridgedTo?.legId === l.legId
      if (bridgedHere) continue
      // Ringing (or answered but not yet bridged) when the daemon went away: its offer is lost; end the leg, the
      // core offers the caller again.
      const cause = l.answered ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL'
      this.#log.info({ call: l.callId, leg: l.legId, cause }, 'ending an agent leg whose offer was lost')
      try {
        await this.#api(`uuid_kill ${l.legId} ${cause}`, l.legId)
      } catch (err) {
        this.#log.warn({ leg: l.legId, err: (err as Error).message }, 'uuid_kill failed')
      }
    }
    this.#settleLostPlays()
  }

  /**
   * After a reconnect: audio whose outcome was lost with the old connection. Hold music is started again (if it
   * still plays, the new playback queues behind the endless one and the next uuid_break all flushes both); a lost
   * prompt is reported finished (interrupted), so the core goes on with the next announcement or the music — any
   * audio it starts queues behind the prompt if that still plays, so nothing overlaps and there is no silence.
   */
  #settleLostPlays(): void {
    const lost = [...this.#lostPlays.values()]
    this.#lostPlays.clear()
    for (const p of lost) {
      const call = this.#calls.get(p.channel)
      if (!call || call.gone || call.bridgedLeg) continue
      this.#log.info({ call: p.channel, kind: p.kind }, 'resuming audio after the reconnect')
      if (p.kind === 'hold') void this.#play(p.channel, '', 'hold', p.arg, { loops: -1 })
      else this.#emit({ type: 'prompt-finished', callId: p.channel, token: p.token, interrupted: true })
    }
  }
}

/**
 * Arrivals in the order the core should see them: restored callers with a place (koplus_seq > 0) by that place,
 * then the others (new callers, callers that never entered a queue) in the order they came (a stable sort).
 */
function inQueueOrder(events: Extract<CoreEvent, { type: 'call-arrived' }>[]): Extract<CoreEvent, { type: 'call-arrived' }>[] {
  const place = (e: Extract<CoreEvent, { type: 'call-arrived' }>) => (e.restored && e.restored.seq > 0 ? e.restored.seq : Infinity)
  return [...events].sort((a, b) => place(a) - place(b))
}

/** A koplus queue call found in FreeSWITCH. */
export interface LiveCall {
  callId: string
  queueNumber: string
  tenantDomain: string
  callerNumber: string
  callerName: string
  restored: RestoredCall
}

/** An agent leg (koplus_role=agent) found in FreeSWITCH. */
export interface LiveLeg {
  legId: string
  callId: string
  agentId: string
  offerId: string
  answered: boolean
}

export interface LiveChannels {
  calls: Map<string, LiveCall>
  legs: Map<string, LiveLeg>
  /** Answered channels that are not koplus's, of SIP users' phones: channel uuid → SIP user (device in use). */
  privateCalls?: Map<string, string>
}
