/**
 * Matching: after every event, callers who waited longest are matched with free agents of their queue (queue
 * priority breaks ties; the strategy in src/core/distribution picks the agent or agents).
 */
import { chooseAgents, type FreeAgent } from '../distribution/index.js'
import { type AgentRt, type CallerRt, cmp, type EngineState } from './engine-state.js'
import { isFree } from './agent-availability.js'
import { offerCall } from './offers.js'
import { callbackDue } from './callback.js'

/**
 * Match waiting callers with free agents, as long as any match can be made. The candidates are the first
 * caller not yet ringing in each queue, longest wait first (queue priority breaks ties); each is offered
 * per its queue's strategy to free agents logged in to its queue.
 *
 * Only the idle agents of the agent index are looked at (not every agent), and only the queues one of them is
 * logged in to (a queue without a free agent cannot match): the same choice as a pass over everyone.
 */
export function matchCallers(st: EngineState): void {
  for (;;) {
    if (st.agentIndex.idle.size === 0) return
    const free = new Set<AgentRt>()
    for (const a of st.agentIndex.idle) if (isFree(st, a)) free.add(a)
    if (free.size === 0) return
    const heads: CallerRt[] = []
    for (const [queueId, list] of st.waiting) {
      if (!hasFree(st, queueId, free)) continue
      const head = list.find((c) => c.phase === 'queued' && !c.offerId && (!c.callback || callbackDue(st, c)))
      if (head) heads.push(head)
    }
    if (heads.length === 0) return
    heads.sort(
      (x, y) =>
        cmp(x.joinedAt, y.joinedAt) ||
        cmp(st.queues.get(y.queueId)!.settings.priority, st.queues.get(x.queueId)!.settings.priority) ||
        cmp(x.seq, y.seq),
    )
    let offered = false
    for (const caller of heads) {
      const chosen = pickAgents(st, caller, free)
      if (chosen.length) {
        offerCall(st, caller, chosen)
        offered = true
        break
      }
    }
    if (!offered) return
  }
}

function hasFree(st: EngineState, queueId: string, free: ReadonlySet<AgentRt>): boolean {
  for (const a of st.agentIndex.idleIn(queueId)) if (free.has(a)) return true
  return false
}

/** The agent(s) to ring for a caller: untried agents first ("the offer moves on"), else anyone who fits. */
function pickAgents(st: EngineState, caller: CallerRt, free: ReadonlySet<AgentRt>): AgentRt[] {
  const queue = st.queues.get(caller.queueId)!
  const inQueue: AgentRt[] = []
  for (const a of st.agentIndex.idleIn(queue.id)) if (free.has(a)) inQueue.push(a)
  if (inQueue.length === 0) return []
  const waitedSec = (st.now - caller.joinedAt) / 1000
  const view = (list: AgentRt[]): FreeAgent[] =>
    list.map((a) => ({ id: a.agent.id, idleSince: a.idleSince, skills: a.agent.skills }))
  const untried = inQueue.filter((a) => !caller.tried.has(a.agent.id))
  let chosen = untried.length ? chooseAgents(queue.settings, view(untried), waitedSec) : []
  if (chosen.length === 0) chosen = chooseAgents(queue.settings, view(inQueue), waitedSec)
  return chosen.map((f) => st.agents.get(f.id)!)
}
