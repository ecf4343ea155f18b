/**
 * Timers: every `timer` event the engine set (ring timeout, confirmation, announcements, max wait, widening, wrap-
 * up, no-agents grace, feature calls, the next opening/closing) routed to its part.
 */
import { TIMER_SLACK_MS, type EngineState } from './engine-state.js'
import { announcementDue } from './announcements.js'
import { confirmationMissed } from './confirmation.js'
import { featureHangup } from './feature-calls.js'
import { leaveQueue, noAgentsGraceOver } from './journey.js'
import { offerTimedOut } from './offers.js'
import { reviewOpenState } from './open-state.js'
import { endWrapUp } from './wrap-up.js'
import { callbackExpired, callbackInputTimeout } from './callback.js'
import { callbackConfirmMissed } from './callback-call.js'
import { callbacksRestoreTimeout } from './callback-restore.js'

export function timerFired(st: EngineState, id: string): void {
  const at = st.timers.get(id)
  if (at === undefined || at > st.now + TIMER_SLACK_MS) return
  st.timers.delete(id)
  const sep = id.indexOf(':')
  const kind = id.slice(0, sep)
  const key = id.slice(sep + 1)
  switch (kind) {
    case 'offer':
      return offerTimedOut(st, key)
    case 'confirm': {
      const leg = st.legs.get(key)
      if (leg && leg.state === 'confirming') confirmationMissed(st, leg)
      return
    }
    case 'ann': {
      const c = st.callers.get(key)
      if (c) announcementDue(st, c)
      return
    }
    case 'maxwait': {
      const c = st.callers.get(key)
      if (c && c.phase === 'queued' && !c.callback) {
        const s = st.queues.get(c.queueId)!.settings
        leaveQueue(st, c, 'EXITWITHTIMEOUT', 'max-wait', '', s.maxWaitAction, { maxWaitSec: s.maxWaitSec })
      }
      return
    }
    case 'widen':
      return // dispatch() runs after every event and now sees the widened caller
    case 'retry':
      return // the agent's pause after a refused leg is over: dispatch() runs after every event
    case 'wrapup': {
      const a = st.agents.get(key)
      if (a) endWrapUp(st, a, 'system')
      return
    }
    case 'noagents':
      return noAgentsGraceOver(st, key)
    case 'sched':
      return reviewOpenState(st)
    case 'cbinput': {
      const c = st.callers.get(key)
      if (c) callbackInputTimeout(st, c)
      return
    }
    case 'cbconfirm':
      return callbackConfirmMissed(st, key)
    case 'cbrestore':
      return callbacksRestoreTimeout(st)
    case 'cbretry':
      return // matching runs after every event and now sees the callback due
    case 'cbexpire': {
      const c = st.callers.get(key)
      if (c) callbackExpired(st, c)
      return
    }
    case 'feat': {
      const f = st.features.get(key)
      if (f) featureHangup(st, f)
      return
    }
  }
}
