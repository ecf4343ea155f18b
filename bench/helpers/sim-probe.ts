/**
 * Observes the FreeSWITCH simulator from the switch's side of the Event Socket, with sub-millisecond timestamps:
 * - when each event was sent (a listener registered after the ESL server's, so it runs just after the frame was
 *   written to the daemon's socket), and how many events the daemon's subscription let through;
 * - when each `originate` from the daemon arrived (a wrapper around `sim.originate`, which both `api` and `bgapi`
 *   call), with the caller (koplus_call) and the SIP users dialled;
 * - when any daemon command naming a channel arrived (a wrapper around `sim.channel`, which the simulator calls
 *   only to resolve the uuid of a `sendmsg` or of an api command such as uuid_setvar / uuid_bridge / uuid_kill).
 * From these it pairs stimulus and response ("lag"): caller parked → first command on it, agent leg answered →
 * first command on its caller, caller parked after the bridge → first command on it, agent leg hung up → next
 * originate ringing that agent.
 *
 * The benchmark code must not call `sim.channel` itself (use `sim.call`), or it would count as a daemon command.
 */
import type { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import type { SimEvent } from '../../src/simulator/serialize.js'
import { epochMs } from './clock.js'
import { DAEMON_EVENTS } from '../../src/daemon/daemon.js'
import { REQUIRED_EVENTS } from '../../src/freeswitch/esl/subscriptions.js'

/** Events the daemon subscribes to: its own list plus the ESL client's REQUIRED_EVENTS; CUSTOM subclasses apart. */
const SUBSCRIBED = new Set<string>([...DAEMON_EVENTS, ...REQUIRED_EVENTS].filter((e) => !e.startsWith('CUSTOM')))
const SUBSCRIBED_CUSTOM = new Set(
  DAEMON_EVENTS.filter((e) => e.startsWith('CUSTOM ')).flatMap((e) => e.split(' ').slice(1)),
)

/** One originate received by the simulator. */
export interface OriginateArrival {
  at: number
  callId: string
  /** SIP users dialled (user/<ext>@…). */
  users: string[]
}

/** A stimulus → response pair. */
export type LagKind =
  | 'caller parked → first command (answer)'
  | 'agent answered → first command (bridge)'
  | 'parked after bridge → first command (hangup)'
  | 'agent hung up → next originate to that agent'

export interface SimEventInfo {
  at: number
  ev: SimEvent
}

function header(ev: SimEvent, name: string): string | undefined {
  for (const [k, v] of ev.headers) if (k === name) return v
  return undefined
}

export class SimProbe {
  readonly #sim: FreeSwitchSimulator
  readonly #off: () => void
  readonly #origOriginate: FreeSwitchSimulator['originate']
  readonly #origChannel: FreeSwitchSimulator['channel']
  /** Events delivered to the daemon's connection (subscribed names), since reset. */
  eventsToDaemon = 0
  /** The same, by event name (CUSTOM as CUSTOM <subclass>). */
  eventsByName = new Map<string, number>()
  /** Every originate, in order (since reset). */
  originates: OriginateArrival[] = []
  /** First CHANNEL_PARK send time per caller uuid (callers placed through the benchmark; kept after they end). */
  readonly firstPark = new Map<string, number>()
  /** Lag samples by kind (ms), since reset. */
  lags = new Map<LagKind, number[]>()
  /** Agent legs bridged, and callers' hang-ups, since reset. */
  bridges = 0
  callerHangups = 0
  /** Hooks for the benchmark. */
  onOriginate?: (o: OriginateArrival) => void
  onEvent?: (e: SimEventInfo) => void
  /** Send time of the last CHANNEL_HANGUP of a bridged agent leg, per SIP user. */
  readonly agentHungUpAt = new Map<string, number>()

  readonly #callers = new Set<string>()
  readonly #bridgedLegs = new Set<string>()
  readonly #pendingOnCall = new Map<string, { kind: LagKind; at: number }>()
  readonly #pendingAgent = new Map<string, number>()

  constructor(sim: FreeSwitchSimulator) {
    this.#sim = sim
    this.#off = sim.onEvent((ev) => this.#event(ev))
    this.#origOriginate = sim.originate
    this.#origChannel = sim.channel
    sim.originate = (arg: string, done: (result: string) => void, jobUuid?: string): void => {
      const at = epochMs()
      const callId = /koplus_call=([^,}\s]+)/.exec(arg)?.[1] ?? ''
      const users = [...arg.matchAll(/user\/([^@,\s]+)/g)].map((m) => m[1])
      const o: OriginateArrival = { at, callId, users }
      this.originates.push(o)
      for (const u of users) {
        const h = this.#pendingAgent.get(u)
        if (h !== undefined) {
          this.#lag('agent hung up → next originate to that agent', at - h)
          this.#pendingAgent.delete(u)
        }
      }
      this.onOriginate?.(o)
      this.#origOriginate.call(sim, arg, done, jobUuid)
    }
    sim.channel = (uuid: string) => {
      const p = this.#pendingOnCall.get(uuid)
      if (p) {
        this.#lag(p.kind, epochMs() - p.at)
        this.#pendingOnCall.delete(uuid)
      }
      return this.#origChannel.call(sim, uuid)
    }
  }

  /** Registers a caller placed by the benchmark (so its parks and hang-ups are tracked). */
  addCaller(uuid: string): void {
    this.#callers.add(uuid)
  }

  /** Clears counters and samples (not the tracked calls). */
  reset(): void {
    this.eventsToDaemon = 0
    this.eventsByName = new Map()
    this.originates = []
    this.lags = new Map()
    this.bridges = 0
    this.callerHangups = 0
  }

  /** Restores the simulator's methods and stops listening. */
  detach(): void {
    this.#off()
    this.#sim.originate = this.#origOriginate
    this.#sim.channel = this.#origChannel
  }

  #lag(kind: LagKind, ms: number): void {
    let a = this.lags.get(kind)
    if (!a) this.lags.set(kind, (a = []))
    a.push(ms)
  }

  #event(ev: SimEvent): void {
    const at = epochMs()
    if (ev.name === 'CUSTOM' ? SUBSCRIBED_CUSTOM.has(ev.subclass ?? '') : SUBSCRIBED.has(ev.name)) {
      this.eventsToDaemon++
      const n = ev.name === 'CUSTOM' ? `CUSTOM ${ev.subclass ?? ''}` : ev.name
      this.eventsByName.set(n, (this.eventsByName.get(n) ?? 0) + 1)
    }
    const uuid = ev.uuid
    if (uuid) {
      const isCaller = this.#callers.has(uuid)
      switch (ev.name) {
        case 'CHANNEL_PARK':
          if (isCaller) {
            if (!this.firstPark.has(uuid)) {
              this.firstPark.set(uuid, at)
              this.#pendingOnCall.set(uuid, { kind: 'caller parked → first command (answer)', at })
            } else {
              this.#pendingOnCall.set(uuid, { kind: 'parked after bridge → first command (hangup)', at })
            }
          }
          break
        case 'CHANNEL_ANSWER':
          if (!isCaller && header(ev, 'variable_koplus_role') === 'agent') {
            const call = header(ev, 'variable_koplus_call')
            if (call) this.#pendingOnCall.set(call, { kind: 'agent answered → first command (bridge)', at })
          }
          break
        case 'CHANNEL_BRIDGE':
          if (isCaller) {
            this.bridges++
            const other = header(ev, 'Bridge-B-Unique-ID')
            if (other) this.#bridgedLegs.add(other)
          }
          break
        case 'CHANNEL_HANGUP':
          if (isCaller) {
            this.callerHangups++
            this.#callers.delete(uuid)
            this.#pendingOnCall.delete(uuid)
          } else if (this.#bridgedLegs.delete(uuid)) {
            const user = header(ev, 'variable_dialed_user')
            if (user) {
              this.agentHungUpAt.set(user, at)
              this.#pendingAgent.set(user, at)
            }
          }
          break
      }
    }
    this.onEvent?.({ at, ev })
  }
}
