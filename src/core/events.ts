/**
 * Inputs of the pure core. The FreeSWITCH adapter turns channel events into these; the API turns operator actions
 * into these; the daemon turns fired timers into `timer` events. Every event is handled at an instant `now`
 * (epoch ms) passed alongside it: the core never reads a clock.
 */
import type { Agent, EndAction, Language, Membership, Queue, Tenant } from './model.js'
import type { Closure, HolidayCalendar, Schedule } from './schedule/types.js'

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

/** A caller's arrival (CHANNEL_PARK with koplus_queue), or a caller rebuilt after a restart (`restored`). */
export type CallArrived = Extract<CoreEvent, { type: 'call-arrived' }>

export type CoreEvent =
  // ── configuration: the whole of it at start-up, then one event per operator change ──
  | { type: 'config'; config: CoreConfig }
  | ConfigChange
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
  /**
   * The callers rebuilt from FreeSWITCH after a (re)connect, in one step (issue 13, recovery): each is handled as its
   * `call-arrived` would be, in the order given (queue order), then matching runs once. The daemon carries out the
   * commands of the whole rebuild once (one store transaction instead of one per caller).
   */
  | { type: 'calls-restored'; calls: CallArrived[] }
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
  // ── callbacks (issue 14): operators cancel one or move it to another place in its queue ──
  | { type: 'callback-cancel'; callId: string; source: Source }
  /** 1 = first in its queue. */
  | { type: 'callback-move'; callId: string; position: number; source: Source }
  /**
   * After every read of FreeSWITCH's channels (a rebuild): the koplus legs found whose call has no channel of its
   * own, i.e. the legs of callback attempts (the agent's, and the called person's with agentId ''). The core
   * carries on with those of its callbacks and ends the others (callback-restore.ts).
   */
  | { type: 'callback-legs-found'; legs: FoundLeg[] }
  // ── time ──
  | { type: 'timer'; id: string }
  /**
   * Kept for callers of the old API: re-evaluates which queues are open now and re-arms the core's own timer. Not
   * needed any more (schedules, calendars and closures arrive as events and the core times their changes itself).
   */
  | { type: 'reevaluate' }

/**
 * One operator change to the configuration (the daemon sends one of these per change instead of a whole `config`).
 * `-added` and `-changed` are handled alike (the entity is put in place by its id).
 */
export type ConfigChange =
  | { type: 'tenant-added' | 'tenant-changed'; tenant: Tenant }
  | { type: 'tenant-removed'; tenantId: string }
  | { type: 'queue-added' | 'queue-changed'; queue: Queue }
  /** Callers waiting in a removed queue are kept until they leave; agents are logged out of it. */
  | { type: 'queue-removed'; queueId: string }
  | { type: 'agent-added' | 'agent-changed'; agent: Agent }
  | { type: 'agent-removed'; agentId: string }
  | { type: 'membership-added'; membership: Membership }
  | { type: 'membership-removed'; membership: Membership }
  /** A queue's opening hours; null = always open (closures still apply). */
  | { type: 'schedule-changed'; queueId: string; schedule: Schedule | null }
  | { type: 'calendar-added' | 'calendar-changed'; calendar: HolidayCalendar }
  | { type: 'calendar-removed'; calendarId: string }
  | { type: 'closure-added' | 'closure-changed'; closure: Closure }
  | { type: 'closure-removed'; closureId: string }
  | { type: 'prompt-override-set'; override: PromptOverride }
  | { type: 'prompt-override-removed'; override: Omit<PromptOverride, 'path'> }

/** A prompt recorded or imported by an operator: it replaces the shipped one for the tenant (queueId null) or a queue. */
export interface PromptOverride {
  tenantId: string
  queueId: string | null
  language: Language
  /** The prompt id, e.g. 'welcome'. */
  name: string
  /** The file as FreeSWITCH sees it. */
  path: string
}

export type Source = 'phone' | 'cli' | 'web' | 'api' | 'system'

/**
 * Everything the core needs to decide, as plain data. Built by the daemon from the store and its config file, sent
 * once at start-up (later changes come as ConfigChange events).
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
  /** Opening hours per queue id; a queue without an entry (or null) is always open, closures still apply. */
  schedules?: Record<string, Schedule | null>
  /** Holiday calendars the schedules name. */
  calendars?: HolidayCalendar[]
  /** Temporary closures (active, future and ended). */
  closures?: Closure[]
  /** Prompts recorded or imported by operators (D3). */
  promptOverrides?: PromptOverride[]
  /** The shipped prompts' directory as FreeSWITCH sees it: `<soundsDir>/<lang>/<id>.wav` ('' = relative paths). */
  soundsDir?: string
  /** Where prompts recorded by phone are written, as FreeSWITCH sees it (default `recordings`). */
  recordingsDir?: string
  /** The callback leg's dial string: `${number}` is the number to call (default `sofia/gateway/default/${number}`). */
  callbackDialString?: string
  /** Callbacks still pending at start-up (stored), rebuilt as virtual callers in their places. */
  callbacks?: StoredCallback[]
}

/** A live leg of a callback attempt found in FreeSWITCH after a restart (koplus_role=agent, koplus_call = callback). */
export interface FoundLeg {
  legId: string
  /** The callback's call id (koplus_call). */
  callId: string
  /** koplus_agent: the agent's leg; '' for the called person's leg. */
  agentId: string
  /** koplus_queue_id of the originate, when set. */
  queueId?: string
  answered: boolean
  /** The leg it is bridged with (both sides name each other), when bridged. */
  bridgedWith?: string
  /** When it was bridged (epoch ms), when FreeSWITCH says. */
  bridgedAt?: number
}

/** A pending callback as the store keeps it. */
export interface StoredCallback {
  callId: string
  queueId: string
  number: string
  callerNumber: string
  requestedAt: number
  joinedAt: number
  seq: number
  attempts: number
  nextAttemptAt: number
  heldSince?: number | null
}
