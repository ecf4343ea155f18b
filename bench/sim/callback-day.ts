/**
 * A day of one queue through the pure engine where a share of the callers choose callback (issue 14): the world
 * answers the engine's commands as FreeSWITCH, callers, agents and the called-back people would (prompts end after
 * their length, agents answer after 2 s, the called-back person answers after 5 s and presses 1, conversations last
 * an exponential talk time). Measures whether every caller is offered in its place (callbacks included) and how
 * right the estimates are: those announced to callers on hold and those promised to callback callers.
 */
import type { Command } from '../../src/core/commands.js'
import type { CoreConfig, CoreEvent } from '../../src/core/events.js'
import { DEFAULT_QUEUE_SETTINGS, type Agent, type Queue } from '../../src/core/model.js'
import { Prng } from '../../src/core/ewt/prng.js'
import { CallCenter } from '../../src/core/engine/call-center.js'
import { MinHeap } from './heap.js'

export interface CallbackDayOptions {
  seed: number
  /** Share of callers who press the callback key when it is offered. */
  callbackShare: number
  agents?: number
  calls?: number
  dayMs?: number
  talkMeanSec?: number
}

export interface Scored {
  estimateS: number
  actualS: number
}

export interface CallbackDayResult {
  calls: number
  callbacks: number
  connected: number
  /** Offers (first ring per caller) made out of queue order: a later caller rung before an earlier one. */
  outOfOrder: number
  /** Estimates announced to callers on hold (position + wait), scored against the wait that followed. */
  onHold: Scored[]
  /** The time promised to callback callers ("we expect to call you in …"), against request → connection. */
  promised: Scored[]
}

type Item = { at: number; seq: number; event: CoreEvent }

const PROMPT_MS = 700
const DOMAIN = 'bench.example'

