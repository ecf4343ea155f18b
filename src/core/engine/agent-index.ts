/**
 * The agents by queue, kept up to date as agents change (issue 13: with 2,000 agents logged in, every event
 * recounted every agent several times: the staffing of each queue, the free-agent scan of matching, the wait
 * estimate). An agent's runtime record (`TrackedAgent`) tells the index before and after each change of what the
 * index depends on — its queues, `paused`, `busy` — so the index never needs a full pass:
 * - per queue, the counts by state (logged in, serving, busy, ringing, on call, wrap-up, paused);
 * - per queue and overall, the *idle* agents: logged in, not paused, not ringing/talking/wrapping up. The rest of
 *   "free for an offer" (device registered and not busy, not in the pause after a refused leg) depends on other
 *   tables and on the clock, so matching checks it on these few (isFree, agent-availability.ts).
 *
 * `recountAgents` computes the same from scratch; test/core/agent-index.test.ts compares both after every event.
 */
import type { Agent } from '../model.js'
import type { AgentRt, Busy } from './engine-state.js'

/** One queue's agents by state. `serving`: logged in and not paused; `busy`: of those, not idle. */
export interface QueueAgentCounts {
  loggedIn: number
  serving: number
  busy: number
  ringing: number
  onCall: number
  wrapUp: number
  /** Paused and not on a call (a paused agent still on a call counts as on call). */
  paused: number
}

function zeroCounts(): QueueAgentCounts {
  return { loggedIn: 0, serving: 0, busy: 0, ringing: 0, onCall: 0, wrapUp: 0, paused: 0 }
}

const NO_AGENTS: Readonly<QueueAgentCounts> = Object.freeze(zeroCounts())
const NONE: ReadonlySet<AgentRt> = new Set()

/** Adds (d = 1) or takes away (d = -1) one agent's share of a queue's counts. */
function tally(c: QueueAgentCounts, paused: boolean, busy: Busy, d: number): void {
  c.loggedIn += d
  if (!paused) {
    c.serving += d
    if (busy !== 'none') c.busy += d
  }
  if (busy === 'ringing') c.ringing += d
  else if (busy === 'on-call') c.onCall += d
  else if (busy === 'wrap-up') c.wrapUp += d
  else if (paused) c.paused += d
}

export class AgentIndex {
  readonly #counts = new Map<string, QueueAgentCounts>()
  readonly #idleIn = new Map<string, Set<AgentRt>>()
  /** Every idle agent (logged in to a queue, not paused, busy 'none'). */
  readonly idle = new Set<AgentRt>()

  /** The counts of one queue (all zero for a queue nobody is logged in to). */
  counts(queueId: string): Readonly<QueueAgentCounts> {
    return this.#counts.get(queueId) ?? NO_AGENTS
  }

  /** The idle agents logged in to a queue. */
  idleIn(queueId: string): ReadonlySet<AgentRt> {
    return this.#idleIn.get(queueId) ?? NONE
  }

  /** Every queue the index has counted anyone in (for checks). */
  queueIds(): string[] {
    return [...this.#counts.keys()]
  }

  /** Takes the agent's current state out of the index (before a change). */
  leave(a: AgentRt): void {
    this.#move(a, -1)
  }

  /** Puts the agent's current state into the index (after a change). */
  enter(a: AgentRt): void {
    this.#move(a, 1)
  }

  #move(a: AgentRt, d: number): void {
    if (a.queues.size === 0) return
    const idle = !a.paused && a.busy === 'none'
    for (const q of a.queues) {
      let c = this.#counts.get(q)
      if (!c) this.#counts.set(q, (c = zeroCounts()))
      tally(c, a.paused, a.busy, d)
      if (!idle) continue
      let set = this.#idleIn.get(q)
      if (!set) this.#idleIn.set(q, (set = new Set()))
      if (d > 0) set.add(a)
      else set.delete(a)
    }
    if (!idle) return
    if (d > 0) this.idle.add(a)
    else this.idle.delete(a)
  }
}

/** The queues an agent is logged in to: every add / delete / clear keeps the index up to date. */
class TrackedQueues extends Set<string> {
  #owner: TrackedAgent | undefined

