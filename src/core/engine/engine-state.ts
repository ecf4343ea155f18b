/**
 * The engine's one shared state (EngineState: every table of queues, callers, agents, offers, legs, timers) with
 * the runtime types, constants and the small helpers every part uses (emit a command, log, ids, tokens, timers,
 * prompt files, the wait estimators).
 */
import type { Command, OfferOutcome } from '../commands.js'
import type { CoreConfig } from '../events.js'
import { deterministicId } from '../ids.js'
import { EMPTY_CONFIG, PromptFiles } from './configuration.js'
import { OpenStateBook } from './open-state.js'
import type { Agent, EndAction, Language, Queue, Tenant } from '../model.js'
import { type AnnounceState, type OverflowState } from '../journey/index.js'
import { WaitEstimator } from '../ewt/wait-estimator.js'
import { AgentIndex } from './agent-index.js'
import type { OldestInLine } from './waiting-line.js'

/**
 * The wait estimator the engine feeds, one per queue (src/core/ewt/wait-estimator.ts, WaitEstimator). Times in ms,
 * estimate in seconds.
 */
export interface WaitEstimatorLike {
  /** Staffing and queue length after every event (serving = logged in and not paused; busy = of those, not free). */
  recordState?(at: number, servingAgents: number, busyAgents: number, queuedCallers: number): void
  /** A queued caller was offered; `backlogged` when the caller had to wait for an agent to come free. */
  recordServiceStart?(at: number, backlogged: boolean): void
  recordAnswered(at: number, waitedMs: number, ringMs?: number): void
  /** An agent finished a call of this queue: talk + wrap-up. */
  recordHandled(at: number, handleMs: number): void
  recordAbandoned(at: number, waitedMs: number): void
  estimate(position: number, servingAgents: number, busyAgents: number, now: number): number | undefined
}

/**
 * Optional plug-ins of the engine, all pure. Everything else it knows (schedules, closures, prompts, sounds and
 * recordings directories) arrives as events (`config` and ConfigChange).
 */
export interface CallCenterDeps {
  /** A wait estimator for a queue (one per queue, kept while the queue exists). Default: `new WaitEstimator()`. */
  estimatorFor?(queue: Queue): WaitEstimatorLike
}

/** Seconds a confirming (mobile) agent has to press 1 after answering. */
export const CONFIRM_TIMEOUT_SEC = 15
/**
 * Seconds a confirming agent still has to press 1 after the "press 1" prompt ended (added by the issue-5
 * integration tests: a person answers the question just after hearing it, and was hung up on when the prompt's end
 * counted as a miss). FreeSWITCH's own answer confirmation waits the same way after its prompt
 * (switch_ivr_originate: group_confirm_read_timeout, 5000 ms by default; FusionPBX call centres use 2000 ms).
 * A voicemail never presses 1, so it is still moved past within seconds of the prompt.
 */
export const CONFIRM_READ_TIMEOUT_SEC = 3
/** Seconds a prompt-recording caller has to press 1 or 2 after the review played. */
export const RECORD_CHOICE_TIMEOUT_SEC = 10
/** Longest recording by phone, and the silence that ends it. */
export const RECORD_MAX_SEC = 120
export const RECORD_SILENCE_SEC = 5
/** Hang-up causes (FreeSWITCH names). */
export const CAUSE = {
  normal: 'NORMAL_CLEARING',
  busy: 'USER_BUSY',
  cancel: 'ORIGINATOR_CANCEL',
  noAnswer: 'NO_ANSWER',
  loseRace: 'LOSE_RACE',
  unallocated: 'UNALLOCATED_NUMBER',
} as const
/** Leg failures that are not the agent's doing: another leg won, or we cancelled it. */
export const NOT_COUNTED_CAUSES = new Set<string>([CAUSE.loseRace, CAUSE.cancel, 'PICKED_OFF'])
/**
 * An agent whose phone refused a leg at once (busy, rejected, not registered, unreachable) is not rung again for
 * this long. Without the pause, one waiting caller and one such agent made an originate every millisecond: the leg
 * fails within a round trip, the agent is free again and is the only one to try (mod_callcenter has
 * busy_delay_time / reject_delay_time for the same reason; its 100 ms dispatch poll bounds the rate otherwise).
 * A no-answer after the ring time is not paused: it already took the ring time.
 */
