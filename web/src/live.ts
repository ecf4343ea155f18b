/**
 * The live status stream (GET /api/v1/events, server-sent events): one `status` event at once and one after every
 * change in the engine. EventSource reconnects by itself; the indicator shows whether the page is live.
 */
import { t } from './i18n.js'

export interface QueueStatus {
  queueId: string
  tenantId: string
  number: string
  name: string
  strategy: string
  waiting: number
  longestWaitSec: number
  callers: {
    callId: string
    position: number
    callerNumber: string
    waitedSec: number
    ringing: string[]
    callback?: { number: string }
  }[]
  connected: number
  agents: { loggedIn: number; free: number; ringing: number; onCall: number; wrapUp: number; paused: number }
  overflowing: boolean
  overflowReason?: string
  estimatedWaitSec?: number
}

export interface AgentStatus {
  agentId: string
  name: string
  extension: string
  queues: string[]
  state: 'logged-out' | 'free' | 'ringing' | 'on-call' | 'wrap-up' | 'paused'
  paused: boolean
  pauseReason?: string
  deviceIndex: number
  registered: boolean
  autoLogoutReason?: string
  wrapUpEndsAt?: number
  /** The call the agent rings for or talks to is a callback (docs/callback.md): the number. */
  callbackNumber?: string
}

export interface Status {
  at: number
  queues: QueueStatus[]
  agents: AgentStatus[]
}

/**
 * Subscribe to status snapshots. `indicator` (optional) gets class on/off and a label. Returns a function that
 * closes the stream.
 */
export function subscribeStatus(
  onStatus: (s: Status, receivedAt: number) => void,
  indicator?: HTMLElement,
): () => void {
  const es = new EventSource('/api/v1/events', { withCredentials: true })
  const mark = (on: boolean): void => {
    if (!indicator) return
    indicator.classList.toggle('on', on)
    indicator.classList.toggle('off', !on)
    indicator.textContent = on ? t('live.on') : t('live.off')
  }
  mark(false)
  es.addEventListener('open', () => mark(true))
  es.addEventListener('error', () => {
    mark(false)
    // a closed stream after a logout: back to the login page
    if (es.readyState === EventSource.CLOSED) location.assign('/')
  })
  es.addEventListener('status', (ev) => {
    mark(true)
    try {
      onStatus(JSON.parse((ev as MessageEvent<string>).data) as Status, Date.now())
    } catch {
      // a malformed event: wait for the next
    }
  })
  return () => es.close()
}
