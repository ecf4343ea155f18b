/**
 * Rebuilding koplus's view of live calls from FreeSWITCH itself after a (re)connect: `show channels as json`, then
 * `uuid_dump <uuid> json` for each channel (pipelined, not one round trip each), reading the variables koplus and its dialplan set
 * (docs/channel-variables.md). Shown by captures inbound-reconnect-1/2: a connection closed without `exit` leaves
 * the calls untouched, and a new connection finds them this way.
 *
 * Note: `show channels` lags the events by up to a second (inbound-introspection: `{"row_count": 0}` right after a
 * call appeared); a call that parks during the rebuild still arrives through its CHANNEL_PARK event.
 */
import type { RestoredCall } from '../../core/events.js'
import type { EslPort } from './port.js'
import { pipelined, PIPELINE_WINDOW } from './pipelined.js'
import { setHeader } from '../esl/parser.js'

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
  /** koplus_queue_id of the originate. */
  queueId?: string
  /** Another koplus leg it is bridged with (a callback's agent and person: both name each other). */
  bridgedWith?: string
  /** Caller-Channel-Bridged-Time in ms, when set. */
  bridgedAt?: number
}

/** What FreeSWITCH has now, as koplus reads it after a (re)connect. */
export interface LiveChannels {
  calls: Map<string, LiveCall>
  legs: Map<string, LiveLeg>
  /** Answered channels that are not koplus's, of SIP users' phones: channel uuid → SIP user (device in use). */
  privateCalls?: Map<string, string>
}

/** Parses `show channels as json` ({"row_count":N,"rows":[{uuid,…}]}, or {"row_count":0}); returns the uuids. */
export function parseShowChannels(body: string): string[] {
  const text = body.trim()
  if (!text || text.startsWith('-ERR')) throw new Error(`show channels failed: ${text.slice(0, 200)}`)
  const obj = JSON.parse(text) as { rows?: { uuid?: string }[] }
  return (obj.rows ?? []).map((r) => r.uuid ?? '').filter((u) => u !== '')
}

