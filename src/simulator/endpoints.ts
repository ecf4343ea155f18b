import { labExtension } from './dialplan.js'

/**
 * Simulated far ends: SIP phones registered as users, and any dial string matched by pattern.
 */

/** How a far end behaves when called. All times are milliseconds on the simulator's clock. */
export interface EndpointBehaviour {
  /** Answer this long after the call arrives (default 0). */
  answerAfterMs?: number
  /** Never answer: the originate ends with NO_ANSWER at originate_timeout. */
  neverAnswer?: boolean
  /** Refuse the call with this cause (USER_BUSY for SIP 486, CALL_REJECTED for 603) after rejectAfterMs. */
  reject?: string
  rejectAfterMs?: number
  /** Hang up this long after answering (NORMAL_CLEARING). */
  hangupAfterMs?: number
  /** Keys pressed after answering (e.g. '1' to confirm a mobile call), afterMs after the answer. */
  pressKeys?: { keys: string; afterMs?: number }
  /** Send ringing (CHANNEL_PROGRESS) before answering (default true). */
  ring?: boolean
}

/** A SIP user in the simulated directory. */
export interface SimUser {
  user: string
  domain: string
  registered: boolean
  behaviour: EndpointBehaviour
  callId: string
  contactPort: number
  registeredAt?: number
  expiresSecs: number
}

/** A dial-string pattern with its behaviour. */
export interface PatternEndpoint {
  pattern: string | RegExp
  behaviour: EndpointBehaviour
}

/** Does a dial string (e.g. `sofia/gateway/gw/0701234567`) match a pattern (exact, prefix with '*', or RegExp)? */
export function matchesPattern(pattern: string | RegExp, dial: string): boolean {
  if (typeof pattern !== 'string') return pattern.test(dial)
  if (pattern.endsWith('*')) return dial.startsWith(pattern.slice(0, -1))
  return pattern === dial
}

/** Far-end behaviour of the captures' lab-<ext> SIP destinations (INDEX.txt: busy-486, decline-603, ...). */
export function labBehaviour(ext: string): EndpointBehaviour {
  switch (ext) {
    case 'busy-486':
      return { reject: 'USER_BUSY' }
    case 'decline-603':
      return { reject: 'CALL_REJECTED' }
    case 'agent-answer':
      return { answerAfterMs: 0 }
    case 'agent-answer-1s':
      return { answerAfterMs: 1000 }
    case 'agent-answer-3s':
      return { answerAfterMs: 3000 }
    default:
      return labExtension(ext) ? { answerAfterMs: 0 } : { neverAnswer: true }
  }
}
