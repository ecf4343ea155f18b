/**
 * The table of live channels: the one place that holds what the FreeSWITCH adapter knows of each channel it
 * follows — queue/feature-code calls (call id = the caller's uuid), agent legs (leg id = origination_uuid, with
 * their call, offer and agent), the audio running on them, and other calls of agents' phones (private calls,
 * for device-busy). Inbound (ESL events), outbound (commands) and reconcile all read and change it here.
 *
 * The state changes the core must hear about are reported from here, once each: call-hungup, leg-failed /
 * leg-hungup, device-busy. Every call and leg has a logger bound to its callId / legId / agentId, made when a line is
 * logged (a pino child per call, kept for its life, was ~70 B of object plus its bindings' string per caller: with
 * 10,000 waiting that is memory for lines mostly never written).
 */
import type { Logger } from 'pino'
import type { CoreEvent } from '../../core/events.js'

class CallState {
  /** The leg currently bridged to the caller, if any. */
  bridgedLeg: string | undefined
  /** true once a bridge was seen, so the next CHANNEL_PARK is the park_after_bridge one. */
  awaitingParkAfterBridge: boolean
  gone = false
  readonly #root: Logger

  constructor(
    readonly callId: string,
    public answered: boolean,
    bridgedLeg: string | undefined,
    root: Logger,
  ) {
    this.bridgedLeg = bridgedLeg
    this.awaitingParkAfterBridge = !!bridgedLeg
    this.#root = root
  }

  /** Logger bound to { callId } (made on use). */
  get log(): Logger {
    return this.#root.child({ callId: this.callId })
  }
}

type LegPhase = 'dialing' | 'ringing' | 'answered' | 'bridged' | 'done'

export class LegState {
  readonly #root: Logger

  constructor(
    readonly legId: string,
    readonly callId: string,
    readonly offerId: string,
    readonly agentId: string,
    public phase: LegPhase,
    /** A channel event was seen for this leg (it exists in FreeSWITCH). */
    public seen: boolean,
    root: Logger,
  ) {
    this.#root = root
  }

  /** Logger bound to { callId, legId, agentId } (made on use). */
  get log(): Logger {
    return this.#root.child({ callId: this.callId, legId: this.legId, agentId: this.agentId })
  }
}

export interface PlayState {
  channel: string
  token: string
  kind: 'play' | 'record' | 'hold'
  interrupted: boolean
  /** The application argument (to start hold music again after a reconnect). */
  arg: string
}

/**
 * The plays still running, by channel: stop-audio, a bridge and a hang-up touch one channel's plays without
 * walking every play of every caller (with 1,000 callers on hold music, a rebuild's 1,000 stop-audio were O(n²)).
 */
export class PlaysByChannel {
  /**
   * A channel's plays: the play itself while it is the only one (hold music on a waiting caller, nearly always), a
   * Set only from the second. A Set per channel was ~150 bytes of heap per waiting caller (bench/scale-daemon heap
   * snapshots, issue 13: memory per waiting caller).
   */
  readonly #byChannel = new Map<string, PlayState | Set<PlayState>>()

  add(p: PlayState): void {
    const had = this.#byChannel.get(p.channel)
    if (had === undefined || had === p) this.#byChannel.set(p.channel, p)
    else if (had instanceof Set) had.add(p)
    else this.#byChannel.set(p.channel, new Set([had, p]))
  }

  delete(p: PlayState): void {
    const had = this.#byChannel.get(p.channel)
    if (had === p) this.#byChannel.delete(p.channel)
    else if (had instanceof Set && had.delete(p)) {
      if (had.size === 1) for (const only of had) this.#byChannel.set(p.channel, only)
    }
  }

  /** The plays running on one channel. */
  of(channel: string): Iterable<PlayState> {
    const had = this.#byChannel.get(channel)
    return had === undefined ? NO_PLAYS : had instanceof Set ? had : [had]
  }

  /** Forgets every play of one channel. */
  deleteChannel(channel: string): void {
    this.#byChannel.delete(channel)
  }

  clear(): void {
    this.#byChannel.clear()
  }

  get size(): number {
    let n = 0
    for (const had of this.#byChannel.values()) n += had instanceof Set ? had.size : 1
    return n
  }
}

const NO_PLAYS: readonly PlayState[] = []

/** What the adapter knows of every live channel it follows (see the file header). */
export class ChannelTable {
  readonly #emit: (event: CoreEvent) => void
  readonly #log: Logger
  readonly #calls = new Map<string, CallState>()
  readonly #legs = new Map<string, LegState>()
  /** offer id → leg ids. */
  readonly #offers = new Map<string, string[]>()
  /** Plays (prompts, hold music, recordings) still running, to mark them interrupted on stop-audio / bridge. */
  readonly plays = new PlaysByChannel()
  /**
   * Per caller channel, the last play whose end we cannot learn because the ESL connection dropped (its
   * EXECUTE_COMPLETE went to the old connection, or the command was never sent). Settled by `reconcile` after the
   * reconnect; a newer audio command for the channel replaces or clears it.
   */
  readonly lostPlays = new Map<string, PlayState>()
  /**
   * Channels of agents' phones on calls that are not ours (a private call): channel uuid → device target (SIP
   * user). Per target, how many such channels are up: device-busy is reported on 0 → 1 and 1 → 0.
   */
  readonly #privateCalls = new Map<string, string>()
  readonly #busyTargets = new Map<string, number>()

