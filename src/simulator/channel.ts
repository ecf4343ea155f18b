import type { TimerHandle } from '../util/clock.js'
import type { Header } from './serialize.js'
import type { InterNodeLink } from './sip-network.js'

/** Channel states and their numbers (switch_types.h, switch_channel_state_t). */
const CS_NUMBERS: Record<string, number> = {
  CS_NEW: 0,
  CS_INIT: 1,
  CS_ROUTING: 2,
  CS_SOFT_EXECUTE: 3,
  CS_EXECUTE: 4,
  CS_EXCHANGE_MEDIA: 5,
  CS_PARK: 6,
  CS_CONSUME_MEDIA: 7,
  CS_HIBERNATE: 8,
  CS_RESET: 9,
  CS_HANGUP: 10,
  CS_REPORTING: 11,
  CS_DESTROY: 12,
}

/** Something the caller heard (a file, a tone, or a bridge to another party). */
export interface HeardItem {
  file: string
  startedAt: number
  endedAt?: number
  interrupted?: boolean
}

/** An application run on a channel (from the dialplan or a sendmsg execute). */
export interface AppCall {
  app: string
  arg: string
  /** Event-UUID of the sendmsg, returned as Application-UUID. */
  uuid?: string
  /** sendmsg `loops:` header; -1 = forever. */
  loops: number
  /** Queued by the dialplan's hunt (not by sendmsg): dropped when the call parks, as FreeSWITCH never runs them. */
  dialplan?: boolean
}

/** The app currently executing on a channel; `interrupt` is how breaks/hangups reach it. */
export interface RunningApp {
  call: AppCall
  timer?: TimerHandle
  /** Ends the app for a reason; returns true if the app ended (false: it only restarted, e.g. endless_playback). */
  interrupt(reason: 'break' | 'break-all' | 'bridge' | 'park' | 'hangup' | 'transfer'): boolean
  /** A digit the caller pressed while this app runs; returns false to drop the DTMF event. */
  dtmf?(digit: string): boolean
  /** Called after the DTMF event was emitted (playback terminators). */
  afterDtmf?(digit: string): void
  done: boolean
}

type AnswerState = 'ringing' | 'early' | 'answered' | 'hangup'

/** One simulated FreeSWITCH channel (a session). */
export class Channel {
  readonly uuid: string
  name: string
  readonly direction: 'inbound' | 'outbound'
  readonly createdAt: number
  state = 'CS_INIT'
  callState = 'DOWN'
  answerState: AnswerState = 'ringing'
  hangupCause?: string
  /** Caller profile fields (Caller-* headers). */
  profile: {
    username: string
    dialplan: string
    callerIdName: string
    callerIdNumber: string
    origCallerIdName: string
    origCallerIdNumber: string
    calleeIdName?: string
    calleeIdNumber?: string
    networkAddr: string
    ani: string
    destination: string
    source: string
    context: string
  }
  readonly variables = new Map<string, string>()
  answeredAt = 0
  progressAt = 0
  progressMediaAt = 0
  hangupAt = 0
  bridgedAt = 0
  /** Queue of apps waiting to run. */
  queue: AppCall[] = []
  running?: RunningApp
  /** 'app': in the park application (sendmsg apps run inside it); 'core': parked by uuid_park / park_after_bridge. */
  parked?: 'app' | 'core'
  /** The park app call, whose Application-UUID its EXECUTE_COMPLETE repeats. */
  parkCall?: AppCall
  /** The channel this one is bridged to. */
  bridge?: Channel
  /** Last bridge partner, for the stale Other-Leg-* headers FreeSWITCH keeps after an unbridge. */
  otherLeg?: Channel
  /** Which side of a uuid_bridge this channel is (the first uuid is 'a'). */
  bridgeSide?: 'a' | 'b'
  /** Loopback partner (-a <-> -b). */
  loopbackPeer?: Channel
  /** The channels of an inter-node SIP call on both nodes (sip-network.ts). */
  interNode?: InterNodeLink
  /** Set while the dialplan (or an originate app) still runs; false when the channel has nothing left to do. */
  routing = false
  /** Outbound leg still being originated (not yet handed its application). */
  originating = false
  heard: HeardItem[] = []
  timers = new Set<TimerHandle>()
  destroyed = false
  lastResponse = '_none_'
  /** Codecs negotiated: Channel-Read/Write-Codec-* headers appear only then (no SDP on a refused SIP leg). */
  hasCodecs = true
  /** The far end is talking (a recording then runs to its time limit instead of stopping on silence). */
  talking = false
  sessionId: number

  constructor(init: {
    uuid: string
    name: string
    direction: 'inbound' | 'outbound'
    now: number
    sessionId: number
    callerIdName: string
    callerIdNumber: string
    destination: string
    context: string
    source: string
    networkAddr?: string
    username?: string
  }) {
    this.uuid = init.uuid
    this.name = init.name
    this.direction = init.direction
    this.createdAt = init.now
    this.sessionId = init.sessionId
    this.profile = {
      username: init.username ?? '',
      dialplan: 'XML',
      callerIdName: init.callerIdName,
      callerIdNumber: init.callerIdNumber,
      origCallerIdName: init.callerIdName,
      origCallerIdNumber: init.callerIdNumber,
      networkAddr: init.networkAddr ?? '',
      ani: init.callerIdNumber,
      destination: init.destination,
      source: init.source,
      context: init.context,
    }
    this.variables.set('direction', init.direction)
    this.variables.set('uuid', init.uuid)
    this.variables.set('session_id', String(init.sessionId))
    this.variables.set('channel_name', init.name)
  }

