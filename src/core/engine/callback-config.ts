/**
 * Callbacks whose queue changed under them (issue 14, docs/callback.md "When the queue goes"): a queue deleted, or
 * its callback switched off (`callbackKey` emptied), while callbacks keep places in it. Nothing would ever call
 * those back, so each ends at once as cancelled with the reason (`queue-deleted`, `callback-off`), audited as
 * CALLBACKCANCELLED (source `system`) and stored. A callback being dialled finishes its attempt first (connected:
 * served; not reached: cancelled then, callback-call.ts). A caller still confirming a number on the line just
 * waits on as before when the callback is switched off (CALLBACKABANDONED `why: callback-off`).
 */
import type { CallbackFailReason } from '../commands.js'
import { type EngineState } from './engine-state.js'
import { abandonSetup, giveUp } from './callback.js'

/** Why callbacks of `queueId` cannot be made any more (undefined: they can). */
export function callbackNoLonger(
  st: EngineState,
  queueId: string,
): Extract<CallbackFailReason, 'queue-deleted' | 'callback-off'> | undefined {
  const queue = st.queues.get(queueId)
  if (!queue) return 'queue-deleted'
  if (!queue.settings.callbackKey) return 'callback-off'
  return undefined
}

/** After an operator's change: callbacks whose queue went or stopped offering callback end (see the header). */
export function callbacksConfigChanged(st: EngineState): void {
  for (const c of [...st.callers.values()]) {
    const cb = c.callback
    if (!cb) continue
    const why = callbackNoLonger(st, c.queueId)
    if (!why) continue
    if (cb.state === 'waiting') giveUp(st, c, why, 'system')
    else if (cb.state === 'setup') abandonSetup(st, c, why)
  }
}
