/**
 * Execution of `originate` (switch_ivr_originate): legs created per dial string, rung in parallel
 * within a `,` group and group after group for `|`; the first answer wins and the other legs hang
 * up with LOSE_RACE; originate_timeout ends ringing legs with NO_ANSWER. Dial strings resolve to
 * simulated endpoints: error/<CAUSE>, user/<ext>[@domain] (directory + registration), loopback/<ext>[/<ctx>]
 * (an -a/-b pair through the dialplan), and anything else by pattern (or the captures' lab-* SIP targets).
 */
import { randomUUID } from 'node:crypto'
import type { TimerHandle } from '../util/clock.js'
import type { Channel } from './channel.js'
import { labBehaviour, type EndpointBehaviour, type SimUser } from './endpoints.js'
import { parseOriginate, type OriginateLeg, type OriginateRequest } from './originate.js'
import type { FreeSwitchSimulator, OriginateRecord } from './simulator.js'
import { dialOtherNode } from './sip-network.js'

interface PendingLeg {
  leg: OriginateLeg
  ch?: Channel
  failed?: string
}

/** Where the originator finds the far ends. */
interface EndpointLookup {
  user(name: string): SimUser | undefined
  pattern(dial: string): EndpointBehaviour | undefined
}

export class Originator {
  readonly #onAnswer = new Map<string, () => void>()
  readonly #onHangup = new Map<string, (cause: string) => void>()

  constructor(
    readonly sim: FreeSwitchSimulator,
    readonly lookup: EndpointLookup,
  ) {}

  /** A channel answered: lets a waiting originate pick its winner. */
  answered(ch: Channel): void {
    this.#onAnswer.get(ch.uuid)?.()
  }

  /** A channel hung up: a ringing originate leg failed. */
  hungUp(ch: Channel, cause: string): void {
    this.#onHangup.get(ch.uuid)?.(cause)
  }

