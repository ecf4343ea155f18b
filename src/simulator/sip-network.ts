/**
 * Several simulated FreeSWITCH nodes on one simulated SIP network (issue 12 part 3). Each simulator that joins a
 * SipNetwork under its SIP address can dial a phone registered on another: a leg `sofia/<profile>/<user>@<address>`
 * from node A sends an INVITE to node B, whose dialplan bridges it to its local `user/<user>`, as a FreeSWITCH
 * behind (or beside) a SIP proxy does. What each node shows on its own Event Socket:
 * - node A: its outbound SIP leg (created, ringing, answered, hung up) — the agent leg koplus originated;
 * - node B: an inbound SIP channel from A and the outbound leg to the phone (`dialed_user` set, as `user/` does),
 *   ringing and answering with the phone; either end hanging up hangs up the others.
 * A phone not registered on B: B's `user/` bridge fails with USER_NOT_REGISTERED, which B answers with SIP 480
 * (mod_sofia.c hangup_cause_to_sip: USER_NOT_REGISTERED is not among its cases, so the `default: return 480`), and
 * A's leg ends with NO_USER_RESPONSE (sofia_glue.c sofia_glue_sip_cause_to_freeswitch: 480 → NO_USER_RESPONSE); a
 * user B does not know: B's NO_ROUTE_DESTINATION/UNALLOCATED_NUMBER → SIP 404 → UNALLOCATED_NUMBER on A (1.10; older
 * releases mapped 404 to NO_ROUTE_DESTINATION). Read in the FreeSWITCH source, not yet seen on a real pair of nodes.
 */
import { randomUUID } from 'node:crypto'
import type { Channel } from './channel.js'
import type { FreeSwitchSimulator } from './simulator.js'

/** The channels of one inter-node call, on both nodes. */
export interface InterNodeLink {
  legs: { sim: FreeSwitchSimulator; ch: Channel }[]
}

/** Simulators reachable by SIP address (host, or host:port; port 5060 is the default). */
export class SipNetwork {
  readonly #nodes = new Map<string, FreeSwitchSimulator>()

  /** A simulator answers SIP at `address`. */
  join(address: string, sim: FreeSwitchSimulator): void {
    this.#nodes.set(normal(address), sim)
  }

  /** The simulator at `address` stops answering (the node died). */
  leave(address: string): void {
    this.#nodes.delete(normal(address))
  }

  /** The simulator answering SIP at `address`, if any. */
  at(address: string): FreeSwitchSimulator | undefined {
    return this.#nodes.get(normal(address))
  }
}

const normal = (address: string): string =>
  (/:\d+$/.test(address) && !address.endsWith(']') ? address : `${address}:5060`).toLowerCase()

/**
 * If `dial` goes to another simulator on the network, rings the phone there and returns node A's leg (made by
 * `makeLeg`; a refused INVITE hangs it up with the SIP cause); undefined when `dial` is not for another node.
 */
export function dialOtherNode(
  from: FreeSwitchSimulator,
  network: SipNetwork | undefined,
  dial: string,
  makeLeg: () => Channel,
): Channel | undefined {
  const m = /^sofia\/[^/]+\/([^@]+)@([^;]+)/.exec(dial)
  if (!m || !network) return undefined
  const to = network.at(m[2])
  if (!to || to === from) return undefined
  const userName = m[1]
  const a = makeLeg()
  const user = to.directoryUser(userName)
  if (!user || !user.registered) {
    const cause = user ? 'NO_USER_RESPONSE' : 'UNALLOCATED_NUMBER'
    from.soon(a, 0, () => {
      a.setVar('sip_hangup_disposition', 'recv_refuse')
      from.hangup(a, cause)
    })
    return a
  }
  const inbound = to.createChannel({
    uuid: randomUUID(),
    name: `sofia/internal/${a.variables.get('origination_caller_id_number') ?? 'koplus'}@${from.sipDomain}`,
    direction: 'inbound',
    callerIdName: a.variables.get('origination_caller_id_name') ?? '',
    callerIdNumber: a.variables.get('origination_caller_id_number') ?? '',
    destination: userName,
    context: 'public',
    source: 'mod_sofia',
  })
  const phone = to.createChannel({
    uuid: randomUUID(),
    name: `sofia/internal/${user.user}-0x${user.callId.slice(0, 12)}@127.0.0.1:${user.contactPort}`,
    direction: 'outbound',
    callerIdName: inbound.profile.callerIdName,
    callerIdNumber: inbound.profile.callerIdNumber,
    destination: user.user,
    context: 'default',
    source: 'mod_sofia',
  })
  phone.setVar('dialed_user', user.user)
  phone.setVar('dialed_domain', to.sipDomain)
  const link: InterNodeLink = {
    legs: [
      { sim: from, ch: a },
      { sim: to, ch: inbound },
      { sim: to, ch: phone },
    ],
  }
  for (const l of link.legs) l.ch.interNode = link
  to.channelEvent(inbound, 'CHANNEL_CREATE')
  to.channelEvent(phone, 'CHANNEL_CREATE')
  to.ringPhone(phone, user.behaviour)
  return a
}

/** The phone of an inter-node call rings / answers: the channels before it on both nodes follow. */
export function interNodeProgress(ch: Channel, what: 'ring' | 'answer'): void {
  const link = ch.interNode
  if (!link || link.legs[2].ch !== ch) return
  for (const { sim, ch: other } of link.legs.slice(0, 2)) {
    if (what === 'ring') sim.ringReady(other)
    else sim.answer(other)
  }
}

/** A channel of an inter-node call hung up: the others hang up too (the SIP BYE / CANCEL crosses the nodes). */
export function interNodeHangup(ch: Channel, cause: string): void {
  const link = ch.interNode
  if (!link) return
  for (const { sim, ch: other } of link.legs)
    if (other !== ch && !other.hungUp)
      sim.hangup(other, cause === 'LOSE_RACE' || cause === 'ORIGINATOR_CANCEL' ? 'ORIGINATOR_CANCEL' : cause)
}
