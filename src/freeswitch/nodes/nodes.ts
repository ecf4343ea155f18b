/**
 * Several FreeSWITCH nodes under one koplus (issue 12, part 3). One FreeSwitchAdapter per node, each with its own
 * ESL connection (its EslPort) and its own table of live channels, so:
 * - every call is handled on the node it arrived on: a call/leg command goes to the adapter that follows that
 *   channel; an `originate` goes to the caller's node (agents' legs are originated from there, and bridged there);
 * - an agent whose phone is registered only on another node is dialled through the inter-node dial string
 *   (inter-node-dial.ts) from the caller's node;
 * - registrations and busy phones are kept per node and the core hears their union (node-registrations.ts);
 * - a node whose connection stays down past `lostAfterMs` is taken as lost: only its own calls and legs are
 *   reported ended, and the phones registered only there become unreachable; the other nodes go on. When it comes
 *   back, the daemon's rebuild on the new connection restores whatever still lives there (reconcile.ts).
 *
 * With one node (the single-node configuration keys) this behaves exactly as one FreeSwitchAdapter.
 */
import pino, { type Logger } from 'pino'
import type { Command } from '../../core/commands.js'
import type { CoreEvent } from '../../core/events.js'
import type { Clock, TimerHandle } from '../../util/clock.js'
import { FreeSwitchAdapter, type AdapterOptions } from '../adapter/adapter.js'
import type { EslPort } from '../adapter/port.js'
import { DEFAULT_INTER_NODE_DIAL_STRING, interNodeDial, parseUserDial } from './inter-node-dial.js'
import { NodeRegistrations } from './node-registrations.js'

/** The hang-up cause reported for the calls of a lost node (Q.850 41: the network is not working for now). */
export const NODE_LOST_CAUSE = 'NORMAL_TEMPORARY_FAILURE'

/** One FreeSWITCH node as the router needs it. */
export interface NodeSpec {
  id: string
  /** Where other nodes send SIP for phones registered here (`${nodeAddress}` of the inter-node dial string). */
  sipAddress: string
  port: EslPort
}

export interface NodesOptions extends Omit<AdapterOptions, 'logger'> {
  logger?: Logger
  /** Dial string for a phone registered on another node than the caller's (see inter-node-dial.ts). */
  interNodeDialString?: string
  /** A node whose connection is down this long is taken as lost (default 30 000 ms). */
  lostAfterMs?: number
  /** For the lost-node timers. */
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>
}

interface NodeEntry {
  id: string
  sipAddress: string
  adapter: FreeSwitchAdapter
  lostTimer?: TimerHandle
  lost: boolean
}

export class FreeSwitchNodes {
  readonly #nodes: NodeEntry[] = []
  readonly #byId = new Map<string, NodeEntry>()
  readonly #registrations: NodeRegistrations
  readonly #log: Logger
  readonly #template: string
  readonly #lostAfterMs: number
  readonly #clock: NodesOptions['clock']
  /** Agent legs dialled through another node: leg id → that node and the phone (SIP user). */
  readonly #interNodeLegs = new Map<string, { node: string; target: string }>()