export const FAILED_DEVICE_PAUSE_MS = 3000
/** Tolerance for a timer that fires a hair early on a real clock. */
export const TIMER_SLACK_MS = 50

export type Busy = 'none' | 'ringing' | 'on-call' | 'wrap-up'

export interface AgentRt {
  agent: Agent
  queues: Set<string>
  paused: boolean
  pauseReason?: string
  busy: Busy
  idleSince: number
  unanswered: number
  autoLogoutReason?: string
  /** Ringing: the leg; on call: the leg bridged to the caller. */
  legId?: string
  callId?: string
  wrapUpEndsAt?: number
  /** Cached registration key of the active device: '' = mobile (always reachable), null = no device. */
  regKey?: string | null
  /** The call just finished, until wrap-up ends (for the handle time). */
  handling?: { queueId: string; talkMs: number; wrapFrom: number }
  /** After a leg that failed without ringing out (busy, rejected, not registered): not offered again before this. */
  retryAt?: number
}

type CallerPhase = 'welcome' | 'queued' | 'connecting' | 'bridged' | 'after' | 'ending'

export interface CallerRt {
  callId: string
  queueId: string
  tenantId: string
  callerNumber: string
  callerName: string
  arrivedAt: number
  phase: CallerPhase
  answered: boolean
  seq: number
  joinedAt: number
  announce: AnnounceState
  /** What the caller hears now that we wait to finish (token of the last `play`). */
  playing?: { token: string; what: 'welcome' | 'first' | 'announce' | 'end' | 'callback' }
  offerId?: string
  /** Agents already offered this caller without answering: tried last (NO_TRIED until one is; markTried adds). */
  tried: ReadonlySet<string>
  agentId?: string
  legId?: string
  answeredAt?: number
  endAction?: EndAction
  /** The callback was offered to this caller (announced after the position / wait message). */
  callbackOffered?: boolean
  /** A callback: being set up on the call, or a virtual caller keeping the place (callback.ts). */
  callback?: CallbackRt
}

/** The fields a caller starts with; the rest start undefined (newCaller). */
type CallerStart =
  | 'callId'
  | 'queueId'
  | 'tenantId'
  | 'callerNumber'
  | 'callerName'
  | 'arrivedAt'
  | 'phase'
  | 'answered'
  | 'seq'
  | 'joinedAt'
  | 'announce'
export interface NewCaller extends Pick<CallerRt, CallerStart> {
  callback?: CallbackRt
}

/** The `tried` of a caller no agent has been offered yet: one shared empty set (markTried makes its own). */
export const NO_TRIED: ReadonlySet<string> = new Set()

/**
 * A caller with every field there from the start, in one order: V8 keeps such objects in one shape with their
 * fields inside the object. Fields added later (offerId, playing, …) moved them to a shape chain with an
 * out-of-line property array, and a Set for `tried` from the start cost ~170 bytes more: together ~150 bytes more per
 * waiting caller (issue 13, bench/scale-daemon heap snapshots).
 */
export function newCaller(c: NewCaller): CallerRt {
  return {
    callId: c.callId,
    queueId: c.queueId,
    tenantId: c.tenantId,
    callerNumber: c.callerNumber,
    callerName: c.callerName,
    arrivedAt: c.arrivedAt,
    phase: c.phase,
    answered: c.answered,
    seq: c.seq,
    joinedAt: c.joinedAt,
    announce: c.announce,
    playing: undefined,
    offerId: undefined,
    tried: NO_TRIED,
    agentId: undefined,
    legId: undefined,
    answeredAt: undefined,
    endAction: undefined,
    callbackOffered: undefined,
    callback: c.callback,
  }
}