export function simulateCallbackDay(o: CallbackDayOptions): CallbackDayResult {
  const rng = new Prng(o.seed)
  const agents = o.agents ?? 8
  const calls = o.calls ?? 600
  const dayMs = o.dayMs ?? 8 * 3_600_000
  const talkMs = (o.talkMeanSec ?? 300) * 1000
  const t0 = Date.UTC(2026, 10, 25, 7, 0, 0)
  const queue: Queue = {
    id: 'q1',
    tenantId: 't1',
    number: '5000',
    name: 'Support',
    tags: [],
    settings: {
      ...DEFAULT_QUEUE_SETTINGS,
      welcomePrompt: '',
      firstMessagePrompt: '',
      periodicPrompt: '',
      wrapUpSec: 0,
      autoLogoutAfter: 0,
      callbackKey: '1',
      callbackRetries: 0,
    },
  }
  const agentList: Agent[] = Array.from({ length: agents }, (_, i) => ({
    id: `a${i}`,
    tenantId: 't1',
    extension: `${1000 + i}`,
    name: `A${i}`,
    plan: 'pro',
    sipUser: `a${i}`,
    devices: [{ type: 'softphone', target: `a${i}` }],
    activeDevice: 0,
    wrapUpSec: null,
    skills: {},
  }))
  const config: CoreConfig = {
    tenants: [{ id: 't1', name: 'T', domain: DOMAIN }],
    queues: [queue],
    agents: agentList,
    memberships: agentList.map((a) => ({ agentId: a.id, queueId: 'q1' })),
    sessions: agentList.map((a) => ({ agentId: a.id, queueId: 'q1', since: t0 - 60_000, paused: false })),
    dialTemplates: { softphone: 'user/${target}@${domain}' },
    featureCodes: { login: '*71', logout: '*72', device: '*73', pause: '*74', wrapUpEnd: '*75', record: '*79' },
  }
  const cc = new CallCenter()
  const heap = new MinHeap<Item>()
  let seq = 0
  const at = (when: number, event: CoreEvent): void => heap.push({ at: when, seq: seq++, event })
  const wantsCallback = new Set<string>()
  const liveLegs = new Set<string>()
  const customerLegs = new Set<string>()
  const firstRing = new Map<string, number>()
  const entered = new Map<string, number>()
  const announced: { callId: string; at: number; seconds: number }[] = []
  const promisedAt = new Map<string, { at: number; seconds: number }>()
  const connectedAt = new Map<string, number>()
  let callbacks = 0
  let ringOrder: string[] = []

  const react = (now: number, cmds: Command[]): void => {
    for (const c of cmds) {
      switch (c.type) {
        case 'set-timer':
          at(c.at, { type: 'timer', id: c.id })
          break
        case 'play': {
          const ends = now + PROMPT_MS * c.files.length
          at(ends, { type: 'prompt-finished', callId: c.callId, token: c.token, interrupted: false })
          const has = (id: string) => c.files.some((f) => f.endsWith(`/${id}.wav`))
          if (wantsCallback.has(c.callId) && (has('callback-offer') || has('callback-accept-or-type')))
            at(ends + 500, { type: 'call-dtmf', callId: c.callId, digit: '1' })
          break
        }
        case 'play-leg':
          if (customerLegs.has(c.legId)) at(now + 2000, { type: 'leg-dtmf', legId: c.legId, digit: '1' })
          at(now + PROMPT_MS * c.files.length, {
            type: 'prompt-finished',
            callId: c.legId,
            token: c.token,
            interrupted: false,
          })
          break
        case 'originate':
          for (const l of c.legs) {
            liveLegs.add(l.legId)
            if (l.agentId === '') customerLegs.add(l.legId)
            at(now + (l.agentId === '' ? 5000 : 2000), { type: 'leg-answered', legId: l.legId })
          }
          if (c.legs[0].agentId !== '' && !firstRing.has(c.callId)) {
            firstRing.set(c.callId, now)
            ringOrder.push(c.callId)
          }
          break
        case 'bridge':
          connectedAt.set(c.callId, now)
          at(now + 10, { type: 'bridged', callId: c.callId, legId: c.legId })
          at(now + 10 + rng.exponential(talkMs), { type: 'leg-hungup', legId: c.legId, cause: 'NORMAL_CLEARING' })
          break
        case 'bridge-legs':
          at(now + 10 + rng.exponential(talkMs), { type: 'leg-failed', legId: c.otherLegId, cause: 'NORMAL_CLEARING' })
          break
        case 'hangup-leg':
          if (liveLegs.delete(c.legId)) at(now + 5, { type: 'leg-failed', legId: c.legId, cause: c.cause })
          break
        case 'hangup':
          at(now + 5, { type: 'call-hungup', callId: c.callId, cause: 'NORMAL_CLEARING' })
          break
        case 'ewt':
          announced.push({ callId: c.callId, at: c.at, seconds: c.seconds })
          break
        case 'log':
          if (c.event === 'ENTERQUEUE') entered.set(c.callId, c.at)
          if (c.event === 'CALLBACKREQUESTED') {
            callbacks++
            const est = (c.data as { estimateSec?: number } | undefined)?.estimateSec
            if (est !== undefined) promisedAt.set(c.callId, { at: c.at, seconds: est })
          }
          if (c.event === 'CALLBACKCONNECTED') connectedAt.set(c.callId, c.at)
          if (c.event === 'COMPLETEAGENT') at(c.at + 5, { type: 'call-parked-after-bridge', callId: c.callId })
          break
      }
    }
  }
  const send = (now: number, e: CoreEvent): void => {
    if (e.type === 'leg-failed' || e.type === 'leg-hungup') liveLegs.delete(e.legId)
    react(now, cc.handle(e, now))
  }
  send(t0, { type: 'config', config })
  for (const a of agentList) send(t0, { type: 'registration', sipUser: a.sipUser, domain: DOMAIN, registered: true })
  for (let i = 0; i < calls; i++) {
    const id = `call-${o.seed}-${i}`
    if (rng.next() < o.callbackShare) wantsCallback.add(id)
    at(t0 + rng.uniform(0, dayMs), {
      type: 'call-arrived',
      callId: id,
      queueNumber: '5000',
      tenantDomain: DOMAIN,
      callerNumber: `070${String(1_000_000 + i).slice(1)}0`,
      callerName: '',
    })
  }
  for (let item = heap.pop(); item; item = heap.pop()) send(item.at, item.event)

  // Queue order: by the entry instant (seq order), each caller's first ring must come after every earlier caller's.
  const order = [...entered.entries()].sort((a, b) => a[1] - b[1]).map(([id]) => id)
  const rank = new Map(order.map((id, i) => [id, i]))
  let outOfOrder = 0
  let highest = -1
  for (const id of ringOrder) {
    const r = rank.get(id) ?? -1
    if (r < highest) outOfOrder++
    highest = Math.max(highest, r)
  }
  ringOrder = []
  const onHold: Scored[] = []
  for (const a of announced) {
    const done = connectedAt.get(a.callId)
    if (done !== undefined && !promisedAt.has(a.callId))
      onHold.push({ estimateS: a.seconds, actualS: (done - a.at) / 1000 })
  }
  const promised: Scored[] = []
  for (const [id, p] of promisedAt) {
    const done = connectedAt.get(id)
    if (done !== undefined) promised.push({ estimateS: p.seconds, actualS: (done - p.at) / 1000 })
  }
  return { calls, callbacks, connected: connectedAt.size, outOfOrder, onHold, promised }
}
