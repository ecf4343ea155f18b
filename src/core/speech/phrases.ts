/**
 * The sentences koplus speaks, as lists of prompt ids (see ./catalogue.ts), to be played in
 * order (e.g. as one FreeSWITCH `file_string://` playback, see ../prompts.ts).
 */
import type { Lang } from './catalogue.js'
import { sayNumber } from './numbers.js'

/**
 * Waits above this many minutes are announced as "more than 180 minutes" rather than as a
 * number: an estimate that far out is not worth a precise figure.
 */
export const WAIT_CAP_MINUTES = 180

/**
 * "Your place in the queue is number N" (Q4). Swedish uses the counting form: "nummer ett".
 * @throws RangeError unless `position` is an integer ≥ 1.
 */
export function sayPosition(position: number, lang: Lang): string[] {
  if (!Number.isInteger(position) || position < 1) {
    throw new RangeError(`sayPosition: ${position} is not a position (integer ≥ 1)`)
  }
  return ['position-is', ...sayNumber(position, lang)]
}

/**
 * The minutes announced for a wait estimate, or a marker for the two phrases without a number.
 *
 * Rounding rule:
 * - under 60 s → 'less-than-a-minute';
 * - otherwise round to the nearest minute (90 s → 2, 89 s → 1); from 20 minutes on, to the
 *   nearest 5 minutes (a precise "about 47 minutes" would be false precision);
 * - above 180 minutes (after rounding) → 'more-than-cap'.
 */
export function roundWaitMinutes(estimateSeconds: number): number | 'less-than-a-minute' | 'more-than-cap' {
  if (estimateSeconds < 60) return 'less-than-a-minute'
  let minutes = Math.round(estimateSeconds / 60)
  if (minutes >= 20) minutes = Math.round(minutes / 5) * 5
  if (minutes > WAIT_CAP_MINUTES) return 'more-than-cap'
  return minutes
}

interface SayWaitOptions {
  /** Start with "The estimated waiting time is" (default true). */
  intro?: boolean
}

/**
 * The estimated-wait announcement (Q5): "The estimated waiting time is about 3 minutes",
 * "… less than a minute", "… about one minute" (sv "ungefär en minut"), "… more than 180
 * minutes". Returns [] (silence) when there is no basis for an estimate (`undefined`, NaN).
 * See roundWaitMinutes for the rounding rule.
 */
export function sayWait(estimateSeconds: number | undefined, lang: Lang, opts: SayWaitOptions = {}): string[] {
  if (estimateSeconds === undefined || !Number.isFinite(estimateSeconds)) return []
  const intro = opts.intro === false ? [] : ['wait-is']
  const rounded = roundWaitMinutes(Math.max(0, estimateSeconds))
  if (rounded === 'less-than-a-minute') return [...intro, 'wait-less-than-a-minute']
  if (rounded === 'more-than-cap') {
    return [...intro, 'wait-more-than', ...sayNumber(WAIT_CAP_MINUTES, lang), 'minutes']
  }
  return [
    ...intro,
    'wait-about',
    ...sayNumber(rounded, lang, { gender: 'common' }),
    rounded === 1 ? 'minute' : 'minutes',
  ]
}

/** "You are now logged in to N queues" / "… one queue" (sv "en kö"); N = 0 → "not logged in to any queue". */
export function sayLoggedIn(nQueues: number, lang: Lang): string[] {
  if (!Number.isInteger(nQueues) || nQueues < 0) {
    throw new RangeError(`sayLoggedIn: ${nQueues} is not a queue count`)
  }
  if (nQueues === 0) return ['agent-logged-in-none']
  return ['agent-logged-in-to', ...sayNumber(nQueues, lang, { gender: 'common' }), nQueues === 1 ? 'queue' : 'queues']
}

/** "You are now logged out." */
export function sayLoggedOut(): string[] {
  return ['agent-logged-out']
}

/** "You are now paused and will not receive calls." */
export function sayPaused(): string[] {
  return ['agent-paused']
}

/** "Your pause has ended. You can now receive calls." */
export function sayUnpaused(): string[] {
  return ['agent-unpaused']
}

/** The devices an agent can choose to receive calls on (D6). */
type AgentDevice = 'softphone' | 'deskphone' | 'mobile'

/** "Calls will now be delivered to your softphone / desk phone / mobile phone." */
export function sayDeviceChosen(device: AgentDevice): string[] {
  return [`agent-device-${device}`]
}

/** "Wrap-up has ended. You can now receive calls." */
export function sayWrapUpEnded(): string[] {
  return ['agent-wrapup-ended']
}

/** "Your user plan does not allow logging in to queues…" (T4). */
export function sayNotAllowedByPlan(): string[] {
  return ['agent-plan-not-allowed']
}

/** "You are not a member of this queue." */
export function sayNotMember(): string[] {
  return ['agent-not-member']
}

/** "That queue does not exist." */
export function sayUnknownQueue(): string[] {
  return ['agent-unknown-queue']
}

/** "An error occurred. Please try again later." */
export function sayError(): string[] {
  return ['error']
}

/** What a mobile agent hears when offered a call: "Call from the queue. Press 1 to take the call." */
export function sayMobileOffer(): string[] {
  return ['agent-offer-mobile']
}

/** Recording a prompt by phone (D3): instruction then the beep. */
export function sayRecordAfterBeep(): string[] {
  return ['record-after-beep', 'beep']
}

/** "Press 1 to keep it, or 2 to record again." */
export function sayRecordConfirm(): string[] {
  return ['record-confirm']
}

/** "Your message has been saved." */
export function sayPromptSaved(): string[] {
  return ['prompt-saved']
}