/** Notes that `agentId` was offered this caller without taking the call. */
export function markTried(caller: CallerRt, agentId: string): void {
  if (caller.tried === NO_TRIED) caller.tried = new Set([agentId])
  else (caller.tried as Set<string>).add(agentId)
}

/** A callback's runtime state (issue 14; callback.ts, callback-call.ts). */
export interface CallbackRt {
  /** setup: the caller confirms the number on the call; waiting: a virtual caller in the line; dialing: an attempt. */
  state: 'setup' | 'waiting' | 'dialing'
  /** The number to call (digits). */
  number: string
  requestedAt: number
  /** Attempts made (dialled). */
  attempts: number
  /** Not offered before this instant (a retry's delay). */
  nextAttemptAt: number
  /** Closed at its turn since this instant (CALLBACKHELD), for the expiry. */
  heldSince?: number
  /** setup: digits typed so far, and how many numbers were refused. */
  typed: string
  refused: number
  /**
   * Rebuilt from the store at start-up and not offered until FreeSWITCH has been read (an attempt under way when
   * the daemon stopped may still have its legs there: callback-restore.ts).
   */
  restoring?: boolean
  /** dialing: the called person's leg, and whether it answered and is asked to press 1. */
  customerLegId?: string
  confirming?: boolean
  token?: string
}

export type LegState = 'ringing' | 'confirming' | 'whisper' | 'won' | 'done'

export interface LegRt {
  legId: string
  offerId: string
  callId: string
  agentId: string
  confirm: boolean
  whisper: boolean
  state: LegState
  token?: string
}

export interface OfferRt {
  id: string
  callId: string
  queueId: string
  startedAt: number
  legs: LegRt[]
  winner?: string
}

type FeatureStep = 'reply' | 'rec-intro' | 'recording' | 'rec-review' | 'rec-choice' | 'done'

export interface FeatureRt {
  callId: string
  agentId?: string
  tenantId?: string
  language: Language
  step: FeatureStep
  token?: string
  record?: { name: string; queueId: string | null; path: string }
}

/** The recorded result of an offer that ended without the caller, from the hang-up cause (inbound-originate-failures). */
export function offerOutcome(cause: string, why?: string): OfferOutcome {
  if (why === 'not confirmed') return 'confirm-timeout'
  if (why === 'lost race') return 'lost-race'
  switch (cause) {
    case 'NO_ANSWER':
      return 'no-answer'
    case 'USER_BUSY':
      return 'busy'
    case 'CALL_REJECTED':
      return 'rejected'
    case 'LOSE_RACE':
      return 'lost-race'
    case 'ORIGINATOR_CANCEL':
      return 'cancelled'
    default:
      return 'failed'
  }
}

