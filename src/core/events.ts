/**
 * Inputs of the pure core. The FreeSWITCH adapter turns channel events into these; the API turns operator actions
 * into these; the daemon turns fired timers into `timer` events. Every event is handled at an instant `now`
 * (epoch ms) passed alongside it: the core never reads a clock.
 */
import type { Agent, EndAction, Membership, Queue, Tenant } from './model.js'

/** What the core needs to put a caller back in its place after a daemon restart (from channel variables + SQLite). */
export interface RestoredCall {
  joinedAt: number
  seq: number
  /** Compact announcement state as saved in the channel variable koplus_announce. */
  announce?: string
  /** true when the channel was already answered. */
  answered: boolean
  /** true when the caller was bridged to an agent when the daemon went away. */
  bridgedTo?: { legId: string; agentId: string }
  /**
   * The queue's stable id (koplus_queue_id, else the call record's queue): matched before the number, so a queue
   * renumbered while the daemon was down keeps its callers.
   */
  queueId?: string
  /**
   * The caller was connected to an agent (koplus_connected / koplus_connected_agent) and is no longer bridged: the
   * agent hung up while the daemon was away (park_after_bridge parked the caller). Ended as that hang-up would have.
   */
  connected?: { at: number; agentId: string }
  /** The call record is already closed (the daemon wrote the end before it went away): nothing to record again. */
  recordClosed?: boolean
  /** A call record exists for the call (it can be updated without its start fields). */
  hasRecord?: boolean
  /** Some koplus_* variables were invalid and were replaced (the core saves the repaired values on the channel). */
  repaired?: boolean
}

export type CoreEvent =
  // ── configuration (loaded from SQLite at start, and again after every operator change) ──
  | { type: 'config'; config: CoreConfig }
  // ── the caller's leg ──
  /** A call parked by our dialplan with koplus_queue set (or rebuilt after a restart). */
  | {
      type: 'call-arrived'
      callId: string
      queueNumber: string
      tenantDomain: string
      callerNumber: string
      callerName: string
      restored?: RestoredCall
    }
  /** The caller's channel was answered (CHANNEL_ANSWER). */
  | { type: 'call-answered'; callId: string }
  /** A `play` command finished (completed or was interrupted). */
  | { type: 'prompt-finished'; callId: string; token: string; interrupted: boolean }
  | { type: 'call-dtmf'; callId: string; digit: string }
  /** The caller hung up or the channel is gone. */
  | { type: 'call-hungup'; callId: string; cause: string }
  /** After an agent leg ended, the caller parked again (park_after_bridge=true). */
  | { type: 'call-parked-after-bridge'; callId: string }
  // ── agent legs (one per device we ring) ──
  | { type: 'leg-ringing'; legId: string }
  | { type: 'leg-answered'; legId: string }
  /** Originate failed or the leg hung up before it was bridged (cause e.g. NO_ANSWER, USER_BUSY, CALL_REJECTED, LOSE_RACE). */
  | { type: 'leg-failed'; legId: string; cause: string }
  | { type: 'leg-dtmf'; legId: string; digit: string }
  /** The caller and the leg are bridged (CHANNEL_BRIDGE). */
  | { type: 'bridged'; callId: string; legId: string }
  /** The agent leg ended after it was bridged (the conversation is over on the agent side). */
  | { type: 'leg-hungup'; legId: string; cause: string }
  // ── agents ──
  | { type: 'agent-login'; agentId: string; queueIds?: string[]; source: Source }
  | { type: 'agent-logout'; agentId: string; queueIds?: string[]; source: Source; reason?: string }
  | { type: 'agent-pause'; agentId: string; paused: boolean; reason?: string; source: Source }
  | { type: 'agent-device'; agentId: string; deviceIndex: number; source: Source }
  | { type: 'agent-end-wrapup'; agentId: string; source: Source }
  /** sofia::register / unregister / expire, and registrations read at start-up. */
  | { type: 'registration'; sipUser: string; domain: string; registered: boolean }
  /** A device of an agent is busy/free on a call that is not ours (e.g. a private call), from channel events. */
  | { type: 'device-busy'; target: string; busy: boolean }
  // ── feature codes (agents dialling *7x) ──
  /** A parked call with koplus_feature set; sipUser is variable_sip_auth_username ('' when not authenticated). */
  | { type: 'feature-call'; callId: string; digits: string; sipUser: string; domain: string }
  // ── time ──
  | { type: 'timer'; id: string }
  // ── schedule / closures changed: re-evaluate which queues are open ──
  | { type: 'reevaluate' }

export type Source = 'phone' | 'cli' | 'web' | 'api' | 'system'

/**
 * Everything the core needs to decide. Built by the daemon from the store. `isOpen` and `estimate*` are
 * functions so that the schedule evaluator and the wait estimator (pure modules) can be plugged in.
 */
export interface CoreConfig {
  tenants: Tenant[]
  queues: Queue[]
  agents: Agent[]
  memberships: Membership[]
  /** Agent sessions to restore at start-up: which agents are logged in to which queues. */
  sessions: { agentId: string; queueId: string; since: number; paused: boolean; pauseReason?: string }[]
  /** Device dial-string templates, e.g. { softphone: 'user/${target}@${domain}', mobile: 'sofia/gateway/gw/${target}' }. */
  dialTemplates: Record<string, string>
  /** Feature codes. */
  featureCodes: { login: string; logout: string; device: string; pause: string; wrapUpEnd: string; record: string }
  /** A caller restored after a restart whose queue no longer exists: what happens (default busy). */
  unknownQueueAction?: EndAction
}
