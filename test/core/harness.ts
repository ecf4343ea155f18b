/**
 * Test harness for the pure core: a virtual clock that turns `set-timer` commands into `timer` events, a small
 * configuration builder, and an invariant checker that watches every command the engine emits.
 * (Imported by the test files; it has no tests of its own.)
 */
import { CallCenter, type CallCenterDeps } from '../../src/core/engine/call-center.js'
import type { Command } from '../../src/core/commands.js'
import type { CoreConfig, CoreEvent } from '../../src/core/events.js'
import type { Agent, Device, Queue, QueueSettings } from '../../src/core/model.js'
import { DEFAULT_QUEUE_SETTINGS } from '../../src/core/model.js'
import type { CenterStatus } from '../../src/core/engine/status.js'

export const DOMAIN = 'example.com'
export const T0 = Date.UTC(2026, 10, 25, 9, 0, 0)

/** Quiet queue settings for tests: no announcements unless a test turns them on. */
export function settings(over: Partial<QueueSettings> = {}): QueueSettings {
  return {
    ...DEFAULT_QUEUE_SETTINGS,
    welcomePrompt: '',
    firstMessagePrompt: '',
    periodicPrompt: '',
    announcePosition: false,
    announceWait: false,
    wrapUpSec: 0,
    autoLogoutAfter: 0,
    ...over,
  }
}

export function queue(id: string, number: string, over: Partial<QueueSettings> = {}): Queue {
  return { id, tenantId: 't1', number, name: `Queue ${id}`, tags: [], settings: settings(over) }
}

export function agent(id: string, over: Partial<Agent> = {}, devices?: Device[]): Agent {
  return {
    id,
    tenantId: 't1',
    extension: id.replace(/\D/g, '') || '100',
    name: `Agent ${id}`,
    plan: 'pro',
    sipUser: id,
    devices: devices ?? [{ type: 'softphone', target: id }],
    activeDevice: 0,
    wrapUpSec: null,
    skills: {},
    ...over,
  }
}

/** A config where every agent is a member of every queue (unless `memberships` is given). */
export function config(queues: Queue[], agents: Agent[], over: Partial<CoreConfig> = {}): CoreConfig {
  return {
    tenants: [{ id: 't1', name: 'Tenant', domain: DOMAIN }],
    queues,
    agents,
    memberships: queues.flatMap((q) => agents.map((a) => ({ agentId: a.id, queueId: q.id }))),
    sessions: [],
    dialTemplates: {
      softphone: 'user/${target}@${domain}',
      deskphone: 'user/${target}@${domain}',
      mobile: 'sofia/gateway/gw/${target}',
    },
    featureCodes: { login: '*71', logout: '*72', device: '*73', pause: '*74', wrapUpEnd: '*75', record: '*79' },
    ...over,
  }
}

/** No plug-ins: prompts resolve to `<lang>/<id>.wav` (no sounds directory in the test configs), queues are open. */
export const testDeps: CallCenterDeps = {}

type Originate = Extract<Command, { type: 'originate' }>

/** Watches commands and fails loudly (throws) on a broken invariant. */
export class InvariantChecker {
  /** legId → what it rings for. */
  readonly legs = new Map<string, { agentId: string; callId: string; offerId: string }>()
  readonly paused = new Set<string>()
  readonly wrapUp = new Set<string>()
  readonly unregistered = new Set<string>()
  violations: string[] = []