  constructor(owner: TrackedAgent) {
    super()
    this.#owner = owner
  }

  override add(q: string): this {
    const o = this.#owner
    if (!o || this.has(q)) return super.add(q)
    o.index.leave(o)
    super.add(q)
    o.index.enter(o)
    return this
  }

  override delete(q: string): boolean {
    const o = this.#owner
    if (!o || !this.has(q)) return super.delete(q)
    o.index.leave(o)
    super.delete(q)
    o.index.enter(o)
    return true
  }

  override clear(): void {
    const o = this.#owner
    if (!o || this.size === 0) return super.clear()
    o.index.leave(o)
    super.clear()
    o.index.enter(o)
  }
}

/** An agent's runtime record whose queues, `paused` and `busy` keep the AgentIndex up to date when they change. */
export class TrackedAgent implements AgentRt {
  agent: Agent
  readonly queues: Set<string>
  pauseReason?: string
  idleSince: number
  unanswered = 0
  autoLogoutReason?: string
  legId?: string
  callId?: string
  wrapUpEndsAt?: number
  regKey?: string | null
  handling?: { queueId: string; talkMs: number; wrapFrom: number }
  retryAt?: number
  #paused = false
  #busy: Busy = 'none'

  constructor(
    readonly index: AgentIndex,
    agent: Agent,
    idleSince: number,
  ) {
    this.agent = agent
    this.idleSince = idleSince
    this.queues = new TrackedQueues(this)
  }

  get paused(): boolean {
    return this.#paused
  }

  set paused(v: boolean) {
    if (v === this.#paused) return
    this.index.leave(this)
    this.#paused = v
    this.index.enter(this)
  }

  get busy(): Busy {
    return this.#busy
  }

  set busy(v: Busy) {
    if (v === this.#busy) return
    this.index.leave(this)
    this.#busy = v
    this.index.enter(this)
  }
}

/** The same counts and idle sets computed from scratch over every agent (for tests and checks). */
export function recountAgents(agents: Iterable<AgentRt>): {
  counts: Map<string, QueueAgentCounts>
  idleIn: Map<string, Set<AgentRt>>
  idle: Set<AgentRt>
} {
  const counts = new Map<string, QueueAgentCounts>()
  const idleIn = new Map<string, Set<AgentRt>>()
  const idle = new Set<AgentRt>()
  for (const a of agents) {
    const isIdle = a.queues.size > 0 && !a.paused && a.busy === 'none'
    if (isIdle) idle.add(a)
    for (const q of a.queues) {
      let c = counts.get(q)
      if (!c) counts.set(q, (c = zeroCounts()))
      tally(c, a.paused, a.busy, 1)
      if (!isIdle) continue
      let set = idleIn.get(q)
      if (!set) idleIn.set(q, (set = new Set()))
      set.add(a)
    }
  }
  return { counts, idleIn, idle }
}

/** Where the index disagrees with a recount over `agents`, in words; empty when they agree. */
export function indexDisagreements(index: AgentIndex, agents: Iterable<AgentRt>): string[] {
  const full = recountAgents(agents)
  const out: string[] = []
  const ids = (s: ReadonlySet<AgentRt>): string =>
    [...s]
      .map((a) => a.agent.id)
      .sort()
      .join(',')
  const queues = new Set([...full.counts.keys(), ...index.queueIds()])
  for (const q of queues) {
    const want = full.counts.get(q) ?? zeroCounts()
    const got = index.counts(q)
    for (const k of Object.keys(want) as (keyof QueueAgentCounts)[])
      if (want[k] !== got[k]) out.push(`queue ${q}: ${k} ${got[k]}, recount ${want[k]}`)
    const wantIdle = ids(full.idleIn.get(q) ?? NONE)
    const gotIdle = ids(index.idleIn(q))
    if (wantIdle !== gotIdle) out.push(`queue ${q}: idle [${gotIdle}], recount [${wantIdle}]`)
  }
  if (ids(full.idle) !== ids(index.idle)) out.push(`idle [${ids(index.idle)}], recount [${ids(full.idle)}]`)
  return out
}
