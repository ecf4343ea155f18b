/**
 * Answer confirmation (press 1, for mobiles: a voicemail never confirms) and the whisper of the queue name to the
 * agent before the bridge.
 */
import { sayMobileOffer } from '../speech/index.js'
import {
  CONFIRM_TIMEOUT_SEC,
  CONFIRM_READ_TIMEOUT_SEC,
  CAUSE,
  type CallerRt,
  type LegRt,
  type EngineState,
  clearTimer,
  emit,
  newToken,
  promptFiles,
  setTimer,
} from './engine-state.js'
import { legWins, releaseLeg } from './offers.js'

/** Mobile answer confirmation: the agent hears (the queue's name and) "press 1"; a voicemail never presses 1. */
export function askConfirmation(st: EngineState, leg: LegRt, caller: CallerRt): void {
  const queue = st.queues.get(caller.queueId)!
  leg.state = 'confirming'
  leg.token = newToken(st, 'confirm', leg.legId)
  const ids = [...(leg.whisper ? ['queue-name'] : []), ...sayMobileOffer()]
  emit(st, {
    type: 'play-leg',
    legId: leg.legId,
    files: promptFiles(st, ids, queue.settings.language, queue),
    token: leg.token,
    collectDigit: true,
  })
  setTimer(st, `confirm:${leg.legId}`, st.now + CONFIRM_TIMEOUT_SEC * 1000)
}

export function legDtmf(st: EngineState, legId: string, digit: string): void {
  const leg = st.legs.get(legId)
  if (!leg || leg.state !== 'confirming' || digit !== '1') return
  const offer = st.offers.get(leg.offerId)
  const caller = st.callers.get(leg.callId)
  if (!offer || !caller) return
  clearTimer(st, `confirm:${leg.legId}`)
  if (offer.winner) return releaseLeg(st, leg, CAUSE.loseRace, false)
  legWins(st, offer, leg, caller, true)
}

/** The "press 1" prompt ended without the key: CONFIRM_READ_TIMEOUT_SEC more to press it (never past the cap). */
export function confirmPromptEnded(st: EngineState, leg: LegRt): void {
  const id = `confirm:${leg.legId}`
  setTimer(st, id, Math.min(st.timers.get(id) ?? Infinity, st.now + CONFIRM_READ_TIMEOUT_SEC * 1000))
}

/**
 * The confirmation went unanswered (no 1 within CONFIRM_READ_TIMEOUT_SEC of the prompt's end, or
 * CONFIRM_TIMEOUT_SEC after answering): the leg is hung up and counts.
 */
export function confirmationMissed(st: EngineState, leg: LegRt): void {
  clearTimer(st, `confirm:${leg.legId}`)
  releaseLeg(st, leg, CAUSE.noAnswer, true, 'not confirmed')
}