  #fail(msg: string): void {
    this.violations.push(msg)
    throw new Error(`invariant broken: ${msg}`)
  }

  /** Events the test sends that change what is allowed. */
  event(e: CoreEvent): void {
    if (e.type === 'leg-failed' || e.type === 'leg-hungup') this.legs.delete(e.legId)
    if (e.type === 'registration') {
      if (e.registered) this.unregistered.delete(e.sipUser)
      else this.unregistered.add(e.sipUser)
    }
  }

  commands(cmds: Command[], status: CenterStatus): void {
    for (const c of cmds) {
      if (c.type === 'hangup-leg') this.legs.delete(c.legId)
      if (c.type === 'log') {
        if (c.event === 'WRAPUPSTART') this.wrapUp.add(c.agentId)
        if (c.event === 'WRAPUPEND') this.wrapUp.delete(c.agentId)
        if (c.event === 'PAUSE') this.paused.add(c.agentId)
        if (c.event === 'UNPAUSE') this.paused.delete(c.agentId)
      }
      if (c.type === 'originate') this.#originate(c)
    }
    // Queue order = arrival order; positions 1..n.
    for (const q of status.queues) {
      q.callers.forEach((c, i) => {
        if (c.position !== i + 1) this.#fail(`queue ${q.queueId}: position ${c.position} at index ${i}`)
        if (i > 0 && q.callers[i - 1].seq >= c.seq)
          this.#fail(`queue ${q.queueId}: seq order ${q.callers[i - 1].seq} before ${c.seq}`)
      })
    }
    // An agent the engine thinks is ringing rings for one caller; a free agent has no leg.
    const legsByAgent = new Map<string, number>()
    for (const l of this.legs.values()) legsByAgent.set(l.agentId, (legsByAgent.get(l.agentId) ?? 0) + 1)
    for (const a of status.agents) {
      if ((legsByAgent.get(a.agentId) ?? 0) > 1) this.#fail(`agent ${a.agentId} has ${legsByAgent.get(a.agentId)} legs`)
      if ((a.state === 'free' || a.state === 'paused' || a.state === 'wrap-up') && legsByAgent.get(a.agentId)) {
        this.#fail(`agent ${a.agentId} is ${a.state} but has a live leg`)
      }
    }
  }

  #originate(c: Originate): void {
    for (const l of this.legs.values()) {
      if (l.callId === c.callId && l.offerId !== c.offerId)
        this.#fail(`caller ${c.callId} offered twice (${l.offerId} and ${c.offerId})`)
    }
    const seen = new Set<string>()
    for (const leg of c.legs) {
      if (seen.has(leg.agentId)) this.#fail(`agent ${leg.agentId} twice in one offer`)
      seen.add(leg.agentId)
      for (const l of this.legs.values())
        if (l.agentId === leg.agentId)
          this.#fail(`agent ${leg.agentId} offered ${c.callId} while ringing/talking for ${l.callId}`)
      if (this.paused.has(leg.agentId)) this.#fail(`paused agent ${leg.agentId} offered`)
      if (this.wrapUp.has(leg.agentId)) this.#fail(`agent ${leg.agentId} offered during wrap-up`)
      if (this.unregistered.has(leg.agentId)) this.#fail(`unregistered agent ${leg.agentId} offered`)
      this.legs.set(leg.legId, { agentId: leg.agentId, callId: c.callId, offerId: c.offerId })
    }
  }
}

/** The engine on a virtual clock. */
export class Harness {
  readonly cc: CallCenter
  now = T0
  readonly timers = new Map<string, number>()
  readonly all: Command[] = []
  last: Command[] = []
  readonly check?: InvariantChecker

  constructor(deps: Partial<CallCenterDeps> = {}, opts: { check?: boolean } = {}) {
    this.cc = new CallCenter({ ...testDeps, ...deps })
    if (opts.check) this.check = new InvariantChecker()
  }

  /** Handle an event now; set-timer / clear-timer are applied to the virtual clock. */
  send(e: CoreEvent): Command[] {
    this.check?.event(e)
    const out = this.cc.handle(e, this.now)
    for (const c of out) {
      if (c.type === 'set-timer') this.timers.set(c.id, c.at)
      if (c.type === 'clear-timer') this.timers.delete(c.id)
    }
    this.all.push(...out)
    this.last = out
    this.check?.commands(out, this.cc.status(this.now))
    return out
  }

  /** Move the clock forward, firing due timers in time order; returns every command emitted meanwhile. */
  advance(ms: number): Command[] {
    const until = this.now + ms
    const out: Command[] = []
    for (;;) {
      let next: [string, number] | undefined
      for (const [id, at] of this.timers) if (at <= until && (!next || at < next[1])) next = [id, at]
      if (!next) break
      this.timers.delete(next[0])
      this.now = Math.max(this.now, next[1])
      out.push(...this.send({ type: 'timer', id: next[0] }))
    }
    this.now = until
    return out
  }

  status(): CenterStatus {
    return this.cc.status(this.now)
  }

  agentState(id: string): string {
    return this.status().agents.find((a) => a.agentId === id)!.state
  }

  /** Register every agent's SIP device and log them in to all their queues. */
  startAgents(ids: string[]): void {
    for (const id of ids) this.send({ type: 'registration', sipUser: id, domain: DOMAIN, registered: true })
    for (const id of ids) this.send({ type: 'agent-login', agentId: id, source: 'api' })
  }

  arrive(callId: string, queueNumber: string, callerNumber = '0701234567'): Command[] {
    return this.send({ type: 'call-arrived', callId, queueNumber, tenantDomain: DOMAIN, callerNumber, callerName: '' })
  }
}

export function ofType<T extends Command['type']>(cmds: Command[], type: T): Extract<Command, { type: T }>[] {
  return cmds.filter((c): c is Extract<Command, { type: T }> => c.type === type)
}

export function logs(cmds: Command[], event?: string): Extract<Command, { type: 'log' }>[] {
  return ofType(cmds, 'log').filter((l) => !event || l.event === event)
}

export function lastOriginate(cmds: Command[]): Originate | undefined {
  const o = ofType(cmds, 'originate')
  return o[o.length - 1]
}