export function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Everything the engine knows, shared by its parts; one instance per CallCenter. */
export class EngineState {
  config: CoreConfig = EMPTY_CONFIG
  openBook = new OpenStateBook({})
  promptFiles = new PromptFiles({})
  /** Queue id → open at the last review (to log openings and closings). */
  openStates = new Map<string, boolean>()
  tenants = new Map<string, Tenant>()
  tenantByDomain = new Map<string, Tenant>()
  queues = new Map<string, Queue>()
  members = new Set<string>()
  agents = new Map<string, AgentRt>()
  /** The agents by queue: counts by state and the idle agents, kept up to date by every agent (agent-index.ts). */
  agentIndex = new AgentIndex()
  callers = new Map<string, CallerRt>()
  /** Per queue: callers who entered and wait (including those ringing an agent), in arrival order (seq). */
  waiting = new Map<string, CallerRt[]>()
  /** Per queue: the longest wait in its line (waiting-line.ts), kept by insertInLine / removeFromLine. */
  oldestInLine = new Map<string, OldestInLine>()
  offers = new Map<string, OfferRt>()
  legs = new Map<string, LegRt>()
  features = new Map<string, FeatureRt>()
  /** The called-back person's leg id → the callback's call id (callback-call.ts). */
  callbackLegs = new Map<string, string>()
  /** Every callback this engine has made or restored (a later `config` never brings one back). */
  callbacksKnown = new Set<string>()
  overflow = new Map<string, OverflowState>()
  estimators = new Map<string, WaitEstimatorLike>()
  registered = new Set<string>()
  /**
   * SIP user → how many domains it is registered in, i.e. of `registered`'s keys user@… (for a single-tenant
   * install, see #deviceRegistered). A count, not a Set of the domains: one Set per phone was ~150 bytes.
   */
  registeredIn = new Map<string, number>()
  busyDevices = new Set<string>()
  timers = new Map<string, number>()
  estimates = new Map<string, number | undefined>()
  /** Per queue: serving, busy and queued as last told to its estimator. */
  lastStaffing = new Map<string, { serving: number; busy: number; queued: number }>()
  seq = 1
  ids = 0
  tokens = 0
  out: Command[] = []
  now = 0

  constructor(readonly deps: CallCenterDeps) {}
}

export function emit(st: EngineState, c: Command): void {
  st.out.push(c)
}

export function queueLog(
  st: EngineState,
  event: string,
  callId: string,
  queueId: string,
  agentId: string,
  data?: Record<string, unknown>,
): void {
  emit(st, { type: 'log', at: st.now, callId, queueId, agentId, event, ...(data ? { data } : {}) })
}

/** A new id for something made for call `callId` (offer, leg, recording): UUID-shaped and deterministic (ids.ts). */
export function newId(st: EngineState, callId: string): string {
  return deterministicId(callId, ++st.ids)
}

export function newToken(st: EngineState, kind: string, id: string): string {
  return `${kind}:${id}:${++st.tokens}`
}

export function setTimer(st: EngineState, id: string, at: number): void {
  st.timers.set(id, at)
  emit(st, { type: 'set-timer', id, at })
}

export function clearTimer(st: EngineState, id: string): void {
  if (st.timers.delete(id)) emit(st, { type: 'clear-timer', id })
}

export function promptFiles(st: EngineState, ids: readonly string[], lang: Language, queue?: Queue): string[] {
  return ids.map((id) => st.promptFiles.file(id, lang, queue))
}

export function estimatorOf(st: EngineState, queue: Queue): WaitEstimatorLike {
  let e = st.estimators.get(queue.id)
  if (!e) {
    e = st.deps.estimatorFor ? st.deps.estimatorFor(queue) : new WaitEstimator()
    st.estimators.set(queue.id, e)
  }
  return e
}

/**
 * Tell every queue's estimator how it is staffed and how many wait, after each event: one look-up per queue in the
 * agent index (no pass over the agents).
 */
export function recordStaffing(st: EngineState): void {
  for (const q of st.queues.values()) {
    const est = estimatorOf(st, q)
    if (!est.recordState) continue
    const { serving, busy } = st.agentIndex.counts(q.id)
    const queued = st.waiting.get(q.id)?.length ?? 0
    // Only changes: an unchanged state adds nothing the next change would not account for.
    const last = st.lastStaffing.get(q.id)
    if (last && last.serving === serving && last.busy === busy && last.queued === queued) continue
    if (last) {
      last.serving = serving
      last.busy = busy
      last.queued = queued
    } else st.lastStaffing.set(q.id, { serving, busy, queued })
    est.recordState(st.now, serving, busy, queued)
  }
}

/** The joinedAt of the caller waiting longest in a queue's line; undefined when nobody waits. O(log n). */
export function oldestJoinedAt(st: EngineState, queueId: string): number | undefined {
  return st.oldestInLine.get(queueId)?.oldest()
}
