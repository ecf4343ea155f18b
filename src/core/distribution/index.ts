/**
 * Distribution strategies (SPEC A3): which free agent(s) to ring for a caller. Pure functions over the free
 * agents that are eligible for the caller's queue (logged in, not paused, not busy, device registered); the
 * engine decides eligibility, these only rank.
 */
import type { QueueSettings } from '../model.js'

/** What a strategy needs to know about a free agent. */
export interface FreeAgent {
  id: string
  /** When the agent last became free (login, end of wrap-up); smaller = idle longer. Counts calls from all queues. */
  idleSince: number
  skills: Record<string, number>
}

/** Longest idle first; equal idle times by id so that the order is deterministic. */
function byLongestIdle(a: FreeAgent, b: FreeAgent): number {
  return a.idleSince - b.idleSince || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The free agent idle the longest (fair distribution). */
export function longestIdleAgent(free: readonly FreeAgent[]): FreeAgent | undefined {
  let best: FreeAgent | undefined
  for (const a of free) if (!best || byLongestIdle(a, best) < 0) best = a
  return best
}

/** The `count` longest-idle free agents, who ring at once (ring-parallel). */
export function longestIdleAgents(free: readonly FreeAgent[], count: number): FreeAgent[] {
  return [...free].sort(byLongestIdle).slice(0, Math.max(1, count))
}

/** True when the agent has every required skill at or above its minimum level. */
export function meetsSkills(agent: FreeAgent, required: Record<string, number>): boolean {
  for (const [skill, min] of Object.entries(required)) if ((agent.skills[skill] ?? 0) < min) return false
  return true
}

/**
 * How well an agent matches a skills queue: the sum of the agent's levels on the queue's required skills.
 * "Best match" = highest score; an agent who knows more about what the queue needs is preferred.
 */
export function skillScore(agent: FreeAgent, required: Record<string, number>): number {
  let s = 0
  for (const skill of Object.keys(required)) s += agent.skills[skill] ?? 0
  return s
}

/**
 * Skills routing: among agents meeting every minimum (any agent when `widened`), the best match wins, ties by
 * longest idle.
 */
export function bestSkilledAgent(
  free: readonly FreeAgent[],
  required: Record<string, number>,
  widened: boolean,
): FreeAgent | undefined {
  let best: FreeAgent | undefined
  let bestScore = -1
  for (const a of free) {
    if (!widened && !meetsSkills(a, required)) continue
    const score = skillScore(a, required)
    if (!best || score > bestScore || (score === bestScore && byLongestIdle(a, best) < 0)) {
      best = a
      bestScore = score
    }
  }
  return best
}

/**
 * The agents to ring for one offer, per the queue's strategy: one for longest-idle and skills, up to
 * parallelCount for ring-parallel. `waitedSec` decides whether a skills queue is widened. Empty = nobody fits.
 */
export function chooseAgents(settings: QueueSettings, free: readonly FreeAgent[], waitedSec: number): FreeAgent[] {
  if (free.length === 0) return []
  switch (settings.strategy) {
    case 'ring-parallel':
      return longestIdleAgents(free, settings.parallelCount)
    case 'skills': {
      const widened = settings.widenSkillsAfterSec > 0 && waitedSec >= settings.widenSkillsAfterSec
      const a = bestSkilledAgent(free, settings.requiredSkills, widened)
      return a ? [a] : []
    }
    case 'longest-idle':
    default: {
      const a = longestIdleAgent(free)
      return a ? [a] : []
    }
  }
}
