/**
 * A day of a call centre on virtual time, through the pure engine: a seeded, deterministic world that answers the
 * engine's commands the way FreeSWITCH, callers and agents would (prompts end, legs ring, answer, fail or are
 * cancelled, callers lose patience, agents pause and log in and out, devices unregister). Used by the property
 * tests (with an invariant hook after every step), the fairness test and bench/core.bench.ts.
 */
import type { Command } from '../../src/core/commands.js'
import type { CoreConfig, CoreEvent } from '../../src/core/events.js'
import type { Agent, Queue, QueueSettings, Strategy } from '../../src/core/model.js'
import { DEFAULT_QUEUE_SETTINGS } from '../../src/core/model.js'
import { Prng } from '../../src/core/ewt/prng.js'
import { CallCenter } from '../../src/core/engine/call-center.js'
import type { CenterStatus } from '../../src/core/engine/status.js'
import { MinHeap } from './heap.js'

export interface DaySimOptions {
  seed: number
  queues: number
  agents: number
  calls: number
  /** Length of the simulated day (arrivals spread uniformly at random over it). Default 10 h. */
  dayMs?: number
  /** Strategies, cycled over the queues. Default longest-idle, ring-parallel, skills. */
  strategies?: Strategy[]
  /** Each agent is a member of this many queues (default all). */
  queuesPerAgent?: number
  settings?: Partial<QueueSettings>
  /** Agent behaviour on an offer. */
  busyProb?: number
  noAnswerProb?: number
  /** Share of agents on a mobile device (press-1 confirmation), and of those offers a voicemail takes. */
  mobileShare?: number
  voicemailProb?: number
  /** Mean caller patience and talk time, seconds. */
  patienceMeanSec?: number
  talkMeanSec?: number
  /** Mean seconds between random agent actions (pause, logout/login, unregister, device busy, end wrap-up); 0 = none. */
  agentActionMeanSec?: number
  /** Called after every event with the event, the commands, (if `wantStatus`) the status, and the instant. */
  onStep?: (event: CoreEvent, commands: Command[], status: CenterStatus | undefined, now: number) => void
  /** Changes the generated configuration before the day starts (e.g. opening hours). */
  configure?: (config: CoreConfig) => CoreConfig
  /** Extra events at given instants (e.g. an operator's closure mid-day). */
  extraEvents?: { at: number; event: CoreEvent }[]
  wantStatus?: boolean
  /** The engine to drive (default: a fresh CallCenter), e.g. to inspect it after every step. */
  engine?: CallCenter
}

export interface DaySimResult {
  events: number
  commands: number
  arrived: number
  answered: number
  abandoned: number
  /** Calls answered per agent. */
  answeredBy: Record<string, number>
  /** Virtual time simulated, ms. */
  simulatedMs: number
  /** Wall time spent inside CallCenter.handle, ms. */
  engineMs: number
}

type Item = { at: number; seq: number; event: CoreEvent; timer?: string }

const DOMAIN = 'sim.example'
/** How long after the day's last arrival timers still run (callers still waiting, wrap-ups). */
const AFTER_DAY_MS = 12 * 3600_000

/** Build the day's configuration: queues 5000.., agents 1000.. with skills, some on mobiles. */
export function simConfig(o: DaySimOptions, rng: Prng): CoreConfig {
  const strategies = o.strategies ?? ['longest-idle', 'ring-parallel', 'skills']
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
        strategy: strategies[i % strategies.length],
        parallelCount: 2,
        ringTimeSec: 15,
        wrapUpSec: 10,
        autoLogoutAfter: 0,
        requiredSkills: { sales: 3 },
        widenSkillsAfterSec: 60,
        priority: i % 2,
        ...o.settings,
      },
    })
  }
  const agents: Agent[] = []
  for (let i = 0; i < o.agents; i++) {
    const id = `a${i + 1}`
    const mobile = rng.next() < (o.mobileShare ?? 0)
    agents.push({
      id,
      tenantId: 't1',
      extension: String(1000 + i),
      name: `Agent ${i + 1}`,
      plan: 'business',
      sipUser: String(1000 + i),
      devices: mobile ? [{ type: 'mobile', target: `4670${i}` }] : [{ type: 'softphone', target: String(1000 + i) }],
      activeDevice: 0,
      wrapUpSec: null,
      skills: { sales: 1 + Math.floor(rng.next() * 10) },
    })
  }
  const per = Math.min(o.queuesPerAgent ?? o.queues, o.queues)
  const memberships = agents.flatMap((a, i) =>
    Array.from({ length: per }, (_, k) => ({ agentId: a.id, queueId: queues[(i + k) % o.queues].id })),
  )
  return {
    tenants: [{ id: 't1', name: 'Sim', domain: DOMAIN }],
    queues,
    agents,
    memberships,
    sessions: [],
    dialTemplates: {},
    featureCodes: { login: '*71', logout: '*72', device: '*73', pause: '*74', wrapUpEnd: '*75', record: '*79' },
  }
}

