/**
 * Matching: after every event, callers who waited longest are matched with free agents of their queue (queue
 * priority breaks ties; the strategy in src/core/distribution picks the agent or agents).
 */
import { chooseAgents, type FreeAgent } from '../distribution/index.js'
import { type AgentRt, type CallerRt, cmp, type EngineState } from './engine-state.js'
import { isFree } from './agent-availability.js'
import { offerCall } from './offers.js'
import { callbackBlocks, callbackDue } from './callback.js'

/**
 * Match waiting callers with free agents, as long as any match can be made. The candidates are the first
 * caller not yet ringing in each queue, longest wait first (queue priority breaks ties); each is offered
 * per its queue's strategy to free agents logged in to its queue.
 */
export function matchCallers(st: EngineState): void {
  for (;;) {
    const free: AgentRt[] = []
    for (const a of st.agents.values()) if (isFree(st, a)) free.push(a)
    if (free.length === 0) return
    const heads: CallerRt[] = []
    for (const list of st.waiting.values()) {
      const head = list.find(
        (c) => c.phase === 'queued' && !c.offerId && (!c.callback || callbackDue(st, c) || callbackBlocks(st, c)),
      )
      if (head && !callbackBlocks(st, head)) heads.push(head)
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

/** The agent(s) to ring for a caller: untried agents first ("the offer moves on"), else anyone who fits. */
function pickAgents(st: EngineState, caller: CallerRt, free: AgentRt[]): AgentRt[] {
  const queue = st.queues.get(caller.queueId)!
  const inQueue = free.filter((a) => a.queues.has(queue.id))
  if (inQueue.length === 0) return []
  const waitedSec = (st.now - caller.joinedAt) / 1000
  const view = (list: AgentRt[]): FreeAgent[] =>
    list.map((a) => ({ id: a.agent.id, idleSince: a.idleSince, skills: a.agent.skills }))
  const untried = inQueue.filter((a) => !caller.tried.has(a.agent.id))
  let chosen = untried.length ? chooseAgents(queue.settings, view(untried), waitedSec) : []
  if (chosen.length === 0) chosen = chooseAgents(queue.settings, view(inQueue), waitedSec)
  return chosen.map((f) => st.agents.get(f.id)!)
}
