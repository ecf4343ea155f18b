/**
 * The scale scenario of issue 13 for the pure engine on a virtual clock: 50 queues, 2,000 agents (softphones, each
 * in 2 queues), W callers waiting, 200 arrivals/s and agents freeing at the same rate.
 *
 * Fill (virtual 0–60 s): 2,000 + W callers arrive, spread evenly over the first 10 s; the first 2,000 are answered and talk until the
 * measurement starts, so W wait. Measurement (60 s on): arrivals every 5 ms; the agents busy since the fill hang up
 * spread over its first 10 s and every later call talks 10 s (±10 %), so agents free at 200/s and about W keep
 * waiting. Prompts end 1.5 s per file; legs answer 300 ms after the originate. The queue announces position, wait
 * and a periodic message every 60 s, so waiting callers' announcement timers fire throughout.
 */
import type { Command } from '../../src/core/commands.js'
import type { CoreConfig, CoreEvent } from '../../src/core/events.js'
import { type Agent, DEFAULT_QUEUE_SETTINGS, type Queue } from '../../src/core/model.js'
import { Prng } from '../../src/core/ewt/prng.js'
import { CallCenter } from '../../src/core/engine/call-center.js'
import { MinHeap } from './heap.js'

export const DOMAIN = 'scale.example'
export const T0 = Date.UTC(2026, 10, 25, 7, 0, 0)

export interface ScaleOptions {
  queues: number
  agents: number
  /** Callers to keep waiting. */
  waiting: number
  /** Arrivals (and agent frees) per second in the measurement. */
  ratePerSec: number
  /** Length of the measurement, virtual ms. */
  measureMs: number
  seed: number
}

export const SCALE_DEFAULTS: ScaleOptions = {
  queues: 50,
  agents: 2000,
  waiting: 10_000,
  ratePerSec: 200,
  measureMs: 20_000,
  seed: 13,
}

/** 50 queues 5000…, agents 1000… in queues i and i+1. */
export function scaleConfig(o: Pick<ScaleOptions, 'queues' | 'agents'>): CoreConfig {
  const queues: Queue[] = []
  for (let i = 0; i < o.queues; i++) {
    queues.push({
      id: `q${i + 1}`,
      tenantId: 't1',
      number: String(5000 + i),
      name: `Queue ${i + 1}`,
      tags: [],
      settings: {
        ...DEFAULT_QUEUE_SETTINGS,
        ringTimeSec: 20,
        wrapUpSec: 0,
        autoLogoutAfter: 0,
        parallelCount: 1,
        periodicIntervalSec: 60,
        positionIntervalSec: 60,
      },
    })
  }
  const agents: Agent[] = []
  for (let i = 0; i < o.agents; i++) {
    agents.push({
      id: `a${i + 1}`,
      tenantId: 't1',
      extension: String(10000 + i),
      name: `Agent ${i + 1}`,
      plan: 'business',
      sipUser: String(10000 + i),
      devices: [{ type: 'softphone', target: String(10000 + i) }],
      activeDevice: 0,
      wrapUpSec: null,
      skills: {},
    })
  }
  const memberships = agents.flatMap((a, i) =>
    [0, 1].map((k) => ({ agentId: a.id, queueId: queues[(i + k) % o.queues].id })),
  )
  return {
    tenants: [{ id: 't1', name: 'Scale', domain: DOMAIN }],
    queues,
    agents,
    memberships,
    sessions: [],
    dialTemplates: {},
    featureCodes: { login: '*71', logout: '*72', device: '*73', pause: '*74', wrapUpEnd: '*75', record: '*79' },
  }
}

/** The key a step's cost is filed under: the event type, timers by their kind (ann, maxwait, ring…). */
export function stepKind(e: CoreEvent): string {
  return e.type === 'timer' ? `timer ${e.id.slice(0, e.id.indexOf(':'))}` : e.type
}

type Item = { at: number; seq: number; event: CoreEvent; timer?: string }

export interface ScaleWorld {
  cc: CallCenter
  /** Callers waiting now (entered the queue, not yet bridged or gone). */
  waiting(): number
  /** Runs every event due up to `until` (virtual ms); `onStep` gets each step's kind and cost in ms. */
  runUntil(until: number, onStep?: (kind: string, ms: number, now: number) => void): number
  /** First instant of the measurement. */
  measureFrom: number
  /** Queues the measurement's arrivals (call it once, before running past measureFrom). */
  scheduleMeasurement(): void
}