/** Run a day; deterministic for a given seed. */
export function runDay(o: DaySimOptions): DaySimResult {
  const rng = new Prng(o.seed)
  const dayMs = o.dayMs ?? 10 * 3600_000
  const t0 = Date.UTC(2026, 10, 25, 7, 0, 0)
  const cc = o.engine ?? new CallCenter()
  const heap = new MinHeap<Item>()
  let seq = 0
  const push = (at: number, event: CoreEvent, timer?: string): void =>
    heap.push({ at, seq: seq++, event, ...(timer ? { timer } : {}) })
  const timers = new Map<string, number>()
  const cfg = o.configure ? o.configure(simConfig(o, rng)) : simConfig(o, rng)
  const res: DaySimResult = {
    events: 0,
    commands: 0,
    arrived: 0,
    answered: 0,
    abandoned: 0,
    answeredBy: {},
    simulatedMs: 0,
    engineMs: 0,
  }

  // World state.
  const plays = new Map<string, string>() // channel → token of what plays (only prompts that end by themselves)
  const legs = new Map<
    string,
    { agentId: string; callId: string; answered: boolean; bridged: boolean; human: boolean }
  >()
  const callers = new Map<string, { bridged: boolean; ended: boolean }>()
  const agentsMobile = new Set(cfg.agents.filter((a) => a.devices[0].type === 'mobile').map((a) => a.id))
  const sipOf = new Map(cfg.agents.map((a) => [a.id, a.sipUser]))
  const talkMean = (o.talkMeanSec ?? 180) * 1000
  const patienceMean = (o.patienceMeanSec ?? 300) * 1000

  const apply = (now: number, cmds: Command[]): void => {
    for (const c of cmds) {
      switch (c.type) {
        case 'set-timer':
          timers.set(c.id, c.at)
          // The day ends: a timer far after it (the next opening of a scheduled queue) is not simulated.
          if (c.at <= t0 + dayMs + AFTER_DAY_MS) push(c.at, { type: 'timer', id: c.id }, c.id)
          break
        case 'clear-timer':
          timers.delete(c.id)
          break
        case 'answer':
          push(now, { type: 'call-answered', callId: c.callId })
          break
        case 'play': {
          plays.set(c.callId, c.token)
          push(now + 1500 * c.files.length, {
            type: 'prompt-finished',
            callId: c.callId,
            token: c.token,
            interrupted: false,
          })
          break
        }
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
            const human = !(agentsMobile.has(l.agentId) && rng.next() < (o.voicemailProb ?? 0.3))
            legs.set(l.legId, { agentId: l.agentId, callId: c.callId, answered: false, bridged: false, human })
            const r = rng.next()
            if (r < (o.busyProb ?? 0.03)) push(now + 500, { type: 'leg-failed', legId: l.legId, cause: 'USER_BUSY' })
            else if (r < (o.busyProb ?? 0.03) + (o.noAnswerProb ?? 0.05))
              push(now + c.timeoutSec * 1000 + 200, { type: 'leg-failed', legId: l.legId, cause: 'NO_ANSWER' })
            else push(now + 1000 + rng.next() * 8000, { type: 'leg-answered', legId: l.legId })
          }
          break
        case 'hangup-leg': {
          const l = legs.get(c.legId)
          if (!l) break
          legs.delete(c.legId)
          if (l.bridged) push(now + 5, { type: 'leg-hungup', legId: c.legId, cause: c.cause })
          else
            push(now + 5, {
              type: 'leg-failed',
              legId: c.legId,
              cause: c.cause === 'ORIGINATOR_CANCEL' && l.answered ? 'LOSE_RACE' : c.cause,
            })
          break
        }
        case 'play-leg': {
          const l = legs.get(c.legId)
          if (!l) break
          if (c.collectDigit && l.human) push(now + 1000, { type: 'leg-dtmf', legId: c.legId, digit: '1' })
          else push(now + 3000, { type: 'prompt-finished', callId: c.legId, token: c.token, interrupted: false })
          break
        }
        case 'bridge': {
          const l = legs.get(c.legId)
          const caller = callers.get(c.callId)
          if (!l || !caller || caller.ended) break
          l.bridged = true
          caller.bridged = true
          push(now, { type: 'bridged', callId: c.callId, legId: c.legId })
          res.answered++
          res.answeredBy[l.agentId] = (res.answeredBy[l.agentId] ?? 0) + 1
          const end = now + 5000 + rng.exponential(talkMean)
          if (rng.next() < 0.5) push(end, { type: 'leg-hungup', legId: c.legId, cause: 'NORMAL_CLEARING' })
          else push(end, { type: 'call-hungup', callId: c.callId, cause: 'NORMAL_CLEARING' })
          break
        }
        case 'hangup':
        case 'transfer': {
          const caller = callers.get(c.callId)
          if (caller && !caller.ended) {
            caller.ended = true
            push(now + 10, {
              type: 'call-hungup',
              callId: c.callId,
              cause: c.type === 'hangup' ? c.cause : 'NORMAL_CLEARING',
            })
          }
          break
        }
        case 'log':
          if (c.event === 'ABANDON') res.abandoned++
          break
      }
    }
  }

  const step = (now: number, e: CoreEvent): void => {
    // World bookkeeping for events the world itself produced.
    if (e.type === 'leg-hungup') {
      const l = legs.get(e.legId)
      if (l) {
        legs.delete(e.legId)
        const caller = callers.get(l.callId)
        if (caller && !caller.ended) push(now, { type: 'call-parked-after-bridge', callId: l.callId })
      }
    }
    if (e.type === 'leg-failed') legs.delete(e.legId)
    if (e.type === 'leg-answered') {
      const l = legs.get(e.legId)
      if (!l) return
      l.answered = true
    }
    if (e.type === 'leg-dtmf' && !legs.has(e.legId)) return
    if (e.type === 'call-hungup') {
      const caller = callers.get(e.callId)
      if (!caller) return
      caller.ended = true
      callers.delete(e.callId)
      plays.delete(e.callId)
    }
    if (e.type === 'prompt-finished' && !e.interrupted) {
      // A prompt cut short already reported itself as interrupted; its natural end is no event.
      if (plays.get(e.callId) !== e.token && !legs.has(e.callId)) return
      plays.delete(e.callId)
    }
    const started = performance.now()
    const out = cc.handle(e, now)
    res.engineMs += performance.now() - started
    res.events++
    res.commands += out.length
    o.onStep?.(e, out, o.wantStatus ? cc.status(now) : undefined, now)
    apply(now, out)
  }

  step(t0, { type: 'config', config: cfg })
  for (const a of cfg.agents) {
    if (a.devices[0].type !== 'mobile')
      step(t0, { type: 'registration', sipUser: a.sipUser, domain: DOMAIN, registered: true })
    step(t0, { type: 'agent-login', agentId: a.id, source: 'system' })
  }
  for (let i = 0; i < o.calls; i++) {
    const at = t0 + Math.floor(rng.next() * dayMs)
    const callId = `c${i + 1}`
    push(at, {
      type: 'call-arrived',
      callId,
      queueNumber: String(5000 + Math.floor(rng.next() * o.queues)),
      tenantDomain: DOMAIN,
      callerNumber: `07${i}`,
      callerName: '',
    })
    push(at + rng.exponential(patienceMean), { type: 'call-hungup', callId, cause: 'PATIENCE' })
  }
  const actionMean = (o.agentActionMeanSec ?? 0) * 1000
  if (actionMean > 0) {
    for (let t = t0 + rng.exponential(actionMean); t < t0 + dayMs; t += rng.exponential(actionMean)) {
      // An agent steps away for a while (pause, logout, phone unregistered or busy), then comes back.
      const a = cfg.agents[Math.floor(rng.next() * cfg.agents.length)]
      const r = rng.next()
      const back = t + rng.exponential(actionMean * 2)
      const target = a.devices[0].target
      if (r < 0.3) {
        push(t, { type: 'agent-pause', agentId: a.id, paused: true, reason: 'sim', source: 'api' })
        push(back, { type: 'agent-pause', agentId: a.id, paused: false, source: 'api' })
      } else if (r < 0.5) {
        push(t, { type: 'agent-logout', agentId: a.id, source: 'api' })
        push(back, { type: 'agent-login', agentId: a.id, source: 'api' })
      } else if (r < 0.7) {
        push(t, { type: 'registration', sipUser: sipOf.get(a.id)!, domain: DOMAIN, registered: false })
        push(back, { type: 'registration', sipUser: sipOf.get(a.id)!, domain: DOMAIN, registered: true })
      } else if (r < 0.85) {
        push(t, { type: 'device-busy', target, busy: true })
        push(back, { type: 'device-busy', target, busy: false })
      } else {
        push(t, { type: 'agent-end-wrapup', agentId: a.id, source: 'api' })
      }
    }
  }

  for (const x of o.extraEvents ?? []) push(x.at, x.event)
  let now: number
  for (let item = heap.pop(); item; item = heap.pop()) {
    now = item.at
    const e = item.event
    if (e.type !== 'call-hungup' || e.cause !== 'PATIENCE') res.simulatedMs = now - t0
    if (item.timer !== undefined) {
      if (timers.get(item.timer) !== item.at) continue
      timers.delete(item.timer)
    }
    if (e.type === 'call-arrived') {
      callers.set(e.callId, { bridged: false, ended: false })
      res.arrived++
    }
    if (e.type === 'call-hungup' && e.cause === 'PATIENCE') {
      const caller = callers.get(e.callId)
      if (!caller || caller.ended || caller.bridged) continue
      step(now, { type: 'call-hungup', callId: e.callId, cause: 'NORMAL_CLEARING' })
      continue
    }
    step(now, e)
  }
  return res
}
