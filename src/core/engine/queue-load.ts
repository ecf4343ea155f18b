/**
 * Queue load: tenant and queue look-ups, how many agents serve a queue, the wait estimate, the load that overflow
 * and admission decide on, and overflow reopening.
 */
import type { Queue, Tenant } from '../model.js'
import { updateOverflow, type QueueLoad } from '../journey/index.js'
import { type EngineState, estimatorOf, oldestJoinedAt, queueLog } from './engine-state.js'

/**
 * The tenant of a call's domain (koplus_tenant = ${domain_name} in our dialplan). A single-tenant install works
 * whatever FreeSWITCH's domain is called (often its IP address): with exactly one tenant, a domain no tenant claims
 * is that tenant's. With several tenants an unclaimed domain matches none, so calls never cross tenants.
 */
export function tenantFor(st: EngineState, domain: string): Tenant | undefined {
  const t = st.tenantByDomain.get(domain.toLowerCase())
  if (t || st.tenantByDomain.size !== 1) return t
  return st.tenantByDomain.values().next().value
}

export function findQueueByNumber(st: EngineState, domain: string, number: string): Queue | undefined {
  const tenant = tenantFor(st, domain)
  if (!tenant) return undefined
  for (const q of st.queues.values()) if (q.tenantId === tenant.id && q.number === number) return q
  return undefined
}

export function loggedInCount(st: EngineState, queueId: string): number {
  return st.agentIndex.counts(queueId).loggedIn
}

export function estimateWait(st: EngineState, queue: Queue, position: number): number | undefined {
  // Memoised within one event: nothing the estimate depends on changes between announcements of one instant.
  const key = `${queue.id}|${position}|${st.now}`
  if (st.estimates.has(key)) return st.estimates.get(key)
  const { serving, busy } = st.agentIndex.counts(queue.id)
  const est = estimatorOf(st, queue).estimate(position, serving, busy, st.now)
  st.estimates.set(key, est)
  return est
}

export function queueLoad(st: EngineState, queue: Queue): QueueLoad {
  const line = st.waiting.get(queue.id) ?? []
  const oldest = line.length ? oldestJoinedAt(st, queue.id) : undefined
  const longest = oldest !== undefined ? (st.now - oldest) / 1000 : 0
  return {
    waiting: line.length,
    longestWaitSec: Math.max(0, longest),
    estimatedWaitSec: estimateWait(st, queue, line.length + 1),
    agentsLoggedIn: loggedInCount(st, queue.id),
  }
}

/**
 * An overflowing queue reopens as soon as its load falls below the reopen level (hysteresis in updateOverflow),
 * not only when the next caller arrives: so the status and OVERFLOWEND show the reopening when it happens.
 * (Added by the issue-4 journey tests, journey-overflow.test.ts; closing is still decided at an arrival.)
 */
export function reopenDrainedOverflows(st: EngineState): void {
  // forEach, not for…of over entries: runs after every event, and an [id, state] pair per queue per event was a
  // third of the engine's garbage (issue 13, allocation profile of the scale bench).
  st.overflow.forEach((prev, queueId) => {
    if (!prev.overflowing) return
    const queue = st.queues.get(queueId)
    if (!queue) return
    const next = updateOverflow(queue.settings, queueLoad(st, queue), prev, st.now)
    if (next.overflowing) return
    st.overflow.set(queueId, next)
    queueLog(st, 'OVERFLOWEND', '', queueId, '', { reason: prev.reason })
  })
}
