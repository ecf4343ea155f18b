/**
 * Who gets into a queue (SPEC S4, D4, D5): a caller arriving at a closed, overflowing or agent-less queue is
 * not queued but gets that situation's message and end action. Pure: the schedule verdict and the queue's
 * load are passed in.
 */
import type { EndAction, Queue, QueueSettings } from '../model.js'

/** The queue's situation at the instant a caller arrives. */
export interface QueueLoad {
  /** Callers waiting in the queue now (not counting the one arriving). */
  waiting: number
  /** How long the longest-waiting caller has waited, in seconds (0 when none). */
  longestWaitSec: number
  /** Estimated wait for a caller joining now, in seconds; undefined when there is no basis. */
  estimatedWaitSec?: number
  /** Agents logged in to the queue (paused or not). */
  agentsLoggedIn: number
}

/** Overflow is a state with hysteresis, so the queue does not flap open/closed at the threshold. */
export interface OverflowState {
  overflowing: boolean
  /** When the current overflow began. */
  since?: number
  /** Which threshold closed the queue, for status and the event log. */
  reason?: string
}

/** The schedule's verdict (opening hours, holidays, temporary closures). */
export interface OpenState {
  open: boolean
  reason: string
  /** A closure's own message, played instead of the queue's closing message. */
  prompt?: string
}

type Admission =
  { kind: 'enter' } | { kind: 'closed' | 'overflow' | 'no-agents'; prompt: string; action: EndAction; reason: string }

export const NOT_OVERFLOWING: OverflowState = { overflowing: false }

/**
 * Which overflow threshold the load passes, scaled by `ratio` (1 to close, the reopen ratio to reopen).
 * "More than X callers wait": a queue with X waiting turns the next caller away, so at most X ever wait.
 */
function overflowThresholdPassed(settings: QueueSettings, load: QueueLoad, ratio = 1): string | undefined {
  const { overflowMaxCallers: maxCallers, overflowMaxWaitSec: maxWait, overflowMaxEstimatedWaitSec: maxEst } = settings
  if (maxCallers > 0 && load.waiting >= maxCallers * ratio)
    return `${load.waiting} callers waiting (limit ${maxCallers})`
  if (maxWait > 0 && load.longestWaitSec >= maxWait * ratio) {
    return `longest wait ${Math.round(load.longestWaitSec)} s (limit ${maxWait} s)`
  }
  if (maxEst > 0 && load.estimatedWaitSec !== undefined && load.estimatedWaitSec >= maxEst * ratio) {
    return `estimated wait ${Math.round(load.estimatedWaitSec)} s (limit ${maxEst} s)`
  }
  return undefined
}

/**
 * Automatic closing on overflow (D4), with hysteresis: the queue closes when a threshold is reached and reopens
 * only when the load is below `overflowReopenRatio` of every threshold.
 */
export function updateOverflow(
  settings: QueueSettings,
  load: QueueLoad,
  prev: OverflowState,
  now: number,
): OverflowState {
  if (!prev.overflowing) {
    const reason = overflowThresholdPassed(settings, load, 1)
    return reason ? { overflowing: true, since: now, reason } : prev
  }
  const ratio = Math.min(1, Math.max(0, settings.overflowReopenRatio))
  const stillPassed = overflowThresholdPassed(settings, load, ratio)
  return stillPassed ? prev : NOT_OVERFLOWING
}

/**
 * The admission decision for a new caller. Order: closed by schedule/closure (S4), overflow (D4),
 * no agent logged in (D5, only when the queue has a no-agents action), else the caller enters.
 */
export function admit(queue: Queue, open: OpenState, load: QueueLoad, overflow: OverflowState): Admission {
  const s = queue.settings
  if (!open.open) {
    return { kind: 'closed', prompt: open.prompt || s.closedPrompt, action: s.closedAction, reason: open.reason }
  }
  if (overflow.overflowing) {
    return {
      kind: 'overflow',
      prompt: s.overflowPrompt,
      action: s.overflowAction,
      reason: overflow.reason ?? 'overflow',
    }
  }
  if (load.agentsLoggedIn === 0 && s.noAgentsAction) {
    return { kind: 'no-agents', prompt: s.noAgentsPrompt, action: s.noAgentsAction, reason: 'no agent logged in' }
  }
  return { kind: 'enter' }
}
