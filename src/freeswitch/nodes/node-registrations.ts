/**
 * Registrations and busy phones per FreeSWITCH node, folded into the one view the core has. Each node's adapter
 * reports `registration` and `device-busy` for its own switch; a phone registered on two nodes (two contacts, or a
 * proxy that forked the REGISTER) stays registered while either holds it, and a phone on a call through two nodes
 * (an inter-node leg shows up on both) stays busy while either says so. The core hears only the changes of the
 * union; `whereRegistered` says which nodes hold a user, for the inter-node dial string.
 */
import type { CoreEvent } from '../../core/events.js'
import { addOne, deleteOne, hasOne, membersOf, type OneOrMany } from '../../util/one-or-many.js'

type Registration = Extract<CoreEvent, { type: 'registration' }>
type DeviceBusy = Extract<CoreEvent, { type: 'device-busy' }>

export class NodeRegistrations {
  readonly #emit: (event: CoreEvent) => void
  /**
   * user@domain (lower case) → node ids holding it. Almost always one node, one domain: the one-or-many sets
   * (src/util/one-or-many.ts) keep a string, not a Set, per phone (issue 13: memory per agent).
   */
  readonly #registered = new Map<string, OneOrMany>()
  /** user (lower case) → its keys (user@domain, the same strings as #registered's) held by any node. */
  readonly #byUser = new Map<string, OneOrMany>()
  /** device target → node ids on which it is busy. */
  readonly #busy = new Map<string, Set<string>>()
  /** node|target → our inter-node legs ringing that phone there now (its call there is ours, not private). */
  readonly #ours = new Map<string, number>()
  /** node|target whose busy report was one of our inter-node calls (its "free" report is ours too). */
  readonly #oursBusy = new Set<string>()

  constructor(emit: (event: CoreEvent) => void) {
    this.#emit = emit
  }

  /** A node's adapter reported a registration change. */
  registration(node: string, e: Registration): void {
    const key = `${e.sipUser}@${e.domain}`.toLowerCase()
    const user = e.sipUser.toLowerCase()
    const before = this.#registered.get(key)
    const nodes = e.registered ? addOne(before, node) : deleteOne(before, node)
    if (nodes === undefined) {
      this.#registered.delete(key)
      if (before !== undefined) this.#setByUser(user, deleteOne(this.#byUser.get(user), key))
    } else {
      this.#registered.set(key, nodes)
      // New here: `key` is now #registered's own key string, shared by #byUser.
      if (before === undefined) this.#setByUser(user, addOne(this.#byUser.get(user), key))
    }
    // A refresh is passed on (the core treats it as idempotent); an unregister only when no node holds it any more.
    if (e.registered || nodes === undefined)
      this.#emit({ type: 'registration', sipUser: e.sipUser, domain: e.domain, registered: e.registered })
  }

  #setByUser(user: string, keys: OneOrMany | undefined): void {
    if (keys === undefined) this.#byUser.delete(user)
    else this.#byUser.set(user, keys)
  }

  /** A node's adapter reported a phone busy / free on a call that is not ours. */
  deviceBusy(node: string, e: DeviceBusy): void {
    // The phone's node sees our inter-node call to it as a call that is not koplus's (a SIP call in, bridged to the
    // phone): that is the agent's offer, not a private call; the core must not take the phone for busy after it.
    const key = `${node}|${e.target}`
    if (e.busy && this.#ours.has(key)) {
      this.#oursBusy.add(key)
      return
    }
    if (!e.busy && this.#oursBusy.delete(key)) return
    const nodes = this.#busy.get(e.target) ?? new Set<string>()
    const before = nodes.size
    if (e.busy) nodes.add(node)
    else nodes.delete(node)
    if (nodes.size > 0) this.#busy.set(e.target, nodes)
    else this.#busy.delete(e.target)
    if ((before === 0) !== (nodes.size === 0))
      this.#emit({ type: 'device-busy', target: e.target, busy: nodes.size > 0 })
  }

  /** An inter-node leg to `target`'s phone on `node` starts / ends (FreeSwitchNodes). */
  interNodeLeg(node: string, target: string, up: boolean): void {
    const key = `${node}|${target}`
    const n = (this.#ours.get(key) ?? 0) + (up ? 1 : -1)
    if (n > 0) this.#ours.set(key, n)
    else this.#ours.delete(key)
  }

  /**
   * The nodes a SIP user is registered on: with `domain` '' or 'default' (the built-in tenant, whose dial string
   * has no domain) in any domain, else in that domain.
   */
  whereRegistered(sipUser: string, domain: string): string[] {
    if (!domain || domain.toLowerCase() === 'default') {
      const out = new Set<string>()
      for (const key of membersOf(this.#byUser.get(sipUser.toLowerCase())))
        for (const node of membersOf(this.#registered.get(key))) out.add(node)
      return [...out]
    }
    return membersOf(this.#registered.get(`${sipUser}@${domain}`.toLowerCase()))
  }

  /** How many SIP users a node holds registered (for metrics and doctor). */
  countOn(node: string): number {
    let n = 0
    for (const nodes of this.#registered.values()) if (hasOne(nodes, node)) n++
    return n
  }
}
