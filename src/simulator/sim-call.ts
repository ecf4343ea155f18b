import type { HeardItem } from './channel.js'
import type { Channel } from './channel.js'
import type { FreeSwitchSimulator } from './simulator.js'

export type SimCallState = 'ringing' | 'parked' | 'answered' | 'bridged' | 'hungup'

/** A caller's call, driven by a test. */
export class SimCall {
  constructor(
    readonly sim: FreeSwitchSimulator,
    readonly channel: Channel,
  ) {}

  get uuid(): string {
    return this.channel.uuid
  }

  get state(): SimCallState {
    const ch = this.channel
    if (ch.hungUp) return 'hungup'
    if (ch.bridge) return 'bridged'
    if (ch.answered) return 'answered'
    if (ch.parked) return 'parked'
    return 'ringing'
  }

  /** UUID of the channel this call is bridged to, if any. */
  get bridgedTo(): string | undefined {
    return this.channel.bridge?.uuid
  }

  get hangupCause(): string | undefined {
    return this.channel.hangupCause
  }

  /** What the caller has heard so far, in order. */
  heard(): HeardItem[] {
    return this.channel.heard.map((h) => ({ ...h }))
  }

  /** The value of a channel variable. */
  variable(name: string): string | undefined {
    return this.channel.variables.get(name)
  }

  /** The caller presses keys (one DTMF each, in order). */
  pressKeys(keys: string): void {
    for (const k of keys) this.sim.receiveDtmf(this.channel, k)
  }

  /** The caller starts or stops talking (matters to `record`: silence ends a recording early). */
  talk(on = true): void {
    this.channel.talking = on
  }

  /** The caller hangs up: NORMAL_CLEARING once answered, ORIGINATOR_CANCEL before (a SIP CANCEL). */
  hangup(): void {
    if (this.channel.hungUp) return
    // A BYE once answered, a CANCEL (SIP 487) before (capture: inbound-sip-caller).
    const answered = this.channel.answered
    this.channel.setVar('sip_hangup_disposition', answered ? 'recv_bye' : 'recv_cancel')
    if (!answered) this.channel.setVar('sip_term_status', '487')
    this.sim.hangup(this.channel, answered ? 'NORMAL_CLEARING' : 'ORIGINATOR_CANCEL')
  }

  /** Resolves when the call reaches a state ('answered' means answered at some point). */
  waitForState(state: SimCallState, timeoutMs = 5000): Promise<void> {
    const test = (): boolean => {
      const ch = this.channel
      switch (state) {
        case 'hungup':
          return ch.hungUp
        case 'bridged':
          return !!ch.bridge
        case 'answered':
          return ch.answered
        case 'parked':
          return !!ch.parked
        case 'ringing':
          return !ch.answered
      }
    }
    return this.sim.waitFor(test, timeoutMs, `call ${this.uuid} state ${state}`)
  }
}