  /**
   * Runs `originate <arg>`; `done` gets the api text (`+OK <uuid>\n` or `-ERR <CAUSE>\n`) the moment
   * the outcome is known, before the winning leg starts its application.
   */
  originate(arg: string, done: (result: string) => void, jobUuid?: string): void {
    const rec: OriginateRecord = { arg, at: this.sim.clock.now(), jobUuid }
    this.sim.originates.push(rec)
    const finish = (r: string): void => {
      rec.result = r
      done(r)
    }
    let req: OriginateRequest
    try {
      req = parseOriginate(arg)
    } catch (e) {
      finish((e as Error).message)
      return
    }
    let lastCause = 'NO_ANSWER'
    const tryGroup = (i: number): void => {
      if (i >= req.groups.length) {
        finish(`-ERR ${lastCause}\n`)
        return
      }
      this.#ringGroup(req, req.groups[i], (winner, cause) => {
        if (winner) {
          finish(`+OK ${winner.uuid}\n`)
          this.#startOriginateApp(winner, req)
        } else {
          lastCause = cause ?? lastCause
          tryGroup(i + 1)
        }
      })
    }
    tryGroup(0)
  }

  #startOriginateApp(ch: Channel, req: OriginateRequest): void {
    ch.originating = false
    ch.state = 'CS_EXECUTE'
    if (req.app) {
      ch.queue.push({ app: req.app.name, arg: req.app.arg, loops: 1 })
      this.sim.pump(ch)
    } else if (req.exten) {
      this.sim.route(ch, req.exten.dest, req.exten.context, ch.variables.get('domain_name') ?? 'default')
    }
  }

  #ringGroup(
    req: OriginateRequest,
    group: OriginateLeg[],
    done: (winner: Channel | undefined, cause?: string) => void,
  ): void {
    const pending: PendingLeg[] = []
    let settled = false
    let lastCause: string | undefined
    // eslint-disable-next-line prefer-const -- assigned below, after `settle` (which clears it) is defined
    let timeoutTimer: TimerHandle | undefined
    const settle = (winner: Channel | undefined, cause?: string): void => {
      if (settled) return
      settled = true
      if (timeoutTimer) this.sim.clock.clearTimeout(timeoutTimer)
      for (const p of pending)
        if (p.ch) {
          this.#onAnswer.delete(p.ch.uuid)
          this.#onHangup.delete(p.ch.uuid)
        }
      done(winner, cause)
    }
    const checkAllFailed = (): void => {
      if (!settled && pending.every((p) => p.failed)) settle(undefined, lastCause)
    }
    let timeoutSecs = Number(req.globals.get('originate_timeout')) || 0
    let legMin = 0
    for (const leg of group) {
      const vars = new Map([...req.globals, ...leg.vars])
      const t = Number(leg.vars.get('leg_timeout') ?? leg.vars.get('originate_timeout'))
      if (t > 0) legMin = legMin ? Math.min(legMin, t) : t
      const p: PendingLeg = { leg }
      pending.push(p)
      const res = this.#createLeg(leg.dial, vars)
      if (typeof res === 'string') {
        p.failed = res
        lastCause = res
        continue
      }
      p.ch = res
      this.#onAnswer.set(res.uuid, () => {
        if (settled) return
        // First answer wins; the others lose the race (switch_ivr_originate: LOSE_RACE).
        for (const o of pending) {
          if (o !== p && o.ch && !o.ch.hungUp) {
            o.ch.setVar('group_dial_status', 'loser')
            o.failed = 'LOSE_RACE'
            this.sim.hangup(o.ch, 'LOSE_RACE')
          }
        }
        settle(res)
      })
      this.#onHangup.set(res.uuid, (cause) => {
        p.failed = cause
        lastCause = cause
        checkAllFailed()
      })
    }
    if (!timeoutSecs) timeoutSecs = legMin || 60
    if (pending.every((p) => p.failed)) {
      settle(undefined, lastCause)
      return
    }
    timeoutTimer = this.sim.clock.setTimeout(() => {
      for (const p of pending) if (p.ch && !p.ch.hungUp) this.sim.hangup(p.ch, 'NO_ANSWER')
      settle(undefined, 'NO_ANSWER')
    }, timeoutSecs * 1000)
  }

  /** Creates the outbound channel for one dial string, or returns a hangup cause when none is created. */
  #createLeg(dial: string, vars: Map<string, string>): Channel | string {
    let m: RegExpExecArray | null
    if ((m = /^error\/(\w+)/.exec(dial))) return m[1]
    const uuid = vars.get('origination_uuid') ?? randomUUID()
    if (this.sim.channel(uuid)) return 'DESTINATION_OUT_OF_ORDER'
    const cidName = vars.get('origination_caller_id_name') ?? ''
    const cidNum = vars.get('origination_caller_id_number') ?? '0000000000'
    const make = (name: string, dest: string, source: string): Channel => {
      const ch = this.sim.createChannel({
        uuid,
        name,
        direction: 'outbound',
        callerIdName: cidName,
        callerIdNumber: cidNum,
        destination: dest,
        context: 'default',
        source,
      })
      ch.originating = true
      // A SIP leg has no codecs until the far end answers with SDP (refused legs never get any).
      ch.hasCodecs = source !== 'mod_sofia'
      for (const [k, v] of vars) ch.setVar(k, v)
      this.sim.channelEvent(ch, 'CHANNEL_CREATE')
      ch.state = 'CS_CONSUME_MEDIA'
      return ch
    }
    if ((m = /^user\/([^@]+)(?:@(.+))?$/.exec(dial))) {
      const u = this.lookup.user(m[1])
      if (!u) return 'SUBSCRIBER_ABSENT'
      if (!u.registered) return 'USER_NOT_REGISTERED'
      const ch = make(
        `sofia/internal/${u.user}-0x${u.callId.slice(0, 12)}@127.0.0.1:${u.contactPort}`,
        u.user,
        'mod_sofia',
      )
      ch.setVar('dialed_user', u.user)
      ch.setVar('dialed_domain', m[2] ?? this.sim.sipDomain)
      this.runBehaviour(ch, u.behaviour)
      return ch
    }
    if ((m = /^loopback\/([^/]+)(?:\/([^/]+))?/.exec(dial))) {
      const ext = m[1]
      const ctx = m[2] ?? 'default'
      const a = make(`loopback/${ext}-a`, ext, 'mod_loopback')
      const b = this.sim.createChannel({
        uuid: randomUUID(),
        name: `loopback/${ext}-b`,
        direction: 'inbound',
        callerIdName: cidName,
        callerIdNumber: cidNum,
        destination: ext,
        context: ctx,
        source: 'mod_loopback',
      })
      // mod_loopback copies the a-leg's variables to the b-leg (INDEX.txt: -b legs inherit koplus_role).
      for (const [k, v] of vars) if (k !== 'origination_uuid') b.setVar(k, v)
      a.loopbackPeer = b
      b.loopbackPeer = a
      this.sim.channelEvent(b, 'CHANNEL_CREATE')
      // The b-leg runs its dialplan on its own thread, after originate has registered the a-leg.
      this.sim.soon(b, 0, () => this.sim.route(b, ext, ctx, 'default'))
      return a
    }
    // A phone registered on another simulated node (sip-network.ts).
    const remote = dialOtherNode(this.sim, this.sim.sipNetwork, dial, () =>
      make(dial, dial.split('/').pop()?.split('@')[0] ?? dial, 'mod_sofia'),
    )
    if (remote) return remote
    // Any other dial string (sofia/..., gateways): a scripted pattern endpoint, the captures' lab-* SIP
    // extensions, or a far end that never answers.
    const ch = make(dial, dial.split('/').pop()?.split('@')[0] ?? dial, 'mod_sofia')
    const pat = this.lookup.pattern(dial)
    if (pat) this.runBehaviour(ch, pat)
    else {
      const lab = /(?:^|\/)lab-([^@]+)@/.exec(dial)
      this.runBehaviour(ch, lab ? labBehaviour(lab[1]) : { neverAnswer: true })
    }
    return ch
  }

  /** Drives a sofia-style far end per its behaviour. */
  runBehaviour(ch: Channel, b: EndpointBehaviour): void {
    // A phone that refuses (486/603) answers the INVITE without ringing first.
    if (b.ring ?? !b.reject) this.sim.soon(ch, 0, () => this.sim.ringReady(ch))
    if (b.reject) {
      this.sim.soon(ch, b.rejectAfterMs ?? 0, () => {
        ch.setVar('sip_hangup_disposition', 'recv_refuse')
        this.sim.hangup(ch, b.reject)
      })
      return
    }
    if (b.neverAnswer) return
    this.sim.soon(ch, b.answerAfterMs ?? 0, () => {
      this.sim.answer(ch)
      if (b.hangupAfterMs !== undefined)
        this.sim.later(ch, b.hangupAfterMs, () => this.sim.hangup(ch, 'NORMAL_CLEARING'))
      if (b.pressKeys) {
        const keys = b.pressKeys.keys
        this.sim.later(ch, b.pressKeys.afterMs ?? 0, () => {
          for (const k of keys) this.sim.receiveDtmf(ch, k)
        })
      }
    })
  }
}
