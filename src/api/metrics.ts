/**
 * Prometheus metrics (prom-client), on a registry of their own. The daemon feeds them through the hooks below:
 * `observeEvent` / `observeCommands` around every `center.handle(event, now)` (offers, answers, arrival→first ring,
 * event-processing lag), `setEslConnected` from the ESL client's connect/close, and `observeStatus` with the
 * engine's status after each change (queue lengths, agent states).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Command } from '../core/commands.js'
import type { CoreEvent } from '../core/events.js'

export class KoplusMetrics {
  readonly registry = new Registry()
  readonly queueLength = new Gauge({ name: 'koplus_queue_waiting_callers', help: 'Callers waiting per queue', labelNames: ['queue'], registers: [this.registry] })
  readonly agentStates = new Gauge({ name: 'koplus_agents', help: 'Agents per state (free, ringing, on-call, wrap-up, paused, logged-in)', labelNames: ['state'], registers: [this.registry] })
  readonly offers = new Counter({ name: 'koplus_offers_total', help: 'Agent legs originated (offers)', labelNames: ['queue'], registers: [this.registry] })
  readonly answers = new Counter({ name: 'koplus_answers_total', help: 'Callers bridged to an agent', registers: [this.registry] })
  readonly arrivals = new Counter({ name: 'koplus_calls_arrived_total', help: 'Queue calls arrived', registers: [this.registry] })
  readonly arrivalToRing = new Histogram({
    name: 'koplus_arrival_to_first_ring_seconds',
    help: "Time from a caller's arrival to the first agent leg originated",
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
    registers: [this.registry],
  })
  readonly eslConnected = new Gauge({ name: 'koplus_esl_connected', help: '1 when connected and authenticated to FreeSWITCH', registers: [this.registry] })
  readonly eventLag = new Histogram({
    name: 'koplus_event_processing_lag_seconds',
    help: 'From an event being received to the engine having handled it',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  })
  #arrivedAt = new Map<string, number>()

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'koplus_process_' })
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
      }
    }
  }

  setEslConnected(connected: boolean): void {
    this.eslConnected.set(connected ? 1 : 0)
  }

  /** Queue lengths per queue (label: queue number or id) and agent counts per state. */
  setQueueLengths(lengths: Record<string, number>): void {
    this.queueLength.reset()
    for (const [q, n] of Object.entries(lengths)) this.queueLength.set({ queue: q }, n)
  }
  setAgentStates(counts: Record<string, number>): void {
    this.agentStates.reset()
    for (const [s, n] of Object.entries(counts)) this.agentStates.set({ state: s }, n)
  }

  /**
   * Convenience for a status snapshot shaped { queues: [{ id|queueId, number?, waiting|callers }], agents: [{ state }] }:
   * fields it does not find are skipped.
   */
  observeStatus(status: Record<string, unknown>): void {
    if (Array.isArray(status.queues)) {
      const lengths: Record<string, number> = {}
      for (const q of status.queues as Record<string, unknown>[]) {
        const label = String(q.number ?? q.queueId ?? q.id ?? '?')
        const w = q.waiting ?? q.callers
        const n = typeof w === 'number' ? w : Array.isArray(w) ? w.length : undefined
        if (n !== undefined) lengths[label] = n
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

  #source: { status(): Record<string, unknown>; eslConnected(): boolean } | undefined

  /** Read queue lengths, agent states and the ESL state from the daemon at every scrape. */
  bindSource(source: { status(): object; eslConnected(): boolean }): void {
    this.#source = { status: () => source.status() as Record<string, unknown>, eslConnected: () => source.eslConnected() }
  }

  async render(): Promise<{ contentType: string; body: string }> {
    if (this.#source) {
      this.observeStatus(this.#source.status())
      this.setEslConnected(this.#source.eslConnected())
    }
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
