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
 *
 * Only the queues with an idle agent (agent index) are looked at, and only their idle agents are checked for the
 * rest of "free" (isFree, once per agent and round): the same choice as a pass over every agent, at a cost that
 * does not grow with the agents on calls or the callers waiting behind the first of each line.
 */
export function matchCallers(st: EngineState): void {
  for (;;) {
    if (st.agentIndex.idle.size === 0) return
    const heads: CallerRt[] = []
    st.waiting.forEach((list, queueId) => {
      if (list.length === 0 || st.agentIndex.idleIn(queueId).size === 0) return
      const head = list.find(
        (c) => c.phase === 'queued' && !c.offerId && (!c.callback || callbackDue(st, c) || callbackBlocks(st, c)),
      )
      if (head && !callbackBlocks(st, head)) heads.push(head)
    })
    if (heads.length === 0) return
    heads.sort(
      (x, y) =>
        cmp(x.joinedAt, y.joinedAt) ||
        cmp(st.queues.get(y.queueId)!.settings.priority, st.queues.get(x.queueId)!.settings.priority) ||
        cmp(x.seq, y.seq),
    )
    const free = new Map<AgentRt, boolean>()
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

/**
 * The agent(s) to ring for a caller: untried agents first ("the offer moves on"), else anyone who fits. `free`
 * remembers isFree per agent within one round (nothing changes between the callers of a round).
 */
function pickAgents(st: EngineState, caller: CallerRt, free: Map<AgentRt, boolean>): AgentRt[] {
  const queue = st.queues.get(caller.queueId)!
  const inQueue: AgentRt[] = []
  for (const a of st.agentIndex.idleIn(queue.id)) {
    let ok = free.get(a)
    if (ok === undefined) free.set(a, (ok = isFree(st, a)))
    if (ok) inQueue.push(a)
  }
  if (inQueue.length === 0) return []
  if (queue.settings.strategy === 'longest-idle') {
    // chooseAgents' longest idle (idleSince, then id) in one pass, without a view object per free agent.
    let untried: AgentRt | undefined
    let any: AgentRt | undefined
    for (const a of inQueue) {
      if (!any || idledLonger(a, any)) any = a
      if (!caller.tried.has(a.agent.id) && (!untried || idledLonger(a, untried))) untried = a
    }
    return [untried ?? any!]
  }
  const waitedSec = (st.now - caller.joinedAt) / 1000
  const view = (list: AgentRt[]): FreeAgent[] =>
    list.map((a) => ({ id: a.agent.id, idleSince: a.idleSince, skills: a.agent.skills }))
  const untried = inQueue.filter((a) => !caller.tried.has(a.agent.id))
  let chosen = untried.length ? chooseAgents(queue.settings, view(untried), waitedSec) : []
  if (chosen.length === 0) chosen = chooseAgents(queue.settings, view(inQueue), waitedSec)
  return chosen.map((f) => st.agents.get(f.id)!)
}

/** The order of distribution's byLongestIdle: idle since earlier first, then by id. */
function idledLonger(a: AgentRt, b: AgentRt): boolean {
  return a.idleSince < b.idleSince || (a.idleSince === b.idleSince && a.agent.id < b.agent.id)
}