  constructor(nodes: readonly NodeSpec[], emit: (event: CoreEvent) => void, opts: NodesOptions) {
    if (nodes.length === 0) throw new Error('FreeSwitchNodes: at least one node')
    this.#log = opts.logger ?? pino({ level: 'silent' })
    this.#template = opts.interNodeDialString ?? DEFAULT_INTER_NODE_DIAL_STRING
    this.#lostAfterMs = opts.lostAfterMs ?? 30_000
    this.#clock = opts.clock
    this.#registrations = new NodeRegistrations(emit)
    for (const n of nodes) {
      if (this.#byId.has(n.id)) throw new Error(`FreeSwitchNodes: node id '${n.id}' given twice`)
      const log = nodes.length > 1 ? this.#log.child({ node: n.id }) : this.#log
      const fromNode = (e: CoreEvent): void => {
        if (e.type === 'registration') this.#registrations.registration(n.id, e)
        else if (e.type === 'device-busy') this.#registrations.deviceBusy(n.id, e)
        else {
          if (e.type === 'leg-failed' || e.type === 'leg-hungup') this.#interNodeLegEnded(e.legId)
          emit(e)
        }
      }
      const entry: NodeEntry = {
        id: n.id,
        sipAddress: n.sipAddress,
        adapter: new FreeSwitchAdapter(n.port, fromNode, { ...opts, logger: log }),
        lost: false,
      }
      this.#nodes.push(entry)
      this.#byId.set(n.id, entry)
    }
  }

  /** Node ids in configuration order. */
  ids(): string[] {
    return this.#nodes.map((n) => n.id)
  }

  /** The adapter of one node (the daemon feeds it that node's ESL events and runs its rebuilds through it). */
  adapter(id: string): FreeSwitchAdapter {
    const n = this.#byId.get(id)
    if (!n) throw new Error(`unknown FreeSWITCH node '${id}'`)
    return n.adapter
  }

  /** The node that handles a call or leg, if any follows it. */
  nodeOf(uuid: string): string | undefined {
    return this.#nodes.find((n) => n.adapter.owns(uuid))?.id
  }

  /** Queue calls followed on every node. */
  knownCalls(): string[] {
    return this.#nodes.flatMap((n) => n.adapter.knownCalls())
  }

  /** Agent legs followed on every node. */
  knownLegs(): string[] {
    return this.#nodes.flatMap((n) => n.adapter.knownLegs())
  }

  /** Queue calls per node, and SIP users registered per node (metrics, doctor, status). */
  perNode(): { id: string; calls: number; legs: number; registrations: number; lost: boolean }[] {
    return this.#nodes.map((n) => ({
      id: n.id,
      calls: n.adapter.knownCalls().length,
      legs: n.adapter.knownLegs().length,
      registrations: this.#registrations.countOn(n.id),
      lost: n.lost,
    }))
  }

  /**
   * Carries out one call/leg command on the node of its call or leg (see FreeSwitchAdapter.execute; never rejects).
   * An originate goes to the caller's node, with phones registered elsewhere dialled through the inter-node string.
   */
  execute(cmd: Command): Promise<void> {
    const id = 'callId' in cmd ? cmd.callId : 'legId' in cmd ? cmd.legId : undefined
    const node =
      (id !== undefined ? this.#nodes.find((n) => n.adapter.owns(id)) : undefined) ??
      (this.#nodes.length === 1 ? this.#nodes[0] : undefined)
    if (!node) {
      // With several nodes a command for a channel no node follows has nowhere to go: its call ended (or its node
      // was lost) after the core decided. The core hears of the end from the node's events.
      this.#log.debug({ command: cmd.type, callId: id }, 'no FreeSWITCH node follows this channel; command dropped')
      return Promise.resolve()
    }
    if (cmd.type === 'originate' && this.#nodes.length > 1) return node.adapter.execute(this.#routeLegs(cmd, node))
    return node.adapter.execute(cmd)
  }

  /** An originate on `node` with each phone registered only on another node dialled through that node. */
  #routeLegs(cmd: Extract<Command, { type: 'originate' }>, node: NodeEntry): Command {
    const legs = cmd.legs.map((l) => {
      const user = parseUserDial(l.dialString)
      if (!user) return l // a mobile / gateway: dialled out from the caller's node as it is
      const where = this.#registrations.whereRegistered(user.target, user.domain)
      if (where.length === 0 || where.includes(node.id)) return l
      const other = this.#byId.get(where[0])!
      const dialString = interNodeDial(this.#template, {
        target: user.target,
        domain: user.domain || 'default',
        nodeAddress: other.sipAddress,
        node: other.id,
      })
      this.#interNodeLegs.set(l.legId, { node: other.id, target: user.target })
      this.#registrations.interNodeLeg(other.id, user.target, true)
      this.#log.debug(
        {
          callId: cmd.callId,
          legId: l.legId,
          agentId: l.agentId,
          node: node.id,
          phoneNode: other.id,
          dial: dialString,
        },
        'agent phone on another node: dialled through it',
      )
      return { ...l, dialString }
    })
    return { ...cmd, legs }
  }

  #interNodeLegEnded(legId: string): void {
    const l = this.#interNodeLegs.get(legId)
    if (!l) return
    this.#interNodeLegs.delete(legId)
    this.#registrations.interNodeLeg(l.node, l.target, false)
  }

  /** The node's connection is down: if it stays down for lostAfterMs, the node is taken as lost. */
  nodeDown(id: string): void {
    const n = this.#byId.get(id)
    if (!n || n.lost || n.lostTimer) return
    n.lostTimer = this.#clock.setTimeout(() => {
      n.lostTimer = undefined
      this.#lose(n)
    }, this.#lostAfterMs)
  }

  /** The node's connection is up again (its rebuild follows). */
  nodeUp(id: string): void {
    const n = this.#byId.get(id)
    if (!n) return
    this.#clock.clearTimeout(n.lostTimer)
    n.lostTimer = undefined
    if (n.lost) this.#log.info({ node: id }, 'a lost FreeSWITCH node is back; rebuilding what lives there')
    n.lost = false
  }

  /** Stops the lost-node timers. */
  stop(): void {
    for (const n of this.#nodes) {
      this.#clock.clearTimeout(n.lostTimer)
      n.lostTimer = undefined
    }
  }

  #lose(n: NodeEntry): void {
    n.lost = true
    const calls = n.adapter.knownCalls().length
    const legs = n.adapter.knownLegs().length
    this.#log.error(
      { node: n.id, calls, legs, downForMs: this.#lostAfterMs },
      `FreeSWITCH node '${n.id}' is lost: its ${calls} calls are ended; the other nodes go on`,
    )
    n.adapter.dropAll(NODE_LOST_CAUSE)
  }
}