  get hungUp(): boolean {
    return this.answerState === 'hangup'
  }

  get answered(): boolean {
    return this.answeredAt > 0
  }

  setVar(name: string, value: string | undefined): void {
    if (value === undefined) this.variables.delete(name)
    else this.variables.set(name, value)
  }

  /** The Channel-*, Caller-*, Other-Leg-* and variable_* headers (switch_channel_event_set_data). */
  eventData(opts: { hangupCause?: boolean; other?: boolean; variables?: boolean } = {}): Header[] {
    const h: Header[] = [
      ['Channel-State', this.state],
      ['Channel-Call-State', this.callState],
      ['Channel-State-Number', String(CS_NUMBERS[this.state] ?? 0)],
      ['Channel-Name', this.name],
      ['Unique-ID', this.uuid],
      ['Call-Direction', this.direction],
      ['Presence-Call-Direction', this.direction],
      ['Channel-HIT-Dialplan', this.direction === 'inbound' ? 'true' : 'false'],
      ['Channel-Call-UUID', this.variables.get('call_uuid') ?? this.uuid],
      ['Answer-State', this.answerState],
    ]
    if (this.hangupCause && opts.hangupCause !== false) h.push(['Hangup-Cause', this.hangupCause])
    if (this.hasCodecs)
      h.push(
        ['Channel-Read-Codec-Name', 'PCMU'],
        ['Channel-Read-Codec-Rate', '8000'],
        ['Channel-Read-Codec-Bit-Rate', '64000'],
        ['Channel-Write-Codec-Name', 'PCMU'],
        ['Channel-Write-Codec-Rate', '8000'],
        ['Channel-Write-Codec-Bit-Rate', '64000'],
      )
    h.push(...profileHeaders('Caller', this, true))
    const other = this.bridge ?? this.otherLeg
    if (other && opts.other !== false) {
      h.push(['Other-Type', 'originatee'])
      h.push(...profileHeaders('Other-Leg', other, false))
    }
    if (opts.variables !== false) for (const [k, v] of this.variables) h.push([`variable_${k}`, v])
    return h
  }
}

function usec(ms: number): string {
  return ms ? String(Math.floor(ms) * 1000) : '0'
}

/** Caller-* (or Other-Leg-*) profile headers (switch_caller_profile_event_set_data). */
function profileHeaders(prefix: string, ch: Channel, self: boolean): Header[] {
  const p = ch.profile
  const h: Header[] = [
    [`${prefix}-Direction`, ch.direction],
    [`${prefix}-Logical-Direction`, ch.direction],
  ]
  if (p.username) h.push([`${prefix}-Username`, p.username])
  h.push(
    [`${prefix}-Dialplan`, p.dialplan],
    [`${prefix}-Caller-ID-Name`, p.callerIdName],
    [`${prefix}-Caller-ID-Number`, p.callerIdNumber],
    [`${prefix}-Orig-Caller-ID-Name`, p.origCallerIdName],
    [`${prefix}-Orig-Caller-ID-Number`, p.origCallerIdNumber],
  )
  if (p.calleeIdName !== undefined) h.push([`${prefix}-Callee-ID-Name`, p.calleeIdName])
  if (p.calleeIdNumber !== undefined) h.push([`${prefix}-Callee-ID-Number`, p.calleeIdNumber])
  if (p.networkAddr) h.push([`${prefix}-Network-Addr`, p.networkAddr])
  h.push(
    [`${prefix}-ANI`, p.ani],
    [`${prefix}-Destination-Number`, p.destination],
    [`${prefix}-Unique-ID`, ch.uuid],
    [`${prefix}-Source`, p.source],
    [`${prefix}-Context`, p.context],
    [`${prefix}-Channel-Name`, ch.name],
  )
  if (self) h.push([`${prefix}-Profile-Index`, '1'])
  h.push(
    [`${prefix}-Profile-Created-Time`, usec(ch.createdAt)],
    [`${prefix}-Channel-Created-Time`, usec(ch.createdAt)],
    [`${prefix}-Channel-Answered-Time`, usec(ch.answeredAt)],
    [`${prefix}-Channel-Progress-Time`, usec(ch.progressAt)],
    [`${prefix}-Channel-Progress-Media-Time`, usec(ch.progressMediaAt)],
    [`${prefix}-Channel-Hangup-Time`, usec(ch.hangupAt)],
    [`${prefix}-Channel-Transfer-Time`, '0'],
    [`${prefix}-Channel-Resurrect-Time`, '0'],
    [`${prefix}-Channel-Bridged-Time`, usec(ch.bridgedAt)],
    [`${prefix}-Channel-Last-Hold`, '0'],
    [`${prefix}-Channel-Hold-Accum`, '0'],
    [`${prefix}-Screen-Bit`, 'true'],
    [`${prefix}-Privacy-Hide-Name`, 'false'],
    [`${prefix}-Privacy-Hide-Number`, 'false'],
  )
  return h
}