export function scaleWorld(o: ScaleOptions): ScaleWorld {
  const rng = new Prng(o.seed)
  const cc = new CallCenter()
  const heap = new MinHeap<Item>()
  let seq = 0
  const push = (at: number, event: CoreEvent, timer?: string): void =>
    heap.push({ at, seq: seq++, event, ...(timer ? { timer } : {}) })
  const timers = new Map<string, number>()
  const plays = new Map<string, string>()
  const legs = new Map<string, string>() // leg → call
  const queued = new Set<string>()
  const fillMs = 60_000
  const measureFrom = T0 + fillMs
  let calls = 0
  const talkEnd = (now: number): number =>
    now < measureFrom ? measureFrom + rng.uniform(0, 10_000) : now + 10_000 * rng.uniform(0.9, 1.1)

  const arrive = (at: number): void => {
    const i = ++calls
    push(at, {
      type: 'call-arrived',
      callId: `c${i}`,
      queueNumber: String(5000 + Math.floor(rng.next() * o.queues)),
      tenantDomain: DOMAIN,
      callerNumber: `07${i}`,
      callerName: '',
    })
  }

  const apply = (now: number, cmds: Command[]): void => {
    for (const c of cmds) {
      switch (c.type) {
        case 'set-timer':
          timers.set(c.id, c.at)
          push(c.at, { type: 'timer', id: c.id }, c.id)
          break
        case 'clear-timer':
          timers.delete(c.id)
          break
        case 'answer':
          push(now, { type: 'call-answered', callId: c.callId })
          break
        case 'play':
          plays.set(c.callId, c.token)
          push(now + 1500 * c.files.length, {
            type: 'prompt-finished',
            callId: c.callId,
            token: c.token,
            interrupted: false,
          })
          break
        case 'hold-music':
          plays.delete(c.callId)
          break
        case 'stop-audio': {
          const token = plays.get(c.callId)
          if (token) {
            plays.delete(c.callId)
            push(now, { type: 'prompt-finished', callId: c.callId, token, interrupted: true })
          }
          break
        }
        case 'originate':
          for (const l of c.legs) {
            legs.set(l.legId, c.callId)
            push(now + 300, { type: 'leg-answered', legId: l.legId })
          }
          break
        case 'bridge':
          queued.delete(c.callId)
          push(now, { type: 'bridged', callId: c.callId, legId: c.legId })
          push(talkEnd(now), { type: 'leg-hungup', legId: c.legId, cause: 'NORMAL_CLEARING' })
          break
        case 'hangup-leg':
          if (legs.delete(c.legId)) push(now + 5, { type: 'leg-failed', legId: c.legId, cause: c.cause })
          break
        case 'hangup':
        case 'transfer':
          queued.delete(c.callId)
          push(now + 10, { type: 'call-hungup', callId: c.callId, cause: 'NORMAL_CLEARING' })
          break
        case 'log':
          if (c.event === 'ENTERQUEUE') queued.add(c.callId)
          break
      }
    }
  }

  const total = o.agents + o.waiting
  for (let i = 0; i < total; i++) arrive(T0 + Math.floor((i * 10_000) / total))
  cc.handle({ type: 'config', config: scaleConfig(o) }, T0 - 1000)
  for (const a of scaleConfig(o).agents) {
    cc.handle({ type: 'registration', sipUser: a.sipUser, domain: DOMAIN, registered: true }, T0 - 1000)
    cc.handle({ type: 'agent-login', agentId: a.id, source: 'system' }, T0 - 1000)
  }

  return {
    cc,
    measureFrom,
    waiting: () => queued.size,
    scheduleMeasurement() {
      const gap = 1000 / o.ratePerSec
      for (let t = 0; t < o.measureMs; t += gap) arrive(measureFrom + Math.floor(t))
    },
    runUntil(until, onStep) {
      let n = 0
      for (;;) {
        const item = heap.peek()
        if (!item || item.at > until) return n
        heap.pop()
        const now = item.at
        const e = item.event
        if (item.timer !== undefined) {
          if (timers.get(item.timer) !== item.at) continue
          timers.delete(item.timer)
        }
        if (e.type === 'leg-hungup') {
          const call = legs.get(e.legId)
          legs.delete(e.legId)
          if (call) push(now + 5, { type: 'call-parked-after-bridge', callId: call })
        }
        if (e.type === 'leg-failed') legs.delete(e.legId)
        if (e.type === 'call-hungup') plays.delete(e.callId)
        if (e.type === 'prompt-finished' && !e.interrupted && plays.get(e.callId) !== e.token) continue
        if (e.type === 'prompt-finished') plays.delete(e.callId)
        const started = performance.now()
        const out = cc.handle(e, now)
        const ms = performance.now() - started
        n++
        onStep?.(stepKind(e), ms, now)
        apply(now, out)
      }
    },
  }
}
