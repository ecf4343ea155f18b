/**
 * Prometheus metrics (prom-client), on a registry of their own. The daemon feeds them through the hooks below:
 * `observeEvent` / `observeCommands` around every `center.handle(event, now)` (offers, answers, arrival→first ring,
 * queue outcomes and answer waits from the engine's call records, event-processing lag), `setEslConnected` from the
 * ESL client's connect/close, and `observeStatus` with the engine's status at each scrape (queue lengths, longest
 * waits, agent states per queue). Every per-queue series is labelled `queue` = the queue id; `koplus_queue_info`
 * maps it to the number, name and tenant. Names follow https://prometheus.io/docs/practices/naming/ and pass
 * `promtool check metrics` (test/api/metrics.test.ts); docs/metrics.md lists them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Command } from '../core/commands.js'
import type { CoreEvent } from '../core/events.js'

/** Agent states counted per queue: the status's `agents` counts of a queue → the state names of koplus_agents. */
const QUEUE_AGENT_STATES = {
  free: 'free',
  ringing: 'ringing',
  onCall: 'on-call',
  wrapUp: 'wrap-up',
  paused: 'paused',
} as const

/**
 * prom-client's default Node.js metrics that promtool refuses: gauges ending in `_total`, a suffix Prometheus keeps
 * for counters. Their per-type twins (`…_active_handles{type}` etc.) stay; `sum()` of those gives the total.
 */
const REFUSED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
]