/** Parses a `uuid_dump <uuid> json` body into its headers; undefined when the channel is gone (-ERR). */
function parseUuidDump(body: string): Record<string, string> | undefined {
  const text = body.trim()
  if (!text || text.startsWith('-ERR')) return undefined
  let obj: unknown
  try {
    obj = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined
  const o = obj as Record<string, unknown>
  // FreeSWITCH writes strings (arrays only for array variables, e.g. DP_MATCH): the parsed object is used as it is
  // unless one value is not a string; a copy of every dump was a third of the rebuild's parse time (issue 13).
  for (const k in o) if (typeof o[k] !== 'string') return onlyStrings(o)
  return o as Record<string, string>
}

function onlyStrings(obj: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(obj)) if (typeof v === 'string') setHeader(out, k, v)
  return out
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

/** Called once per channel whose koplus_* variables were invalid, with what was wrong and what was kept. */
type RestoreWarning = (uuid: string, problems: string[]) => void

/**
 * The caller's place from its channel variables, validated (issue 9: garbage variables on rebuild):
 * - koplus_joined_at (epoch ms) is clamped to [channel creation, now]; not a number → the creation time;
 * - koplus_seq must be a positive number; when it is bad, `seq` is left undefined and the order is taken from the
 *   channel's creation time among the others (see classifyChannels);
 * - a call without either (parked before the daemon set them) is a new arrival: its creation time and seq 0.
 * `created` is Caller-Channel-Created-Time in ms (undefined when absent or not plausible).
 */
function place(
  d: Record<string, string>,
  created: number | undefined,
  now: number,
  problems: string[],
): { joinedAt: number; seq: number | undefined } {
  const rawJoined = d.variable_koplus_joined_at
  const rawSeq = d.variable_koplus_seq
  const floor = created ?? -Infinity
  if ((rawJoined === undefined || rawJoined === '') && (rawSeq === undefined || rawSeq === ''))
    return { joinedAt: created ?? now, seq: 0 }
  let joinedAt: number
  const j = num(rawJoined)
  if (j === undefined) {
    joinedAt = created ?? now
    problems.push(
      `koplus_joined_at ${JSON.stringify(rawJoined ?? '')} is not a time: using the channel's creation time`,
    )
  } else if (j > now) {
    joinedAt = Math.max(floor, now)
    problems.push(`koplus_joined_at ${rawJoined} is in the future: using now`)
  } else if (j < floor) {
    joinedAt = floor
    problems.push(`koplus_joined_at ${rawJoined} is before the channel was created: using its creation time`)
  } else joinedAt = Math.floor(j)
  const q = num(rawSeq)
  if (q === undefined || q <= 0) {
    problems.push(
      `koplus_seq ${JSON.stringify(rawSeq ?? '')} is not a positive number: ordering by the channel's creation time`,
    )
    return { joinedAt, seq: undefined }
  }
  return { joinedAt, seq: q }
}

/**
 * Classifies dumped channels into koplus queue calls and agent legs.
 * - A queue call: variable_koplus_queue set and not koplus_role=agent. Its place: koplus_joined_at / koplus_seq
 *   (set by the daemon when the caller joined, validated: see `place`); a call parked before the daemon set them
 *   gets its channel creation time (Caller-Channel-Created-Time, µs) and seq 0. Its queue: koplus_queue_id (stable)
 *   before the number koplus_queue. koplus_connected / koplus_connected_agent: it was connected to an agent.
 * - An agent leg: koplus_role=agent with koplus_call; only our own origination legs (Unique-ID = koplus leg id),
 *   not the loopback "-b" halves which inherit the variables, are recognised: those carry koplus_offer too but their
 *   `Channel-Name` ends in `-b` on loopback. We keep the leg whose uuid the daemon chose: origination_uuid.
 * - privateCalls: answered channels that are not koplus's, of a SIP user's phone (variable_sip_auth_username: the
 *   user dialled out; variable_dialed_user: the user was called), so the device counts as in use after a restart.
 * - bridgedTo: an answered agent leg whose bridge partner (variable_bridge_uuid / Other-Leg-Unique-ID /
 *   variable_signal_bond) is the caller, while the caller is not back in CS_PARK (park_after_bridge).
 * `warn` is called once per channel whose variables were invalid.
 */
export function classifyChannels(dumps: Record<string, string>[], now: number, warn?: RestoreWarning): LiveChannels {
  const calls = new Map<string, LiveCall>()
  const legs = new Map<string, LiveLeg>()
  const privateCalls = new Map<string, string>()
  const byId = new Map<string, Record<string, string>>()
  /** Calls whose seq was bad, and every queue call's creation time (ms), to derive an order. */
  const badSeq: LiveCall[] = []
  const createdOf = new Map<string, number>()
  for (const d of dumps) if (d['Unique-ID']) byId.set(d['Unique-ID'], d)
  for (const d of dumps) {
    const uuid = d['Unique-ID']
    if (!uuid || d['Answer-State'] === 'hangup') continue
    if (d.variable_koplus_role === 'agent') {
      const callId = d.variable_koplus_call
      const origination = d.variable_origination_uuid
      if (!callId || (origination && origination !== uuid)) continue
      legs.set(uuid, {
        legId: uuid,
        callId,
        agentId: d.variable_koplus_agent ?? '',
        offerId: d.variable_koplus_offer ?? '',
        answered: d['Answer-State'] === 'answered',
        ...(d.variable_koplus_queue_id ? { queueId: d.variable_koplus_queue_id } : {}),
      })
      continue
    }
    const queue = d.variable_koplus_queue
    if (!queue) {
      // A phone on a call that is not ours (see Inbound#privateCallAnswered, inbound.ts): its device is in use.
      const target = d.variable_sip_auth_username || d.variable_dialed_user
      if (target && d['Answer-State'] === 'answered' && !d.variable_koplus_feature) privateCalls.set(uuid, target)
      continue
    }
    const problems: string[] = []
    const createdUs = num(d['Caller-Channel-Created-Time'])
    // µs since the epoch; a creation time after now is not plausible (and would clamp the join time into the future).
    const created =
      createdUs !== undefined && createdUs > 0 && createdUs / 1000 <= now ? Math.floor(createdUs / 1000) : undefined
    const { joinedAt, seq } = place(d, created, now, problems)
    const restored: RestoredCall = {
      joinedAt,
      seq: seq ?? 0,
      answered: d['Answer-State'] === 'answered',
    }
    if (d.variable_koplus_announce) restored.announce = d.variable_koplus_announce
    const queueId = d.variable_koplus_queue_id
    if (queueId) restored.queueId = queueId
    // Bridged with the leg koplus named before the bridge (koplus_bridge_leg): FreeSWITCH sets last_bridge_to and
    // bridge_uuid on the caller (capture inbound-queue-call-pab: the park after the bridge carries both), so this
    // holds even when the daemon died before it could set koplus_connected.
    const leg = d.variable_koplus_bridge_leg
    const bridgedWithLeg = !!leg && (d.variable_last_bridge_to === leg || d.variable_bridge_uuid === leg)
    if (d.variable_koplus_connected || d.variable_koplus_connected_agent) {
      const at = num(d.variable_koplus_connected)
      const ok = at !== undefined && at >= joinedAt && at <= now
      if (!ok)
        problems.push(
          `koplus_connected ${JSON.stringify(d.variable_koplus_connected ?? '')} is not a time after the join: using the join time`,
        )
      restored.connected = { at: ok ? Math.floor(at) : joinedAt, agentId: d.variable_koplus_connected_agent ?? '' }
    } else if (bridgedWithLeg) {
      const bridgedUs = num(d['Caller-Channel-Bridged-Time'])
      const at = bridgedUs !== undefined && bridgedUs > 0 ? Math.floor(bridgedUs / 1000) : joinedAt
      restored.connected = { at: Math.min(now, Math.max(joinedAt, at)), agentId: d.variable_koplus_bridge_agent ?? '' }
    }
    const call: LiveCall = {
      callId: uuid,
      queueNumber: queue,
      tenantDomain: d.variable_koplus_tenant || d.variable_domain_name || 'default',
      callerNumber: d['Caller-Caller-ID-Number'] ?? '',
      callerName: d['Caller-Caller-ID-Name'] ?? '',
      restored,
    }
    calls.set(uuid, call)
    createdOf.set(uuid, created ?? joinedAt)
    if (seq === undefined) badSeq.push(call)
    if (problems.length) {
      restored.repaired = true
      warn?.(uuid, problems)
    }
  }
  deriveSeqs(calls, badSeq, createdOf)
  pairBridgedLegs(legs, byId)
  for (const leg of legs.values()) {
    const call = calls.get(leg.callId)
    const ld = byId.get(leg.legId)
    const cd = byId.get(leg.callId)
    if (!call || !ld || !cd || !leg.answered) continue
    const partner = (d: Record<string, string>) => [
      d.variable_bridge_uuid,
      d['Other-Leg-Unique-ID'],
      d.variable_signal_bond,
    ]
    const linked = partner(ld).includes(leg.callId) || partner(cd).includes(leg.legId)
    if (linked && cd['Channel-State'] !== 'CS_PARK')
      call.restored.bridgedTo = { legId: leg.legId, agentId: leg.agentId }
  }
  return { calls, legs, privateCalls }
}

/**
 * Two answered koplus legs bridged with each other (a callback: the agent's leg and the person's, joined by
 * uuid_bridge): each gets `bridgedWith` the other, when both name each other as bridge partner (bridge_uuid,
 * Other-Leg-Unique-ID or signal_bond: switch_ivr_bridge.c `switch_ivr_uuid_bridge` sets bridge_uuid and
 * signal_bond on both channels; the bridge's end clears bridge_uuid).
 */
function pairBridgedLegs(legs: Map<string, LiveLeg>, byId: Map<string, Record<string, string>>): void {
  const partners = (d: Record<string, string> | undefined) =>
    d ? [d.variable_bridge_uuid, d['Other-Leg-Unique-ID'], d.variable_signal_bond].filter((x) => !!x) : []
  for (const leg of legs.values()) {
    if (!leg.answered) continue
    const d = byId.get(leg.legId)
    for (const other of partners(d)) {
      const o = legs.get(other)
      if (!o || !o.answered || !partners(byId.get(other)).includes(leg.legId)) continue
      leg.bridgedWith = other
      const us = num(d?.['Caller-Channel-Bridged-Time'])
      if (us !== undefined && us > 0) leg.bridgedAt = Math.floor(us / 1000)
      break
    }
  }
}

/**
 * A caller whose koplus_seq was bad takes its place by channel creation time: just after the last caller with a
 * good seq created before it (ties in creation order), so it is neither sent to the back nor made new.
 */
function deriveSeqs(calls: Map<string, LiveCall>, bad: LiveCall[], createdOf: Map<string, number>): void {
  if (bad.length === 0) return
  const good = [...calls.values()].filter((c) => c.restored.seq > 0 && !bad.includes(c))
  const created = (c: LiveCall) => createdOf.get(c.callId) ?? c.restored.joinedAt
  const sorted = [...bad].sort((a, b) => created(a) - created(b) || (a.callId < b.callId ? -1 : 1))
  const used = new Map<number, number>()
  for (const c of sorted) {
    let base = 0
    for (const g of good) if (created(g) <= created(c)) base = Math.max(base, g.restored.seq)
    const k = (used.get(base) ?? 0) + 1
    used.set(base, k)
    // Fractions stay between `base` and the next whole seq the daemon ever handed out.
    c.restored.seq = base + k / 1000
  }
}

/**
 * Reads every live channel from FreeSWITCH and classifies it (see classifyChannels). The `uuid_dump`s are pipelined
 * (pipelined.ts): FreeSWITCH has no command that lists channel variables in bulk — `show channels` / `show calls`
 * read the core database's channels table, whose columns are fixed (uuid, name, state, cid_…, dest, callstate,
 * presence_data, accountcode …; switch_core_sqldb.c) and hold no koplus_* variable — so one uuid_dump per channel
 * stays, without a round trip each. A channel gone between the list and its dump (-ERR) is skipped.
 */
export async function readLiveChannels(
  port: Pick<EslPort, 'api'>,
  now: number,
  warn?: RestoreWarning,
  window = PIPELINE_WINDOW,
  timings?: ReadTimings,
): Promise<LiveChannels> {
  const t0 = performance.now()
  const uuids = parseShowChannels(await port.api('show channels as json'))
  const bodies = await pipelined(uuids, (uuid) => port.api(`uuid_dump ${uuid} json`), window)
  const t1 = performance.now()
  const dumps: Record<string, string>[] = []
  for (const body of bodies) {
    const d = parseUuidDump(body)
    if (d) dumps.push(d)
  }
  const live = classifyChannels(dumps, now, warn)
  if (timings) {
    timings.fetchMs = t1 - t0
    timings.parseMs = performance.now() - t1
    timings.channels = uuids.length
  }
  return live
}

/** The reading without the channels that have ended since it was taken (FreeSwitchAdapter.watchHangups). */
export function withoutEnded(live: LiveChannels, ended: ReadonlySet<string>): LiveChannels {
  if (ended.size === 0) return live
  const keep = <V>(m: Map<string, V>): Map<string, V> => new Map([...m].filter(([uuid]) => !ended.has(uuid)))
  return {
    calls: keep(live.calls),
    legs: keep(live.legs),
    ...(live.privateCalls ? { privateCalls: keep(live.privateCalls) } : {}),
  }
}

/** Where the time of readLiveChannels went (wall-clock ms), for the rebuild's figures (bench/recovery). */
export interface ReadTimings {
  /** `show channels` and every `uuid_dump` over the Event Socket (framing included). */
  fetchMs: number
  /** The dumps' JSON parsed and classified. */
  parseMs: number
  /** Channels listed by `show channels`. */
  channels: number
}

/**
 * Parses `show registrations as json` into (user, realm) pairs (inbound-introspection), with the registration's
 * `token` — the REGISTER's Call-ID, the `call-id` of its sofia::register / unregister / expire events — when given.
 */
export function parseRegistrations(body: string): { sipUser: string; domain: string; token?: string }[] {
  const text = body.trim()
  if (!text || text.startsWith('-ERR')) return []
  try {
    const obj = JSON.parse(text) as { rows?: { reg_user?: string; realm?: string; token?: string }[] }
    return (obj.rows ?? [])
      .filter((r) => r.reg_user)
      .map((r) => ({ sipUser: r.reg_user!, domain: r.realm ?? '', ...(r.token ? { token: r.token } : {}) }))
  } catch {
    return []
  }
}
