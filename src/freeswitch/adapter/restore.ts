/**
 * Rebuilding koplus's view of live calls from FreeSWITCH itself after a (re)connect: `show channels as json`, then
 * `uuid_dump <uuid> json` for each channel, reading the variables koplus and its dialplan set
 * (docs/channel-variables.md). Shown by captures inbound-reconnect-1/2: a connection closed without `exit` leaves
 * the calls untouched, and a new connection finds them this way.
 *
 * Note: `show channels` lags the events by up to a second (inbound-introspection: `{"row_count": 0}` right after a
 * call appeared); a call that parks during the rebuild still arrives through its CHANNEL_PARK event.
 */
import type { RestoredCall } from '../../core/events.js'
import type { LiveCall, LiveChannels, LiveLeg } from './adapter.js'
import type { EslPort } from './port.js'

/** Parses `show channels as json` ({"row_count":N,"rows":[{uuid,…}]}, or {"row_count":0}); returns the uuids. */
export function parseShowChannels(body: string): string[] {
  const text = body.trim()
  if (!text || text.startsWith('-ERR')) throw new Error(`show channels failed: ${text.slice(0, 200)}`)
  const obj = JSON.parse(text) as { rows?: { uuid?: string }[] }
  return (obj.rows ?? []).map((r) => r.uuid ?? '').filter((u) => u !== '')
}

/** Parses a `uuid_dump <uuid> json` body into its headers; undefined when the channel is gone (-ERR). */
export function parseUuidDump(body: string): Record<string, string> | undefined {
  const text = body.trim()
  if (!text || text.startsWith('-ERR')) return undefined
  try {
    const obj = JSON.parse(text) as Record<string, unknown>
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(obj)) if (typeof v === 'string') out[k] = v
    return out
  } catch {
    return undefined
  }
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

/**
 * Classifies dumped channels into koplus queue calls and agent legs.
 * - A queue call: variable_koplus_queue set and not koplus_role=agent. Its place: koplus_joined_at / koplus_seq
 *   (set by the daemon when the caller joined); a call parked before the daemon set them gets its channel
 *   creation time (Caller-Channel-Created-Time, µs) and seq 0.
 * - An agent leg: koplus_role=agent with koplus_call; only our own origination legs (Unique-ID = koplus leg id),
 *   not the loopback "-b" halves which inherit the variables, are recognised: those carry koplus_offer too but their
 *   `Channel-Name` ends in `-b` on loopback. We keep the leg whose uuid the daemon chose: origination_uuid.
 * - privateCalls: answered channels that are not koplus's, of a SIP user's phone (variable_sip_auth_username: the
 *   user dialled out; variable_dialed_user: the user was called), so the device counts as in use after a restart.
 * - bridgedTo: an answered agent leg whose bridge partner (variable_bridge_uuid / Other-Leg-Unique-ID /
 *   variable_signal_bond) is the caller, while the caller is not back in CS_PARK (park_after_bridge).
 */
export function classifyChannels(dumps: Record<string, string>[], now: number): LiveChannels {
  const calls = new Map<string, LiveCall>()
  const legs = new Map<string, LiveLeg>()
  const privateCalls = new Map<string, string>()
  const byId = new Map<string, Record<string, string>>()
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
      })
      continue
    }
    const queue = d.variable_koplus_queue
    if (!queue) {
      // A phone on a call that is not ours (see FreeSwitchAdapter#privateCallAnswered): its device is in use.
      const target = d.variable_sip_auth_username || d.variable_dialed_user
      if (target && d['Answer-State'] === 'answered' && !d.variable_koplus_feature) privateCalls.set(uuid, target)
      continue
    }
    const created = num(d['Caller-Channel-Created-Time'])
    const restored: RestoredCall = {
      joinedAt: num(d.variable_koplus_joined_at) ?? (created !== undefined ? Math.floor(created / 1000) : now),
      seq: num(d.variable_koplus_seq) ?? 0,
      answered: d['Answer-State'] === 'answered',
    }
    if (d.variable_koplus_announce) restored.announce = d.variable_koplus_announce
    calls.set(uuid, {
      callId: uuid,
      queueNumber: queue,
      tenantDomain: d.variable_koplus_tenant || d.variable_domain_name || 'default',
      callerNumber: d['Caller-Caller-ID-Number'] ?? '',
      callerName: d['Caller-Caller-ID-Name'] ?? '',
      restored,
    })
  }
  for (const leg of legs.values()) {
    const call = calls.get(leg.callId)
    const ld = byId.get(leg.legId)
    const cd = byId.get(leg.callId)
    if (!call || !ld || !cd || !leg.answered) continue
    const partner = (d: Record<string, string>) => [d.variable_bridge_uuid, d['Other-Leg-Unique-ID'], d.variable_signal_bond]
    const linked = partner(ld).includes(leg.callId) || partner(cd).includes(leg.legId)
    if (linked && cd['Channel-State'] !== 'CS_PARK') call.restored.bridgedTo = { legId: leg.legId, agentId: leg.agentId }
  }
  return { calls, legs, privateCalls }
}

/** Reads every live channel from FreeSWITCH and classifies it (see classifyChannels). */
export async function readLiveChannels(port: Pick<EslPort, 'api'>, now: number): Promise<LiveChannels> {
  const uuids = parseShowChannels(await port.api('show channels as json'))
  const dumps: Record<string, string>[] = []
  for (const uuid of uuids) {
    const d = parseUuidDump(await port.api(`uuid_dump ${uuid} json`))
    if (d) dumps.push(d)
  }
  return classifyChannels(dumps, now)
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
    return (obj.rows ?? []).filter((r) => r.reg_user).map((r) => ({ sipUser: r.reg_user!, domain: r.realm ?? '', ...(r.token ? { token: r.token } : {}) }))
  } catch {
    return []
  }
}
