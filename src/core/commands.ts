/**
 * Outputs of the pure core: intents the shell carries out (ESL commands, timers, SQLite writes).
 * The FreeSWITCH adapter maps call/leg commands to ESL; the daemon maps timers to its clock and
 * log/record commands to the store.
 */
import type { Source } from './events.js'

export type Command =
  // ── caller leg ──
  | { type: 'answer'; callId: string }
  /** Early media without answering (callers we will not serve are not charged). */
  | { type: 'pre-answer'; callId: string }
  /** Play prompts in order (file ids already resolved to paths by the core or the shell: see `files`). A
   * `prompt-finished` with the same token follows. */
  | { type: 'play'; callId: string; files: string[]; token: string }
  /** Start music on hold: `playback` with loops -1 (interruptible, keys are heard). */
  | { type: 'hold-music'; callId: string; source: string }
  /** Stop whatever the caller hears now (uuid_break all). */
  | { type: 'stop-audio'; callId: string }
  | { type: 'set-vars'; callId: string; vars: Record<string, string> }
  /** Ring agents: one originate with one or more parallel legs, each with our own leg id (origination_uuid). */
  | {
      type: 'originate'
      callId: string
      offerId: string
      legs: { legId: string; agentId: string; dialString: string; confirm: boolean; whisper: boolean }[]
      timeoutSec: number
      callerIdName: string
      callerIdNumber: string
      queueId: string
    }
  /** Stop a ringing leg (uuid_kill <leg> ORIGINATOR_CANCEL) or end an agent leg. */
  | { type: 'hangup-leg'; legId: string; cause: string }
  /** Play to an agent leg (whisper / mobile confirmation prompt). */
  | { type: 'play-leg'; legId: string; files: string[]; token: string; collectDigit: boolean }
  /** Bridge caller and leg; the shell sets park_after_bridge=true on the caller first. */
  | { type: 'bridge'; callId: string; legId: string }
  /** Bridge two legs we originated (a callback: the agent's leg and the called-back person's); no park after it. */
  | { type: 'bridge-legs'; legId: string; otherLegId: string }
  | { type: 'hangup'; callId: string; cause: string }
  /** Forward the caller to another number (uuid_transfer / bridge out). */
  | { type: 'transfer'; callId: string; destination: string }
  /** Record a prompt from the caller (feature code *79). */
  | { type: 'record'; callId: string; path: string; maxSec: number; silenceSec: number; token: string }
  // ── time ──
  | { type: 'set-timer'; id: string; at: number }
  | { type: 'clear-timer'; id: string }
  // ── persistence / observability ──
  /** Append to the event log (queue_log style). */
  | {
      type: 'log'
      at: number
      callId: string
      queueId: string
      agentId: string
      event: string
      data?: Record<string, unknown>
    }
  /** Upsert the call record of a queue call. */
  | { type: 'call-record'; record: CallRecordUpdate }
  /**
   * Record an offer (one agent leg): at the originate (`device`, offeredAt = `at`), when it ends without the caller
   * (`result`, endedAt = `at`), when it wins (`result` 'answered', `answeredAt`) and when the conversation ends
   * (`endedAt`). Per-agent statistics are derived from these rows.
   */
  | {
      type: 'offer-record'
      legId: string
      callId: string
      agentId: string
      at: number
      device?: string
      result?: OfferOutcome
      cause?: string
      answeredAt?: number
      endedAt?: number
    }
  /** Upsert a callback (issue 14): stored so a restart rebuilds the virtual caller in its place. */
  | { type: 'callback-record'; record: CallbackRecordUpdate }
  /** Persist an agent session change (so a restart restores it). */
  | {
      type: 'agent-session'
      agentId: string
      queueId: string
      loggedIn: boolean
      paused: boolean
      pauseReason?: string
      at: number
      source: Source
    }
  /** Persist the agent's chosen device. */
  | { type: 'agent-device'; agentId: string; deviceIndex: number }
  /** An announced wait estimate, for accuracy reporting. */
  | { type: 'ewt'; callId: string; queueId: string; at: number; position: number; seconds: number }
  /** A prompt recorded by phone was kept: store it as the prompt of that queue and language. */
  | { type: 'prompt-recorded'; tenantId: string; queueId: string | null; language: string; name: string; path: string }
  /** An agent action (login, logout, pause, device, end wrap-up) was refused; the API/CLI shows `message`. */
  | {
      type: 'rejected'
      agentId: string
      action: string
      reason: RejectReason
      message: string
      source: Source
      queueIds?: string[]
    }

/** How an offer ended (the store's OFFER_RESULTS). */
export type OfferOutcome =
  'answered' | 'no-answer' | 'busy' | 'rejected' | 'failed' | 'lost-race' | 'cancelled' | 'confirm-timeout'

/** Why an agent action was refused (stable codes for the API/CLI). */
export type RejectReason =
  'unknown-agent' | 'plan' | 'not-member' | 'unknown-queue' | 'not-logged-in' | 'bad-device' | 'not-in-wrapup'

export interface CallRecordUpdate {
  callId: string
  queueId?: string
  tenantId?: string
  callerNumber?: string
  callerName?: string
  arrivedAt?: number
  enteredQueueAt?: number
  answeredAt?: number
  endedAt?: number
  outcome?: string
  agentId?: string
}

/** A callback's lifecycle as stored (the store's callbacks table). */
export type CallbackState = 'waiting' | 'dialing' | 'completed' | 'failed' | 'cancelled'

/**
 * Why a callback ended without a conversation. Cancelled (state 'cancelled'): by an operator ('cancelled'), its queue
 * deleted ('queue-deleted') or its queue's callback switched off ('callback-off'); the others are failures.
 */
export type CallbackFailReason =
  'no-answer' | 'busy' | 'not-confirmed' | 'failed' | 'expired' | 'cancelled' | 'queue-deleted' | 'callback-off'

export interface CallbackRecordUpdate {
  /** The call id of the call that asked for the callback. */
  callId: string
  queueId?: string
  tenantId?: string
  number?: string
  callerNumber?: string
  requestedAt?: number
  joinedAt?: number
  seq?: number
  state?: CallbackState
  attempts?: number
  nextAttemptAt?: number
  heldSince?: number | null
  reason?: CallbackFailReason
  connectedAt?: number
  agentId?: string
  endedAt?: number
}
