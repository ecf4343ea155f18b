/** What `CallCenter.status(now)` reports (SPEC A2): per queue and per agent, for the CLI, API and web pages. */
import type { Device } from '../model.js'

/** An agent's state as a supervisor names it. 'paused' is shown only while the agent is otherwise free. */
export type AgentStateName = 'logged-out' | 'free' | 'ringing' | 'on-call' | 'wrap-up' | 'paused'

interface WaitingCallerStatus {
  callId: string
  /** 1-based place in the queue (arrival order). */
  position: number
  seq: number
  callerNumber: string
  waitedSec: number
  /** Agents whose phones ring for this caller now (several with ring-parallel). */
  ringing: string[]
  /** A callback keeping this place (the caller hung up; issue 14): the number to call and its attempts. */
  callback?: CallbackStatus
}

export interface CallbackStatus {
  number: string
  /** setup: the caller is confirming the number; waiting: keeps the place; dialing: an attempt is under way. */
  state: 'setup' | 'waiting' | 'dialing'
  requestedAt: number
  attempts: number
  /** Not tried before this instant (a retry's delay). */
  nextAttemptAt: number
  /** Held because the queue is closed, since this instant. */
  heldSince?: number
}

export interface QueueStatus {
  queueId: string
  tenantId: string
  number: string
  name: string
  strategy: string
  waiting: number
  longestWaitSec: number
  callers: WaitingCallerStatus[]
  /** Callers talking to an agent of this queue now. */
  connected: number
  agents: { loggedIn: number; free: number; ringing: number; onCall: number; wrapUp: number; paused: number }
  overflowing: boolean
  overflowReason?: string
  /** Estimated wait for a caller joining now (seconds), when there is a basis. */
  estimatedWaitSec?: number
}

export interface AgentStatus {
  agentId: string
  tenantId: string
  name: string
  extension: string
  /** Queue ids the agent is logged in to. */
  queues: string[]
  state: AgentStateName
  paused: boolean
  pauseReason?: string
  deviceIndex: number
  activeDevice?: Device
  /** The active device can take calls (registered SIP user, or a mobile). */
  registered: boolean
  /** The active device is on a call that is not ours. */
  deviceBusy: boolean
  /** When the agent last became free (login or end of wrap-up); only while logged in. */
  idleSince?: number
  /** Consecutive unanswered offers. */
  unanswered: number
  /** Why the agent was logged out automatically (kept until the next login). */
  autoLogoutReason?: string
  /** The caller the agent is ringing for or talking to. */
  callId?: string
  /** That call is a callback (issue 14): the number the agent will be connected to. */
  callbackNumber?: string
  wrapUpEndsAt?: number
}

export interface CenterStatus {
  at: number
  queues: QueueStatus[]
  agents: AgentStatus[]
}