export class KoplusMetrics {
  readonly registry = new Registry()
  readonly queueInfo = new Gauge({
    name: 'koplus_queue_info',
    help: 'Always 1: the number, name and tenant of each queue id',
    labelNames: ['queue', 'number', 'name', 'tenant'],
    registers: [this.registry],
  })
  readonly queueLength = new Gauge({
    name: 'koplus_queue_waiting_callers',
    help: 'Callers waiting per queue',
    labelNames: ['queue'],
    registers: [this.registry],
  })
  readonly longestWait = new Gauge({
    name: 'koplus_queue_longest_wait_seconds',
    help: 'How long the longest-waiting caller of the queue has waited (0: nobody waits)',
    labelNames: ['queue'],
    registers: [this.registry],
  })
  readonly queueAgents = new Gauge({
    name: 'koplus_queue_agents',
    help: 'Agents logged in to the queue, per state (free, ringing, on-call, wrap-up, paused)',
    labelNames: ['queue', 'state'],
    registers: [this.registry],
  })
  readonly queueAgentsLoggedIn = new Gauge({
    name: 'koplus_queue_agents_logged_in',
    help: 'Agents logged in to the queue',
    labelNames: ['queue'],
    registers: [this.registry],
  })
  readonly queueOpen = new Gauge({
    name: 'koplus_queue_open',
    help: '1 while the queue is open by its schedule, holidays and closures, 0 while closed',
    labelNames: ['queue'],
    registers: [this.registry],
  })
  readonly queueOverflowing = new Gauge({
    name: 'koplus_queue_overflowing',
    help: '1 while the queue turns new callers away (overflow)',
    labelNames: ['queue'],
    registers: [this.registry],
  })
  readonly agentStates = new Gauge({
    name: 'koplus_agents',
    help: 'Agents per state (logged-out, free, ringing, on-call, wrap-up, paused)',
    labelNames: ['state'],
    registers: [this.registry],
  })
  readonly offers = new Counter({
    name: 'koplus_offers_total',
    help: 'Agent legs originated (offers)',
    labelNames: ['queue'],
    registers: [this.registry],
  })
  readonly answers = new Counter({
    name: 'koplus_answers_total',
    help: 'Callers bridged to an agent',
    registers: [this.registry],
  })
  readonly arrivals = new Counter({
    name: 'koplus_calls_arrived_total',
    help: 'Queue calls arrived',
    registers: [this.registry],
  })
  readonly entered = new Counter({
    name: 'koplus_queue_callers_entered_total',
    help: 'Callers who entered the queue (were offered to agents); the service level is counted against these',
    labelNames: ['queue'],
    registers: [this.registry],
  })
  readonly ended = new Counter({
    name: 'koplus_queue_calls_ended_total',
    help: 'Queue calls by outcome (answered, abandoned, closed, overflow, no-agents, max-wait, exit-key, transferred, failed)',
    labelNames: ['queue', 'outcome'],
    registers: [this.registry],
  })
  readonly answerWait = new Histogram({
    name: 'koplus_queue_answer_wait_seconds',
    help: 'Wait from entering the queue to being answered by an agent; the le="20" bucket over koplus_queue_callers_entered_total is the 20 s service level',
    labelNames: ['queue'],
    buckets: [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600],
    registers: [this.registry],
  })
  readonly arrivalToRing = new Histogram({
    name: 'koplus_arrival_to_first_ring_seconds',
    help: "Time from a caller's arrival to the first agent leg originated",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
    registers: [this.registry],
  })
  readonly eslConnected = new Gauge({
    name: 'koplus_esl_connected',
    help: '1 when connected and authenticated to FreeSWITCH (every node)',
    registers: [this.registry],
  })
  readonly storeWritesQueued = new Gauge({
    name: 'koplus_store_writes_queued',
    help: 'Writes of the call path waiting in the store write queue (grows while the store is unreachable)',
    registers: [this.registry],
  })
  readonly storeDegraded = new Gauge({
    name: 'koplus_store_degraded',
    help: '1 while the store is failing and writes are queued in memory (degraded or overflow), else 0',
    registers: [this.registry],
  })
  readonly storeDegradedSince = new Gauge({
    name: 'koplus_store_degraded_since_seconds',
    help: 'Unix time the current store outage began (0 when the store is healthy)',
    registers: [this.registry],
  })
  readonly leader = new Gauge({
    name: 'koplus_leader',
    help: 'Active/standby: 1 while this daemon leads (commands FreeSWITCH), 0 while it stands by or is fenced (a single daemon always leads)',
    registers: [this.registry],
  })
  /** Per FreeSWITCH node (label `node`: its id in freeswitch.nodes, "default" with the single-node keys). */
  readonly nodeConnected = new Gauge({
    name: 'koplus_freeswitch_node_connected',
    help: '1 when connected and authenticated to this FreeSWITCH node',
    labelNames: ['node'],
    registers: [this.registry],
  })
  readonly nodeLost = new Gauge({
    name: 'koplus_freeswitch_node_lost',
    help: '1 when the node was down past freeswitch.nodeLostSeconds and its calls were ended',
    labelNames: ['node'],
    registers: [this.registry],
  })
  readonly nodeCalls = new Gauge({
    name: 'koplus_freeswitch_node_calls',
    help: 'Queue calls handled on this FreeSWITCH node now',
    labelNames: ['node'],
    registers: [this.registry],
  })
  readonly nodeRegistrations = new Gauge({
    name: 'koplus_freeswitch_node_registrations',
    help: 'SIP users registered on this FreeSWITCH node',
    labelNames: ['node'],
    registers: [this.registry],
  })
  readonly eventLag = new Histogram({
    name: 'koplus_event_processing_lag_seconds',
    help: 'From an event being received to the engine having handled it',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  })
  /** Queue and entry time of callers in a queue, from the engine's call records, until they are answered or leave. */
  #inQueue = new Map<string, { queueId: string; enteredAt?: number }>()
  #arrivedAt = new Map<string, number>()

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix: 'koplus_' })
      for (const name of REFUSED_DEFAULT_METRICS) this.registry.removeSingleMetric(`koplus_${name}`)
    }
    this.eslConnected.set(0)
  }

  /** Call with each event handed to the engine (`receivedAt` = when it arrived, `now` = when handled). */
  observeEvent(event: CoreEvent, now: number, receivedAt = now): void {
    this.eventLag.observe(Math.max(0, now - receivedAt) / 1000)
    if (event.type === 'call-arrived' && !event.restored) {
      this.arrivals.inc()
      this.#arrivedAt.set(event.callId, now)
    } else if (event.type === 'call-hungup') {
      this.#arrivedAt.delete(event.callId)
    }
  }

  /** Call with the commands the engine returned for an event handled at `now`. */
  observeCommands(commands: readonly Command[], now: number): void {
    for (const c of commands) {
      if (c.type === 'originate') {
        this.offers.inc({ queue: c.queueId }, c.legs.length)
        const arrived = this.#arrivedAt.get(c.callId)
        if (arrived !== undefined) {
          this.arrivalToRing.observe(Math.max(0, now - arrived) / 1000)
          this.#arrivedAt.delete(c.callId)
        }
      } else if (c.type === 'bridge') {
        this.answers.inc()
      } else if (c.type === 'hangup' || c.type === 'transfer') {
        this.#arrivedAt.delete(c.callId)
      } else if (c.type === 'call-record') {
        this.#observeRecord(c.record)
      }
    }
  }

  /** The engine's call records (src/core/commands.ts CallRecordUpdate): arrival with the queue, entry, answer, outcome. */
  #observeRecord(r: Extract<Command, { type: 'call-record' }>['record']): void {
    if (r.queueId !== undefined) this.#inQueue.set(r.callId, { queueId: r.queueId })
    const call = this.#inQueue.get(r.callId)
    if (!call) return // restored after a restart: its queue is not known here
    if (r.enteredQueueAt !== undefined) {
      call.enteredAt = r.enteredQueueAt
      this.entered.inc({ queue: call.queueId })
    }
    if (r.answeredAt !== undefined && call.enteredAt !== undefined) {
      this.answerWait.observe({ queue: call.queueId }, Math.max(0, r.answeredAt - call.enteredAt) / 1000)
    }
    if (r.outcome !== undefined) {
      this.ended.inc({ queue: call.queueId, outcome: r.outcome })
      this.#inQueue.delete(r.callId)
    } else if (r.endedAt !== undefined) {
      this.#inQueue.delete(r.callId)
    }
  }

  setEslConnected(connected: boolean): void {
    this.eslConnected.set(connected ? 1 : 0)
  }

  /** Per FreeSWITCH node: connected, lost, calls handled there, SIP users registered there (label `node`). */
  setNodes(nodes: readonly FreeSwitchNodeFigures[]): void {
    for (const g of [this.nodeConnected, this.nodeLost, this.nodeCalls, this.nodeRegistrations]) g.reset()
    for (const n of nodes) {
      const node = { node: n.id }
      this.nodeConnected.set(node, n.connected ? 1 : 0)
      this.nodeLost.set(node, n.lost ? 1 : 0)
      this.nodeCalls.set(node, n.calls)
      this.nodeRegistrations.set(node, n.registrations)
    }
  }

  /** Queue lengths per queue (label: the queue id) and agent counts per state. */
  setQueueLengths(lengths: Record<string, number>): void {
    this.queueLength.reset()
    for (const [q, n] of Object.entries(lengths)) this.queueLength.set({ queue: q }, n)
  }
  setAgentStates(counts: Record<string, number>): void {
    this.agentStates.reset()
    for (const [s, n] of Object.entries(counts)) this.agentStates.set({ state: s }, n)
  }
  /** Which queues are open now (queue id → open); queues not listed get no koplus_queue_open series. */
  setQueuesOpen(open: Record<string, boolean>): void {
    this.queueOpen.reset()
    for (const [q, o] of Object.entries(open)) this.queueOpen.set({ queue: q }, o ? 1 : 0)
  }

  /**
   * A status snapshot (CenterStatus, src/core/engine/status.ts) shaped { queues: [{ queueId, number, name, tenantId,
   * waiting, longestWaitSec, agents: {...}, overflowing }], agents: [{ state }] }: fields it does not find are skipped.
   */
  observeStatus(status: Record<string, unknown>): void {
    if (Array.isArray(status.queues)) {
      const lengths: Record<string, number> = {}
      for (const g of [
        this.queueInfo,
        this.longestWait,
        this.queueAgents,
        this.queueAgentsLoggedIn,
        this.queueOverflowing,
      ])
        g.reset()
      for (const q of status.queues as Record<string, unknown>[]) {
        const queue = String(q.queueId ?? q.id ?? q.number ?? '?')
        this.queueInfo.set(
          { queue, number: String(q.number ?? ''), name: String(q.name ?? ''), tenant: String(q.tenantId ?? '') },
          1,
        )
        const w = q.waiting ?? q.callers
        const n = typeof w === 'number' ? w : Array.isArray(w) ? w.length : undefined
        if (n !== undefined) lengths[queue] = n
        if (typeof q.longestWaitSec === 'number') this.longestWait.set({ queue }, q.longestWaitSec)
        if (typeof q.overflowing === 'boolean') this.queueOverflowing.set({ queue }, q.overflowing ? 1 : 0)
        const agents = q.agents as Record<string, unknown> | undefined
        if (agents && typeof agents === 'object') {
          if (typeof agents.loggedIn === 'number') this.queueAgentsLoggedIn.set({ queue }, agents.loggedIn)
          for (const [key, state] of Object.entries(QUEUE_AGENT_STATES)) {
            const v = agents[key]
            if (typeof v === 'number') this.queueAgents.set({ queue, state }, v)
          }
        }
      }
      this.setQueueLengths(lengths)
    }
    if (Array.isArray(status.agents)) {
      const counts: Record<string, number> = {}
      for (const a of status.agents as Record<string, unknown>[]) {
        if (typeof a.state === 'string') counts[a.state] = (counts[a.state] ?? 0) + 1
      }
      this.setAgentStates(counts)
    }
  }

  #source: MetricsSource | undefined

  /** The store's write queue: queued writes and whether the store is degraded (src/store/write-queue.ts). */
  setStoreHealth(h: StoreHealthFigures): void {
    this.storeWritesQueued.set(h.writes.queued)
    this.storeDegraded.set(h.writes.state === 'ok' ? 0 : 1)
    this.storeDegradedSince.set(h.writes.degradedSince === null ? 0 : h.writes.degradedSince / 1000)
  }

  /** Read queue lengths, agent states, open queues and the ESL state from the daemon at every scrape. */
  bindSource(source: MetricsSource): void {
    this.#source = source
  }

  async render(): Promise<{ contentType: string; body: string }> {
    if (this.#source) {
      this.observeStatus(this.#source.status() as Record<string, unknown>)
      this.setEslConnected(this.#source.eslConnected())
      if (this.#source.queuesOpen) this.setQueuesOpen(await this.#source.queuesOpen())
      const store = this.#source.store?.()
      if (store) this.setStoreHealth(store)
      const leading = this.#source.leading?.()
      if (leading !== undefined) this.leader.set(leading ? 1 : 0)
      if (this.#source.freeswitchNodes) this.setNodes(this.#source.freeswitchNodes())
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}

/** Where the metrics read the daemon's state at each scrape. */
interface MetricsSource {
  status(): object
  eslConnected(): boolean
  /** Queue id → open now (schedule, holidays, closures). */
  queuesOpen?(): Record<string, boolean> | Promise<Record<string, boolean>>
  /** The store's health (src/store/index.ts StoreHealth). */
  store?(): StoreHealthFigures
  /** Active/standby: whether this daemon leads (undefined: a single daemon). */
  leading?(): boolean | undefined
  /** Per FreeSWITCH node (src/daemon/freeswitch-link.ts FreeSwitchNodeState). */
  freeswitchNodes?(): readonly FreeSwitchNodeFigures[]
}

/** What /metrics shows of the store's health. */
interface StoreHealthFigures {
  writes: { state: 'ok' | 'degraded' | 'overflow'; queued: number; degradedSince: number | null }
}

/** What /metrics shows of one FreeSWITCH node. */
export interface FreeSwitchNodeFigures {
  id: string
  connected: boolean
  lost: boolean
  calls: number
  registrations: number
}