  constructor(emit: (event: CoreEvent) => void, log: Logger) {
    this.#emit = emit
    this.#log = log
  }

  // ───────────────────────────── calls and legs ─────────────────────────────

  call(callId: string): CallState | undefined {
    return this.#calls.get(callId)
  }

  leg(legId: string): LegState | undefined {
    return this.#legs.get(legId)
  }

  isCall(uuid: string): boolean {
    return this.#calls.has(uuid)
  }

  isLeg(uuid: string): boolean {
    return this.#legs.has(uuid)
  }

  /** A queue/feature call we track, or an agent leg not yet ended. */
  tracked(uuid: string): boolean {
    return this.#calls.has(uuid) || this.#legs.has(uuid)
  }

  callIds(): string[] {
    return [...this.#calls.keys()]
  }

  legs(): LegState[] {
    return [...this.#legs.values()]
  }

  /** Starts following a queue or feature-code call. */
  addCall(callId: string, answered: boolean, bridgedLeg?: string): CallState {
    const call = new CallState(callId, answered, bridgedLeg, this.#log)
    this.#calls.set(callId, call)
    return call
  }

  /** Starts following an agent leg of an offer (`phase` 'dialing' for a new originate). */
  addLeg(legId: string, callId: string, offerId: string, agentId: string, phase: LegPhase, seen: boolean): LegState {
    const leg = new LegState(legId, callId, offerId, agentId, phase, seen, this.#log)
    this.#legs.set(legId, leg)
    if (offerId) this.#offers.set(offerId, [...(this.#offers.get(offerId) ?? []), legId])
    return leg
  }

  /** True when lines at `level` are written (to skip building a line, and its logger, that would be dropped). */
  logs(level: 'debug' | 'info'): boolean {
    return this.#log.isLevelEnabled(level)
  }

  /** The logger of a channel: its call's or leg's, else one bound to the uuid as callId. */
  logFor(uuid: string): Logger {
    return this.#legs.get(uuid)?.log ?? this.#calls.get(uuid)?.log ?? this.#log.child({ callId: uuid })
  }

  /** The call hung up (or is gone): reported once as call-hungup. */
  callGone(callId: string, cause: string): void {
    const call = this.#calls.get(callId)
    if (!call || call.gone) return
    call.gone = true
    this.forgetCall(callId)
    this.#emit({ type: 'call-hungup', callId, cause })
  }

  /** Stops following a call that leaves koplus alive (transferred): no call-hungup will be reported for it. */
  forgetCall(callId: string): void {
    this.#calls.delete(callId)
    this.lostPlays.delete(callId)
    this.plays.deleteChannel(callId)
  }

  /** The leg ended: leg-hungup if it was bridged, else leg-failed; once. */
  legGone(leg: LegState, cause: string): void {
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

  /** A call or leg is known to be gone (uuid_exists false, -ERR No such channel, hung up during an application). */
  channelGone(uuid: string, cause?: string): void {
    if (this.#calls.has(uuid)) this.callGone(uuid, cause ?? 'NORMAL_CLEARING')
    else {
      const leg = this.#legs.get(uuid)
      if (leg) this.legGone(leg, cause ?? (leg.phase === 'bridged' ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL'))
    }
  }

  /** stop-audio / bridge: what plays on the channel now is interrupted, and a lost play there is settled. */
  interruptPlays(channel: string): void {
    this.lostPlays.delete(channel)
    for (const p of this.plays.of(channel)) p.interrupted = true
  }

  /**
   * Everything on this table's FreeSWITCH is gone at once (the node was lost: src/freeswitch/nodes): every leg is
   * reported failed / hung up, then every call hung up, then every private call ended, each once, with `cause`.
   */
  dropAll(cause: string): void {
    for (const leg of this.legs()) this.legGone(leg, cause)
    for (const callId of this.callIds()) this.callGone(callId, cause)
    for (const uuid of this.privateCallIds()) this.privateCallGone(uuid)
    this.plays.clear()
    this.lostPlays.clear()
  }

  // ───────────────────────────── private calls (device-busy) ─────────────────────────────

  isPrivateCall(uuid: string): boolean {
    return this.#privateCalls.has(uuid)
  }

  privateCallIds(): string[] {
    return [...this.#privateCalls.keys()]
  }

  /** An agent's phone is on a call that is not ours: device-busy true on the first such call of the target. */
  privateCallUp(uuid: string, target: string): void {
    if (this.#privateCalls.has(uuid)) return
    this.#privateCalls.set(uuid, target)
    const n = (this.#busyTargets.get(target) ?? 0) + 1
    this.#busyTargets.set(target, n)
    if (n === 1) this.#emit({ type: 'device-busy', target, busy: true })
  }

  /** A private call ended: device-busy false when it was the target's last. */
  privateCallGone(uuid: string): void {
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
}
