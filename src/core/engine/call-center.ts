/**
 * The call centre: queues of callers, agents and the offers between them. Pure and event-driven: `handle(event,
 * now)` returns the commands the shell carries out; no I/O, no clock, no timers of its own (timers are
 * `set-timer` commands that come back as `timer` events).
 *
 * Decisions, in the words of a call centre:
 * - callers wait in arrival order; whenever an agent becomes free or a caller enters, the engine matches at once
 *   (`dispatch`): the caller who has waited longest among an agent's queues goes first, queue priority breaking
 *   ties; the queue's strategy picks the agent(s) (`chooseAgents`: longest idle, ring-parallel, skills);
 * - an offer rings for the queue's ring time; an agent who does not answer goes back to free *keeping* their idle
 *   position, the no-answer is counted, and the caller moves on to an agent who has not yet been tried for them;
 * - after a conversation the agent does wrap-up (no call from any queue), then is free, idle from that instant;
 * - after N consecutive unanswered offers the agent is logged out of every queue (`autoLogoutAfterNoAnswers`).
 *
 * Conventions the shell keeps:
 * - `set-timer` with an id already set replaces it; a `timer` event for an id the engine cleared or re-set is ignored.
 * - `play-leg` ends with a `prompt-finished` whose `callId` is the leg id (confirmation: with no key pressed;
 *   whisper: then the engine bridges). The confirmation prompt plays `queue-name` (resolved per queue from the
 *   configuration's prompt overrides) only when the queue has `whisper` on.
 * - `record` ends with a `prompt-finished` carrying the record's token.
 * - Ring timeout: legs still ringing get `hangup-leg` NO_ANSWER; the engine does not wait for `leg-failed`.
 * - A `config` event after start-up replaces queues/agents/memberships; `sessions` are applied only to agents
 *   the engine has not seen yet (start-up), so live state is never overwritten by an older copy.
 * - ConfigChange events (one per operator change) put one entity in place; schedule, calendar and closure changes
 *   affect callers arriving from then on; callers already queued keep their place. The engine times the next
 *   opening/closing itself (open-state.ts).
 * - Ids of offers, legs and recordings are derived from the call id and a counter (ids.ts): replaying the same
 *   events into a fresh engine gives the same commands.
 */
import type { Command, OfferOutcome, RejectReason } from '../commands.js'
import type { ConfigChange, CoreConfig, CoreEvent, RestoredCall, Source } from '../events.js'
import { deterministicId } from '../ids.js'
import { applyChange, EMPTY_CONFIG, isConfigChange, PromptFiles, recordingPath } from './configuration.js'
import { OPEN_STATE_TIMER, OpenStateBook } from './open-state.js'
import type { Agent, Device, EndAction, Language, Queue, Tenant } from '../model.js'
import { QUEUE_PLANS } from '../model.js'
import { chooseAgents, type FreeAgent } from '../distribution/index.js'
import {
  admit,
  decodeAnnounceState,
  encodeAnnounceState,
  entryPrompts,
  initialAnnounceState,
  markPlayed,
  nextAnnouncement,
  updateOverflow,
  NOT_OVERFLOWING,
  type AnnounceState,
  type AnnouncementContext,
  type AnnouncementKind,
  type OpenState,
  type OverflowState,
  type QueueLoad,
} from '../journey/index.js'
import {
  sayDeviceChosen,
  sayError,
  sayLoggedIn,
  sayLoggedOut,
  sayMobileOffer,
  sayNotAllowedByPlan,
  sayNotMember,
  sayPaused,
  sayPromptSaved,
  sayRecordAfterBeep,
  sayRecordConfirm,
  sayUnknownQueue,
  sayUnpaused,
  sayWrapUpEnded,
} from '../speech/index.js'
import { WaitEstimator } from '../ewt/wait-estimator.js'
import { DEFAULT_FEATURE_CODES, parseFeatureCode, RECORDABLE_PROMPTS } from './feature-codes.js'
import type { AgentStateName, AgentStatus, CenterStatus, QueueStatus } from './status.js'

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
const CAUSE = {
  normal: 'NORMAL_CLEARING',
  busy: 'USER_BUSY',
  cancel: 'ORIGINATOR_CANCEL',
  noAnswer: 'NO_ANSWER',
  loseRace: 'LOSE_RACE',
  unallocated: 'UNALLOCATED_NUMBER',
} as const
/** Leg failures that are not the agent's doing: another leg won, or we cancelled it. */
const NOT_COUNTED_CAUSES = new Set<string>([CAUSE.loseRace, CAUSE.cancel, 'PICKED_OFF'])
/** Tolerance for a timer that fires a hair early on a real clock. */
const TIMER_SLACK_MS = 50

type Busy = 'none' | 'ringing' | 'on-call' | 'wrap-up'

interface AgentRt {
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
}

type CallerPhase = 'welcome' | 'queued' | 'connecting' | 'bridged' | 'after' | 'ending'

interface CallerRt {
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
  playing?: { token: string; what: 'welcome' | 'first' | 'announce' | 'end' }
  offerId?: string
  /** Agents already offered this caller without answering: tried last. */
  tried: Set<string>
  agentId?: string
  legId?: string
  answeredAt?: number
  endAction?: EndAction
}

type LegState = 'ringing' | 'confirming' | 'whisper' | 'won' | 'done'

interface LegRt {
  legId: string
  offerId: string
  callId: string
  agentId: string
  confirm: boolean
  whisper: boolean
  state: LegState
  token?: string
}

interface OfferRt {
  id: string
  callId: string
  queueId: string
  startedAt: number
  legs: LegRt[]
  winner?: string
}

type FeatureStep = 'reply' | 'rec-intro' | 'recording' | 'rec-review' | 'rec-choice' | 'done'

interface FeatureRt {
  callId: string
  agentId?: string
  tenantId?: string
  language: Language
  step: FeatureStep
  token?: string
  record?: { name: string; queueId: string | null; path: string }
}

/** The recorded result of an offer that ended without the caller, from the hang-up cause (inbound-originate-failures). */
function offerOutcome(cause: string, why?: string): OfferOutcome {
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

function cmp(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** The pure call-centre engine. One instance per daemon. */
export class CallCenter {
  readonly #deps: CallCenterDeps
  #config: CoreConfig = EMPTY_CONFIG
  #openBook = new OpenStateBook({})
  #promptFiles = new PromptFiles({})
  /** Queue id → open at the last review (to log openings and closings). */
  #openStates = new Map<string, boolean>()
  #tenants = new Map<string, Tenant>()
  #tenantByDomain = new Map<string, Tenant>()
  #queues = new Map<string, Queue>()
  #members = new Set<string>()
  #agents = new Map<string, AgentRt>()
  #callers = new Map<string, CallerRt>()
  /** Per queue: callers who entered and wait (including those ringing an agent), in arrival order (seq). */
  #waiting = new Map<string, CallerRt[]>()
  #offers = new Map<string, OfferRt>()
  #legs = new Map<string, LegRt>()
  #features = new Map<string, FeatureRt>()
  #overflow = new Map<string, OverflowState>()
  #estimators = new Map<string, WaitEstimatorLike>()
  #registered = new Set<string>()
  /** SIP user → the domains it is registered in (for a single-tenant install, see #deviceRegistered). */
  #registeredIn = new Map<string, Set<string>>()
  #busyDevices = new Set<string>()
  #timers = new Map<string, number>()
  #estimates = new Map<string, number | undefined>()
  #lastStaffing = new Map<string, string>()
  #seq = 1
  #ids = 0
  #tokens = 0
  #out: Command[] = []
  #now = 0

  constructor(deps: CallCenterDeps = {}) {
    this.#deps = deps
  }

  /** Handle one event at instant `now`; returns the commands to carry out, in order. */
  handle(event: CoreEvent, now: number): Command[] {
    this.#out = []
    this.#now = now
    this.#estimates.clear()
    this.#route(event)
    this.#dispatch()
    this.#reopenDrainedOverflows()
    this.#recordStaffing()
    const out = this.#out
    this.#out = []
    return out
  }

  /**
   * Would this login be allowed? For the API/CLI before sending `agent-login`. `queueIds` omitted = all the
   * agent's queues.
   */
  checkLogin(agentId: string, queueIds?: string[]): { ok: true; queueIds: string[] } | { ok: false; reason: RejectReason; message: string } {
    const a = this.#agents.get(agentId)
    if (!a) return { ok: false, reason: 'unknown-agent', message: `unknown agent ${agentId}` }
    if (!QUEUE_PLANS.includes(a.agent.plan)) {
      return { ok: false, reason: 'plan', message: `agent ${agentId} is on the ${a.agent.plan} plan; only ${QUEUE_PLANS.join(', ')} may log in to queues` }
    }
    const ids = queueIds ?? this.#memberQueues(agentId)
    for (const q of ids) {
      if (!this.#queues.has(q)) return { ok: false, reason: 'unknown-queue', message: `unknown queue ${q}` }
      if (!this.#members.has(`${agentId}|${q}`)) {
        return { ok: false, reason: 'not-member', message: `agent ${agentId} is not a member of queue ${q}` }
      }
    }
    return { ok: true, queueIds: ids }
  }

  /** The live picture (A2): per queue and per agent. */
  status(now: number): CenterStatus {
    const queues: QueueStatus[] = []
    for (const q of this.#queues.values()) queues.push(this.#queueStatus(q, now))
    const agents: AgentStatus[] = []
    for (const a of this.#agents.values()) agents.push(this.#agentStatus(a))
    return { at: now, queues, agents }
  }

  // ───────────────────────────── routing ─────────────────────────────

  #route(e: CoreEvent): void {
    if (isConfigChange(e)) return this.#applyChange(e)
    switch (e.type) {
      case 'config':
        return this.#applyConfig(e.config)
      case 'call-arrived':
        return e.restored ? this.#restoreCaller(e, e.restored) : this.#callArrived(e)
      case 'call-answered': {
        const c = this.#callers.get(e.callId)
        if (c) c.answered = true
        return
      }
      case 'prompt-finished':
        return this.#promptFinished(e.callId, e.token, e.interrupted)
      case 'call-dtmf':
        return this.#callDtmf(e.callId, e.digit)
      case 'call-hungup':
        return this.#callHungup(e.callId, e.cause)
      case 'call-parked-after-bridge':
        return this.#parkedAfterBridge(e.callId)
      case 'leg-ringing':
        return
      case 'leg-answered':
        return this.#legAnswered(e.legId)
      case 'leg-failed':
        return this.#legFailed(e.legId, e.cause)
      case 'leg-dtmf':
        return this.#legDtmf(e.legId, e.digit)
      case 'bridged':
        return this.#bridged(e.callId, e.legId)
      case 'leg-hungup':
        return this.#legHungup(e.legId, e.cause)
      case 'agent-login':
        this.#login(e.agentId, e.queueIds, e.source)
        return
      case 'agent-logout':
        this.#logout(e.agentId, e.queueIds, e.source, e.reason)
        return
      case 'agent-pause':
        this.#pause(e.agentId, e.paused, e.reason, e.source)
        return
      case 'agent-device':
        this.#chooseDevice(e.agentId, e.deviceIndex, e.source)
        return
      case 'agent-end-wrapup':
        this.#endWrapUpByAgent(e.agentId, e.source)
        return
      case 'registration': {
        const key = `${e.sipUser}@${e.domain}`.toLowerCase()
        const user = e.sipUser.toLowerCase()
        const domains = this.#registeredIn.get(user) ?? new Set<string>()
        if (e.registered) {
          this.#registered.add(key)
          domains.add(e.domain.toLowerCase())
          this.#registeredIn.set(user, domains)
        } else {
          this.#registered.delete(key)
          domains.delete(e.domain.toLowerCase())
          if (domains.size === 0) this.#registeredIn.delete(user)
        }
        return
      }
      case 'device-busy':
        if (e.busy) this.#busyDevices.add(e.target)
        else this.#busyDevices.delete(e.target)
        return
      case 'feature-call':
        return this.#featureCall(e.callId, e.digits, e.sipUser, e.domain)
      case 'timer':
        return this.#timer(e.id)
      case 'reevaluate':
        // Opening hours apply to callers arriving; callers already in the queue keep their place.
        return this.#reviewOpenState()
    }
  }

  // ───────────────────────────── configuration ─────────────────────────────

  /** One operator change: the entity is put in place and the configuration applied as a whole config would be. */
  #applyChange(e: ConfigChange): void {
    this.#applyConfig(applyChange(this.#config, e))
  }

  #applyConfig(config: CoreConfig): void {
    this.#config = { ...config, featureCodes: { ...DEFAULT_FEATURE_CODES, ...config.featureCodes } }
    this.#openBook = new OpenStateBook(config)
    this.#promptFiles = new PromptFiles(config)
    this.#tenants = new Map(config.tenants.map((t) => [t.id, t]))
    this.#tenantByDomain = new Map(config.tenants.map((t) => [t.domain.toLowerCase(), t]))
    this.#queues = new Map(config.queues.map((q) => [q.id, q]))
    this.#members = new Set(config.memberships.map((m) => `${m.agentId}|${m.queueId}`))
    for (const q of this.#queues.values()) if (!this.#waiting.has(q.id)) this.#waiting.set(q.id, [])
    const seen = new Set<string>()
    for (const agent of config.agents) {
      seen.add(agent.id)
      const rt = this.#agents.get(agent.id)
      if (rt) {
        rt.agent = agent
        rt.regKey = undefined
        continue
      }
      const fresh: AgentRt = { agent, queues: new Set(), paused: false, busy: 'none', idleSince: this.#now, unanswered: 0 }
      for (const s of config.sessions) {
        if (s.agentId !== agent.id || !this.#queues.has(s.queueId)) continue
        fresh.queues.add(s.queueId)
        fresh.idleSince = Math.min(fresh.idleSince, s.since)
        if (s.paused) {
          fresh.paused = true
          fresh.pauseReason = s.pauseReason
        }
      }
      this.#agents.set(agent.id, fresh)
    }
    for (const [id, rt] of this.#agents) {
      if (!seen.has(id)) {
        this.#logoutQueues(rt, [...rt.queues], 'system', 'agent removed')
        if (rt.busy === 'none' || rt.busy === 'wrap-up') this.#agents.delete(id)
        continue
      }
      // Membership withdrawn or queue removed: the agent leaves that queue.
      const gone = [...rt.queues].filter((q) => !this.#queues.has(q) || !this.#members.has(`${id}|${q}`))
      if (gone.length) this.#logoutQueues(rt, gone, 'system', 'membership removed')
    }
    this.#reviewOpenState()
  }

  /**
   * Which queues are open now: logs each queue that opened or closed since the last review (QUEUEOPENED /
   * QUEUECLOSED) and sets the engine's own timer for the next opening or closing of any queue.
   */
  #reviewOpenState(): void {
    const previous = this.#openStates
    this.#openStates = new Map()
    for (const q of this.#queues.values()) {
      const state = this.#openBook.state(q, this.#now)
      this.#openStates.set(q.id, state.open)
      const was = previous.get(q.id)
      if (was !== undefined && was !== state.open) this.#log(state.open ? 'QUEUEOPENED' : 'QUEUECLOSED', '', q.id, '', { reason: state.reason })
    }
    const at = this.#openBook.nextChange(this.#queues.values(), this.#now)
    if (at === undefined) this.#clearTimer(OPEN_STATE_TIMER)
    else if (this.#timers.get(OPEN_STATE_TIMER) !== at) this.#setTimer(OPEN_STATE_TIMER, at)
  }

  #memberQueues(agentId: string): string[] {
    const out: string[] = []
    for (const q of this.#queues.keys()) if (this.#members.has(`${agentId}|${q}`)) out.push(q)
    return out
  }

  // ───────────────────────────── small helpers ─────────────────────────────

  #emit(c: Command): void {
    this.#out.push(c)
  }

  #log(event: string, callId: string, queueId: string, agentId: string, data?: Record<string, unknown>): void {
    this.#emit({ type: 'log', at: this.#now, callId, queueId, agentId, event, ...(data ? { data } : {}) })
  }

  /** A new id for something made for call `callId` (offer, leg, recording): UUID-shaped and deterministic (ids.ts). */
  #newId(callId: string): string {
    return deterministicId(callId, ++this.#ids)
  }

  #token(kind: string, id: string): string {
    return `${kind}:${id}:${++this.#tokens}`
  }

  #setTimer(id: string, at: number): void {
    this.#timers.set(id, at)
    this.#emit({ type: 'set-timer', id, at })
  }

  #clearTimer(id: string): void {
    if (this.#timers.delete(id)) this.#emit({ type: 'clear-timer', id })
  }

  #files(ids: readonly string[], lang: Language, queue?: Queue): string[] {
    return ids.map((id) => this.#promptFiles.file(id, lang, queue))
  }

  #estimator(queue: Queue): WaitEstimatorLike {
    let e = this.#estimators.get(queue.id)
    if (!e) {
      e = this.#deps.estimatorFor ? this.#deps.estimatorFor(queue) : new WaitEstimator()
      this.#estimators.set(queue.id, e)
    }
    return e
  }

  /** Tell every queue's estimator how it is staffed and how many wait, after each event. */
  #recordStaffing(): void {
    const counts = new Map<string, { serving: number; busy: number }>()
    for (const a of this.#agents.values()) {
      if (a.paused) continue
      for (const q of a.queues) {
        let c = counts.get(q)
        if (!c) counts.set(q, (c = { serving: 0, busy: 0 }))
        c.serving++
        if (a.busy !== 'none') c.busy++
      }
    }
    for (const q of this.#queues.values()) {
      const est = this.#estimator(q)
      if (!est.recordState) continue
      const c = counts.get(q.id)
      const serving = c?.serving ?? 0
      const busy = c?.busy ?? 0
      const queued = this.#waiting.get(q.id)?.length ?? 0
      // Only changes: an unchanged state adds nothing the next change would not account for.
      const sig = `${serving}|${busy}|${queued}`
      if (this.#lastStaffing.get(q.id) === sig) continue
      this.#lastStaffing.set(q.id, sig)
      est.recordState(this.#now, serving, busy, queued)
    }
  }

  // ───────────────────────────── agents: eligibility ─────────────────────────────

  #activeDevice(a: AgentRt): Device | undefined {
    return a.agent.devices[a.agent.activeDevice]
  }

  /** Mobiles count as registered; SIP devices must have a live registration in the tenant's domain. */
  #deviceRegistered(a: AgentRt): boolean {
    if (a.regKey === undefined) {
      const d = this.#activeDevice(a)
      const domain = this.#tenants.get(a.agent.tenantId)?.domain ?? ''
      a.regKey = !d ? null : d.type === 'mobile' ? '' : `${d.target}@${domain}`.toLowerCase()
    }
    if (a.regKey === '') return true
    if (a.regKey === null) return false
    if (this.#registered.has(a.regKey)) return true
    // A single-tenant install: the tenant's domain need not be FreeSWITCH's (the built-in tenant is 'default',
    // FreeSWITCH's domain is often its IP address), so a registration of the user in any domain counts.
    const d = this.#activeDevice(a)
    return this.#tenantByDomain.size === 1 && !!d && this.#registeredIn.has(d.target.toLowerCase())
  }

  #deviceBusy(a: AgentRt): boolean {
    const d = this.#activeDevice(a)
    return !!d && this.#busyDevices.has(d.target)
  }

  /** Free to be offered a call now: logged in, not paused, not ringing/talking/wrapping up, device reachable. */
  #isFree(a: AgentRt): boolean {
    return a.queues.size > 0 && !a.paused && a.busy === 'none' && this.#deviceRegistered(a) && !this.#deviceBusy(a)
  }

  #dialString(a: AgentRt, d: Device): string {
    const domain = this.#tenants.get(a.agent.tenantId)?.domain ?? ''
    let template = this.#config.dialTemplates[d.type] ?? (d.type === 'mobile' ? 'sofia/gateway/default/${target}' : 'user/${target}@${domain}')
    // The built-in tenant's domain 'default' is a placeholder, not a FreeSWITCH domain: dial `user/1001` and let
    // FreeSWITCH use its own default domain (as the captures do: `originate … user/1000 &park()` reaches the
    // registered phone; user/1001 → USER_NOT_REGISTERED, inbound-originate-failures / inbound-real-sip-agent).
    if (domain === '' || domain === 'default') template = template.replaceAll('@${domain}', '')
    return template.replaceAll('${target}', d.target).replaceAll('${domain}', domain)
  }

  #agentLanguage(a: AgentRt): Language {
    for (const q of a.queues) return this.#queues.get(q)!.settings.language
    for (const q of this.#memberQueues(a.agent.id)) return this.#queues.get(q)!.settings.language
    return 'sv'
  }

  // ───────────────────────────── matching ─────────────────────────────

  /**
   * Match waiting callers with free agents, as long as any match can be made. The candidates are the first
   * caller not yet ringing in each queue, longest wait first (queue priority breaks ties); each is offered
   * per its queue's strategy to free agents logged in to its queue.
   */
  #dispatch(): void {
    for (;;) {
      const free: AgentRt[] = []
      for (const a of this.#agents.values()) if (this.#isFree(a)) free.push(a)
      if (free.length === 0) return
      const heads: CallerRt[] = []
      for (const list of this.#waiting.values()) {
        const head = list.find((c) => c.phase === 'queued' && !c.offerId)
        if (head) heads.push(head)
      }
      if (heads.length === 0) return
      heads.sort(
        (x, y) =>
          cmp(x.joinedAt, y.joinedAt) ||
          cmp(this.#queues.get(y.queueId)!.settings.priority, this.#queues.get(x.queueId)!.settings.priority) ||
          cmp(x.seq, y.seq),
      )
      let offered = false
      for (const caller of heads) {
        const chosen = this.#pickAgents(caller, free)
        if (chosen.length) {
          this.#offerCall(caller, chosen)
          offered = true
          break
        }
      }
      if (!offered) return
    }
  }

  /** The agent(s) to ring for a caller: untried agents first ("the offer moves on"), else anyone who fits. */
  #pickAgents(caller: CallerRt, free: AgentRt[]): AgentRt[] {
    const queue = this.#queues.get(caller.queueId)!
    const inQueue = free.filter((a) => a.queues.has(queue.id))
    if (inQueue.length === 0) return []
    const waitedSec = (this.#now - caller.joinedAt) / 1000
    const view = (list: AgentRt[]): FreeAgent[] => list.map((a) => ({ id: a.agent.id, idleSince: a.idleSince, skills: a.agent.skills }))
    const untried = inQueue.filter((a) => !caller.tried.has(a.agent.id))
    let chosen = untried.length ? chooseAgents(queue.settings, view(untried), waitedSec) : []
    if (chosen.length === 0) chosen = chooseAgents(queue.settings, view(inQueue), waitedSec)
    return chosen.map((f) => this.#agents.get(f.id)!)
  }

  /** Ring one or more agents for a caller: one originate with a leg per agent, and the ring-time timer. */
  #offerCall(caller: CallerRt, agents: AgentRt[]): void {
    const queue = this.#queues.get(caller.queueId)!
    const s = queue.settings
    const offer: OfferRt = { id: this.#newId(caller.callId), callId: caller.callId, queueId: queue.id, startedAt: this.#now, legs: [] }
    const legs: Extract<Command, { type: 'originate' }>['legs'] = []
    for (const a of agents) {
      const device = this.#activeDevice(a)!
      const leg: LegRt = {
        legId: this.#newId(caller.callId),
        offerId: offer.id,
        callId: caller.callId,
        agentId: a.agent.id,
        confirm: s.confirmOn.includes(device.type),
        whisper: s.whisper,
        state: 'ringing',
      }
      offer.legs.push(leg)
      this.#legs.set(leg.legId, leg)
      a.busy = 'ringing'
      a.legId = leg.legId
      a.callId = caller.callId
      legs.push({ legId: leg.legId, agentId: a.agent.id, dialString: this.#dialString(a, device), confirm: leg.confirm, whisper: leg.whisper })
      this.#emit({ type: 'offer-record', legId: leg.legId, callId: caller.callId, agentId: a.agent.id, at: this.#now, device: `${device.type}:${device.target}` })
    }
    this.#offers.set(offer.id, offer)
    caller.offerId = offer.id
    if (caller.tried.size === 0) this.#estimator(queue).recordServiceStart?.(this.#now, this.#now > caller.joinedAt)
    this.#emit({
      type: 'originate',
      callId: caller.callId,
      offerId: offer.id,
      legs,
      timeoutSec: s.ringTimeSec,
      callerIdName: `${queue.name} ${caller.callerName || caller.callerNumber}`.trim(),
      callerIdNumber: caller.callerNumber,
      queueId: queue.id,
    })
    for (const l of offer.legs) this.#log('RINGING', caller.callId, queue.id, l.agentId, { offerId: offer.id, legId: l.legId })
    this.#setTimer(`offer:${offer.id}`, this.#now + s.ringTimeSec * 1000)
  }

  // ───────────────────────────── offers and legs ─────────────────────────────

  #legAnswered(legId: string): void {
    const leg = this.#legs.get(legId)
    if (!leg || leg.state !== 'ringing') return
    const offer = this.#offers.get(leg.offerId)
    const caller = this.#callers.get(leg.callId)
    if (!offer || !caller) return
    if (offer.winner) {
      // Another leg already took the caller: this one lost the race.
      this.#releaseLeg(leg, CAUSE.loseRace, false)
      return
    }
    if (leg.confirm) return this.#askConfirmation(leg, caller)
    this.#legWins(offer, leg, caller)
  }

  /** Mobile answer confirmation: the agent hears (the queue's name and) "press 1"; a voicemail never presses 1. */
  #askConfirmation(leg: LegRt, caller: CallerRt): void {
    const queue = this.#queues.get(caller.queueId)!
    leg.state = 'confirming'
    leg.token = this.#token('confirm', leg.legId)
    const ids = [...(leg.whisper ? ['queue-name'] : []), ...sayMobileOffer()]
    this.#emit({ type: 'play-leg', legId: leg.legId, files: this.#files(ids, queue.settings.language, queue), token: leg.token, collectDigit: true })
    this.#setTimer(`confirm:${leg.legId}`, this.#now + CONFIRM_TIMEOUT_SEC * 1000)
  }

  #legDtmf(legId: string, digit: string): void {
    const leg = this.#legs.get(legId)
    if (!leg || leg.state !== 'confirming' || digit !== '1') return
    const offer = this.#offers.get(leg.offerId)
    const caller = this.#callers.get(leg.callId)
    if (!offer || !caller) return
    this.#clearTimer(`confirm:${leg.legId}`)
    if (offer.winner) return this.#releaseLeg(leg, CAUSE.loseRace, false)
    this.#legWins(offer, leg, caller, true)
  }

  /** The "press 1" prompt ended without the key: CONFIRM_READ_TIMEOUT_SEC more to press it (never past the cap). */
  #confirmPromptEnded(leg: LegRt): void {
    const id = `confirm:${leg.legId}`
    this.#setTimer(id, Math.min(this.#timers.get(id) ?? Infinity, this.#now + CONFIRM_READ_TIMEOUT_SEC * 1000))
  }

  /**
   * The confirmation went unanswered (no 1 within CONFIRM_READ_TIMEOUT_SEC of the prompt's end, or
   * CONFIRM_TIMEOUT_SEC after answering): the leg is hung up and counts.
   */
  #confirmationMissed(leg: LegRt): void {
    this.#clearTimer(`confirm:${leg.legId}`)
    this.#releaseLeg(leg, CAUSE.noAnswer, true, 'not confirmed')
  }

  /** First to answer wins: the other legs are cancelled at once; the caller leaves the waiting line. */
  #legWins(offer: OfferRt, leg: LegRt, caller: CallerRt, confirmed = false): void {
    offer.winner = leg.legId
    this.#emit({ type: 'offer-record', legId: leg.legId, callId: leg.callId, agentId: leg.agentId, at: this.#now, result: 'answered', answeredAt: this.#now })
    this.#clearTimer(`offer:${offer.id}`)
    for (const other of offer.legs) if (other !== leg && other.state !== 'done') this.#releaseLeg(other, CAUSE.cancel, false, 'lost race')
    const agent = this.#agents.get(leg.agentId)!
    agent.busy = 'on-call'
    agent.unanswered = 0
    this.#removeFromLine(caller)
    caller.phase = 'connecting'
    caller.agentId = agent.agent.id
    caller.legId = leg.legId
    this.#clearTimer(`ann:${caller.callId}`)
    this.#clearTimer(`maxwait:${caller.callId}`)
    this.#clearTimer(`widen:${caller.callId}`)
    if (leg.whisper && !confirmed) {
      const queue = this.#queues.get(caller.queueId)!
      leg.state = 'whisper'
      leg.token = this.#token('whisper', leg.legId)
      this.#emit({ type: 'play-leg', legId: leg.legId, files: this.#files(['queue-name'], queue.settings.language, queue), token: leg.token, collectDigit: false })
      return
    }
    this.#connect(caller, leg)
  }

  /** Bridge at once: whatever the caller hears is cut first, so an announcement never delays the connection. */
  #connect(caller: CallerRt, leg: LegRt): void {
    leg.state = 'won'
    caller.playing = undefined
    this.#emit({ type: 'stop-audio', callId: caller.callId })
    // Names the leg before the bridge: if the daemon dies before it hears of the bridge (and can set
    // koplus_connected), FreeSWITCH's own last_bridge_to on the caller still tells a rebuild that it was connected.
    this.#emit({ type: 'set-vars', callId: caller.callId, vars: { koplus_bridge_leg: leg.legId, koplus_bridge_agent: leg.agentId } })
    this.#emit({ type: 'bridge', callId: caller.callId, legId: leg.legId })
  }

  /**
   * A leg stops ringing without taking the caller. `counts`: an unanswered offer (no answer, busy, rejected,
   * not confirmed), counted toward auto-logout; a cancelled or lost-race leg is not. The agent is free again,
   * keeping their idle position; the caller will try other agents first.
   */
  #releaseLeg(leg: LegRt, cause: string, counts: boolean, why?: string, hangup = true): void {
    if (leg.state === 'done') return
    const wasAnswered = leg.state !== 'ringing'
    if (leg.state === 'confirming') this.#clearTimer(`confirm:${leg.legId}`)
    leg.state = 'done'
    this.#legs.delete(leg.legId)
    if (hangup) this.#emit({ type: 'hangup-leg', legId: leg.legId, cause })
    this.#emit({ type: 'offer-record', legId: leg.legId, callId: leg.callId, agentId: leg.agentId, at: this.#now, result: offerOutcome(cause, why), cause, endedAt: this.#now })
    const offer = this.#offers.get(leg.offerId)
    const caller = this.#callers.get(leg.callId)
    const agent = this.#agents.get(leg.agentId)
    if (agent && agent.legId === leg.legId) {
      agent.busy = 'none'
      agent.legId = undefined
      agent.callId = undefined
    }
    if (counts && offer) {
      this.#log('RINGNOANSWER', leg.callId, offer.queueId, leg.agentId, { ringMs: this.#now - offer.startedAt, cause, ...(why ? { reason: why } : {}), answered: wasAnswered })
      caller?.tried.add(leg.agentId)
      if (agent) this.#countUnanswered(agent, this.#queues.get(offer.queueId))
    }
    if (offer && offer.legs.every((l) => l.state === 'done')) this.#endOffer(offer)
  }

  /** The offer is over without a connection: the caller waits again in their place. */
  #endOffer(offer: OfferRt): void {
    this.#offers.delete(offer.id)
    this.#clearTimer(`offer:${offer.id}`)
    const caller = this.#callers.get(offer.callId)
    if (!caller || caller.offerId !== offer.id) return
    caller.offerId = undefined
    if (caller.phase === 'connecting') {
      // The winner dropped before the bridge: back into the line at the caller's place.
      caller.phase = 'queued'
      caller.agentId = undefined
      caller.legId = undefined
      this.#insertInLine(caller)
      this.#startHoldMusic(caller)
      this.#armQueueTimers(caller)
    }
  }

  /** Cancel whatever rings for a caller (the caller left): legs cancelled, nobody charged a no-answer. */
  #cancelOffer(caller: CallerRt): void {
    const offer = caller.offerId ? this.#offers.get(caller.offerId) : undefined
    if (!offer) return
    for (const l of offer.legs) this.#releaseLeg(l, CAUSE.cancel, false)
    this.#endOffer(offer)
    caller.offerId = undefined
  }

  #legFailed(legId: string, cause: string): void {
    const leg = this.#legs.get(legId)
    if (!leg) return
    if (leg.state === 'won' || leg.state === 'whisper') {
      // The agent hung up after answering, before the bridge: the caller waits again, trying others first.
      this.#callers.get(leg.callId)?.tried.add(leg.agentId)
      this.#releaseLeg(leg, cause, false, 'hung up before bridge', false)
      return
    }
    this.#clearTimer(`confirm:${leg.legId}`)
    this.#releaseLeg(leg, cause, !NOT_COUNTED_CAUSES.has(cause), undefined, false)
  }

  /** Ring time passed: legs still ringing stop and count as unanswered. Confirming legs have their own timer. */
  #offerTimedOut(offerId: string): void {
    const offer = this.#offers.get(offerId)
    if (!offer || offer.winner) return
    for (const l of offer.legs) if (l.state === 'ringing') this.#releaseLeg(l, CAUSE.noAnswer, true, 'ring timeout')
  }

  /** A consecutive unanswered offer; too many and the agent is logged out of every queue. */
  #countUnanswered(agent: AgentRt, queue: Queue | undefined): void {
    agent.unanswered++
    const limit = queue?.settings.autoLogoutAfter ?? 0
    if (limit > 0 && agent.unanswered >= limit) this.#autoLogoutAfterNoAnswers(agent, limit, queue!)
  }

  #autoLogoutAfterNoAnswers(agent: AgentRt, limit: number, queue: Queue): void {
    const reason = `${agent.unanswered} unanswered offers in a row (limit ${limit}, queue ${queue.number})`
    this.#log('AUTOLOGOUT', '', queue.id, agent.agent.id, { unanswered: agent.unanswered, limit, reason })
    this.#logoutQueues(agent, [...agent.queues], 'system', reason)
    agent.autoLogoutReason = reason
  }

  #bridged(callId: string, legId: string): void {
    const caller = this.#callers.get(callId)
    const leg = this.#legs.get(legId)
    if (!caller || !leg || leg.callId !== callId) return
    if (caller.phase !== 'connecting') return
    leg.state = 'won'
    caller.phase = 'bridged'
    caller.answeredAt = this.#now
    const queue = this.#queues.get(caller.queueId)!
    const offer = this.#offers.get(leg.offerId)
    this.#log('CONNECT', callId, queue.id, leg.agentId, {
      holdSec: Math.round((this.#now - caller.joinedAt) / 1000),
      ringMs: offer ? this.#now - offer.startedAt : 0,
      legId,
    })
    this.#emit({ type: 'call-record', record: { callId, answeredAt: this.#now, agentId: leg.agentId } })
    // Marks the channel as connected, so a rebuild that finds the caller parked again (the agent hung up while the
    // daemon was away) ends the call instead of offering it again (docs/channel-variables.md).
    this.#emit({ type: 'set-vars', callId, vars: { koplus_connected: String(this.#now), koplus_connected_agent: leg.agentId } })
    this.#estimator(queue).recordAnswered(this.#now, this.#now - caller.joinedAt, offer ? this.#now - offer.startedAt : undefined)
    if (offer) this.#offers.delete(offer.id)
    caller.offerId = undefined
  }

  /** The agent hung up after the conversation: the agent goes to wrap-up; the caller is parked (park_after_bridge). */
  #legHungup(legId: string, cause: string): void {
    const leg = this.#legs.get(legId)
    if (!leg) return
    const caller = this.#callers.get(leg.callId)
    if (leg.state !== 'won' || !caller || caller.phase !== 'bridged') {
      // Hung up before the bridge completed: as a failure.
      return this.#legFailed(legId, cause)
    }
    this.#endConversation(caller, 'COMPLETEAGENT', cause)
    caller.phase = 'after'
  }

  #parkedAfterBridge(callId: string): void {
    const caller = this.#callers.get(callId)
    if (!caller) return
    if (caller.phase === 'bridged') this.#endConversation(caller, 'COMPLETEAGENT', CAUSE.normal)
    if (caller.phase === 'bridged' || caller.phase === 'after') {
      this.#emit({ type: 'hangup', callId, cause: CAUSE.normal })
      this.#forgetCaller(caller)
    }
  }

  /** The conversation is over: log it, feed the estimator, and send the agent to wrap-up. */
  #endConversation(caller: CallerRt, event: 'COMPLETEAGENT' | 'COMPLETECALLER', cause: string): void {
    const queue = this.#queues.get(caller.queueId)
    const talkMs = this.#now - (caller.answeredAt ?? this.#now)
    const legId = caller.legId!
    const leg = this.#legs.get(legId)
    if (leg) {
      leg.state = 'done'
      this.#legs.delete(legId)
    }
    // 'answered' again: a daemon killed between the bridge and its writes left the offer open.
    this.#emit({ type: 'offer-record', legId, callId: caller.callId, agentId: caller.agentId ?? '', at: this.#now, result: 'answered', endedAt: this.#now })
    this.#log(event, caller.callId, caller.queueId, caller.agentId ?? '', {
      holdSec: Math.round((caller.answeredAt! - caller.joinedAt) / 1000),
      talkSec: Math.round(talkMs / 1000),
      cause,
    })
    // The answer time again: a daemon killed between the bridge and its writes never recorded it.
    this.#emit({ type: 'call-record', record: { callId: caller.callId, outcome: 'answered', endedAt: this.#now, agentId: caller.agentId, ...(caller.answeredAt !== undefined ? { answeredAt: caller.answeredAt } : {}) } })
    const agent = caller.agentId ? this.#agents.get(caller.agentId) : undefined
    if (agent && agent.legId === legId) {
      agent.handling = queue ? { queueId: queue.id, talkMs, wrapFrom: this.#now } : undefined
      this.#startWrapUp(agent, queue)
    } else if (queue) {
      this.#estimator(queue).recordHandled(this.#now, talkMs)
    }
  }

  // ───────────────────────────── wrap-up ─────────────────────────────

  /** After-call work: the agent's own wrap-up time, else the queue's; no call from any queue meanwhile. */
  #startWrapUp(agent: AgentRt, queue: Queue | undefined): void {
    agent.legId = undefined
    agent.callId = undefined
    const sec = agent.agent.wrapUpSec ?? queue?.settings.wrapUpSec ?? 0
    if (sec <= 0) {
      this.#becomeFree(agent)
      return
    }
    agent.busy = 'wrap-up'
    agent.wrapUpEndsAt = this.#now + sec * 1000
    this.#log('WRAPUPSTART', '', queue?.id ?? '', agent.agent.id, { seconds: sec })
    this.#setTimer(`wrapup:${agent.agent.id}`, agent.wrapUpEndsAt)
  }

  #endWrapUp(agent: AgentRt, source: Source): void {
    if (agent.busy !== 'wrap-up') return
    this.#clearTimer(`wrapup:${agent.agent.id}`)
    agent.wrapUpEndsAt = undefined
    this.#log('WRAPUPEND', '', '', agent.agent.id, { source })
    this.#becomeFree(agent)
  }

  /** The agent is free from now: idle time counts from here. The handle time (talk + wrap-up) feeds the estimate. */
  #becomeFree(agent: AgentRt): void {
    agent.busy = 'none'
    agent.idleSince = this.#now
    const h = agent.handling
    agent.handling = undefined
    const queue = h && this.#queues.get(h.queueId)
    if (h && queue) this.#estimator(queue).recordHandled(this.#now, h.talkMs + (this.#now - h.wrapFrom))
  }

  #endWrapUpByAgent(agentId: string, source: Source): boolean {
    const agent = this.#agents.get(agentId)
    if (!agent) return this.#reject(agentId, 'end-wrapup', 'unknown-agent', `unknown agent ${agentId}`, source)
    if (agent.busy !== 'wrap-up') return this.#reject(agentId, 'end-wrapup', 'not-in-wrapup', `agent ${agentId} is not in wrap-up`, source)
    this.#endWrapUp(agent, source)
    return true
  }

  // ───────────────────────────── login / logout / pause / device ─────────────────────────────

  #reject(agentId: string, action: string, reason: RejectReason, message: string, source: Source, queueIds?: string[]): false {
    this.#emit({ type: 'rejected', agentId, action, reason, message, source, ...(queueIds ? { queueIds } : {}) })
    this.#log('REJECTED', '', '', agentId, { action, reason, source })
    return false
  }

  /** Log in to queues (all the agent's queues when none given). Only members, and only on a queue plan (T4). */
  #login(agentId: string, queueIds: string[] | undefined, source: Source): { ok: boolean; reason?: RejectReason; count: number } {
    const check = this.checkLogin(agentId, queueIds)
    if (!check.ok) {
      this.#reject(agentId, 'login', check.reason, check.message, source, queueIds)
      return { ok: false, reason: check.reason, count: this.#agents.get(agentId)?.queues.size ?? 0 }
    }
    const agent = this.#agents.get(agentId)!
    if (agent.queues.size === 0) {
      agent.idleSince = this.#now
      agent.unanswered = 0
      agent.autoLogoutReason = undefined
    }
    for (const q of check.queueIds) {
      if (agent.queues.has(q)) continue
      agent.queues.add(q)
      this.#clearTimer(`noagents:${q}`)
      this.#log('AGENTLOGIN', '', q, agentId, { source })
      this.#emit({ type: 'agent-session', agentId, queueId: q, loggedIn: true, paused: agent.paused, ...(agent.pauseReason ? { pauseReason: agent.pauseReason } : {}), at: this.#now, source })
    }
    return { ok: true, count: agent.queues.size }
  }

  #logout(agentId: string, queueIds: string[] | undefined, source: Source, reason?: string): { ok: boolean; count: number } {
    const agent = this.#agents.get(agentId)
    if (!agent) {
      this.#reject(agentId, 'logout', 'unknown-agent', `unknown agent ${agentId}`, source)
      return { ok: false, count: 0 }
    }
    if (queueIds) {
      const unknown = queueIds.find((q) => !this.#queues.has(q))
      if (unknown) {
        this.#reject(agentId, 'logout', 'unknown-queue', `unknown queue ${unknown}`, source, queueIds)
        return { ok: false, count: agent.queues.size }
      }
    }
    this.#logoutQueues(agent, queueIds ?? [...agent.queues], source, reason)
    return { ok: true, count: agent.queues.size }
  }

  /** Leave queues; a phone ringing for a queue the agent left stops (not counted). Empty queues start the no-agents grace. */
  #logoutQueues(agent: AgentRt, queueIds: string[], source: Source, reason?: string): void {
    for (const q of queueIds) {
      if (!agent.queues.delete(q)) continue
      this.#log('AGENTLOGOFF', '', q, agent.agent.id, { source, ...(reason ? { reason } : {}) })
      this.#emit({ type: 'agent-session', agentId: agent.agent.id, queueId: q, loggedIn: false, paused: agent.paused, at: this.#now, source })
      this.#startNoAgentsGraceIfEmpty(q)
    }
    if (agent.busy === 'ringing' && agent.legId) {
      const leg = this.#legs.get(agent.legId)
      const offer = leg && this.#offers.get(leg.offerId)
      if (leg && offer && !agent.queues.has(offer.queueId) && leg.state === 'ringing') this.#releaseLeg(leg, CAUSE.cancel, false)
    }
    if (agent.queues.size === 0 && agent.paused) {
      // A fresh login starts unpaused.
      agent.paused = false
      agent.pauseReason = undefined
      this.#log('UNPAUSE', '', '', agent.agent.id, { source, reason: 'logged out' })
    }
  }

  #pause(agentId: string, paused: boolean, reason: string | undefined, source: Source): boolean {
    const agent = this.#agents.get(agentId)
    if (!agent) return this.#reject(agentId, 'pause', 'unknown-agent', `unknown agent ${agentId}`, source)
    if (agent.queues.size === 0) return this.#reject(agentId, 'pause', 'not-logged-in', `agent ${agentId} is not logged in`, source)
    if (agent.paused === paused) return true
    agent.paused = paused
    agent.pauseReason = paused ? reason : undefined
    for (const q of agent.queues) {
      this.#log(paused ? 'PAUSE' : 'UNPAUSE', '', q, agentId, { source, ...(reason ? { reason } : {}) })
      this.#emit({ type: 'agent-session', agentId, queueId: q, loggedIn: true, paused, ...(paused && reason ? { pauseReason: reason } : {}), at: this.#now, source })
    }
    return true
  }

  #chooseDevice(agentId: string, index: number, source: Source): boolean {
    const agent = this.#agents.get(agentId)
    if (!agent) return this.#reject(agentId, 'device', 'unknown-agent', `unknown agent ${agentId}`, source)
    if (!Number.isInteger(index) || index < 0 || index >= agent.agent.devices.length) {
      return this.#reject(agentId, 'device', 'bad-device', `agent ${agentId} has no device ${index + 1}`, source)
    }
    agent.agent = { ...agent.agent, activeDevice: index }
    agent.regKey = undefined
    this.#emit({ type: 'agent-device', agentId, deviceIndex: index })
    this.#log('DEVICE', '', '', agentId, { deviceIndex: index, type: agent.agent.devices[index].type, source })
    return true
  }

  // ───────────────────────────── the caller's journey ─────────────────────────────

  /**
   * The tenant of a call's domain (koplus_tenant = ${domain_name} in our dialplan). A single-tenant install works
   * whatever FreeSWITCH's domain is called (often its IP address): with exactly one tenant, a domain no tenant claims
   * is that tenant's. With several tenants an unclaimed domain matches none, so calls never cross tenants.
   */
  #tenantFor(domain: string): Tenant | undefined {
    const t = this.#tenantByDomain.get(domain.toLowerCase())
    if (t || this.#tenantByDomain.size !== 1) return t
    return this.#tenantByDomain.values().next().value
  }

  #queueByNumber(domain: string, number: string): Queue | undefined {
    const tenant = this.#tenantFor(domain)
    if (!tenant) return undefined
    for (const q of this.#queues.values()) if (q.tenantId === tenant.id && q.number === number) return q
    return undefined
  }

  #loggedInCount(queueId: string): number {
    let n = 0
    for (const a of this.#agents.values()) if (a.queues.has(queueId)) n++
    return n
  }

  /** Agents serving the queue (logged in, not paused) and, of those, how many are busy now. */
  #serving(queueId: string): { serving: number; busy: number } {
    let serving = 0
    let busy = 0
    for (const a of this.#agents.values()) {
      if (!a.queues.has(queueId) || a.paused) continue
      serving++
      if (a.busy !== 'none') busy++
    }
    return { serving, busy }
  }

  #estimate(queue: Queue, position: number): number | undefined {
    // Memoised within one event: nothing the estimate depends on changes between announcements of one instant.
    const key = `${queue.id}|${position}|${this.#now}`
    if (this.#estimates.has(key)) return this.#estimates.get(key)
    const { serving, busy } = this.#serving(queue.id)
    const est = this.#estimator(queue).estimate(position, serving, busy, this.#now)
    this.#estimates.set(key, est)
    return est
  }

  #load(queue: Queue): QueueLoad {
    const line = this.#waiting.get(queue.id) ?? []
    const longest = line.length ? (this.#now - line.reduce((m, c) => Math.min(m, c.joinedAt), Infinity)) / 1000 : 0
    return {
      waiting: line.length,
      longestWaitSec: Math.max(0, longest),
      estimatedWaitSec: this.#estimate(queue, line.length + 1),
      agentsLoggedIn: this.#loggedInCount(queue.id),
    }
  }

  /**
   * An overflowing queue reopens as soon as its load falls below the reopen level (hysteresis in updateOverflow),
   * not only when the next caller arrives: so the status and OVERFLOWEND show the reopening when it happens.
   * (Added by the issue-4 journey tests, journey-overflow.test.ts; closing is still decided at an arrival.)
   */
  #reopenDrainedOverflows(): void {
    for (const [queueId, prev] of this.#overflow) {
      if (!prev.overflowing) continue
      const queue = this.#queues.get(queueId)
      if (!queue) continue
      const next = updateOverflow(queue.settings, this.#load(queue), prev, this.#now)
      if (next.overflowing) continue
      this.#overflow.set(queueId, next)
      this.#log('OVERFLOWEND', '', queueId, '', { reason: prev.reason })
    }
  }

  #callArrived(e: Extract<CoreEvent, { type: 'call-arrived' }>): void {
    if (this.#callers.has(e.callId)) return
    const queue = this.#queueByNumber(e.tenantDomain, e.queueNumber)
    if (!queue) {
      this.#log('UNKNOWNQUEUE', e.callId, '', '', { number: e.queueNumber, domain: e.tenantDomain })
      this.#emit({ type: 'hangup', callId: e.callId, cause: CAUSE.unallocated })
      return
    }
    const caller: CallerRt = {
      callId: e.callId,
      queueId: queue.id,
      tenantId: queue.tenantId,
      callerNumber: e.callerNumber,
      callerName: e.callerName,
      arrivedAt: this.#now,
      phase: 'welcome',
      answered: false,
      seq: 0,
      joinedAt: 0,
      announce: initialAnnounceState(),
      tried: new Set(),
    }
    this.#callers.set(caller.callId, caller)
    this.#emit({
      type: 'call-record',
      record: { callId: caller.callId, queueId: queue.id, tenantId: queue.tenantId, callerNumber: e.callerNumber, callerName: e.callerName, arrivedAt: this.#now },
    })
    const load = this.#load(queue)
    const prev = this.#overflow.get(queue.id) ?? NOT_OVERFLOWING
    const overflow = updateOverflow(queue.settings, load, prev, this.#now)
    if (overflow.overflowing !== prev.overflowing) {
      this.#log(overflow.overflowing ? 'OVERFLOWSTART' : 'OVERFLOWEND', '', queue.id, '', { reason: overflow.reason ?? prev.reason })
    }
    this.#overflow.set(queue.id, overflow)
    const admission = admit(queue, this.#openBook.state(queue, this.#now), load, overflow)
    if (admission.kind !== 'enter') {
      const event = admission.kind === 'closed' ? 'CLOSED' : admission.kind === 'overflow' ? 'OVERFLOW' : 'NOAGENTS'
      this.#turnAway(caller, event, admission.kind, admission.prompt, admission.action, { reason: admission.reason })
      return
    }
    this.#emit({ type: 'answer', callId: caller.callId })
    caller.answered = true
    const { welcome } = entryPrompts(queue.settings, caller.announce)
    if (welcome.length) this.#play(caller, welcome, 'welcome')
    else this.#enterQueue(caller)
  }

  #play(caller: CallerRt, ids: string[], what: 'welcome' | 'first' | 'announce' | 'end'): void {
    const queue = this.#queues.get(caller.queueId)!
    const token = this.#token(what, caller.callId)
    caller.playing = { token, what }
    this.#emit({ type: 'play', callId: caller.callId, files: this.#files(ids, queue.settings.language, queue), token })
  }

  #startHoldMusic(caller: CallerRt): void {
    const queue = this.#queues.get(caller.queueId)!
    caller.playing = undefined
    this.#emit({ type: 'hold-music', callId: caller.callId, source: this.#promptFiles.file(queue.settings.musicOnHold, queue.settings.language, queue) })
  }

  /** The welcome was heard in full: the caller takes a place in the line, hears the first message, then music. */
  #enterQueue(caller: CallerRt): void {
    const queue = this.#queues.get(caller.queueId)!
    caller.announce = { ...caller.announce, welcomeDone: true }
    caller.phase = 'queued'
    caller.joinedAt = this.#now
    caller.seq = this.#seq++
    this.#insertInLine(caller)
    const position = this.#position(caller)
    this.#log('ENTERQUEUE', caller.callId, queue.id, '', { position, callerNumber: caller.callerNumber })
    this.#emit({ type: 'call-record', record: { callId: caller.callId, enteredQueueAt: this.#now } })
    const { first } = entryPrompts(queue.settings, caller.announce)
    if (first.length) {
      caller.announce = markPlayed(caller.announce, 'first', this.#annCtx(caller))
      this.#play(caller, first, 'first')
    } else if (!this.#announceIfDue(caller, false)) {
      // No first message: the position/wait due on entry plays first; music only when nothing is due (not music
      // started and cut in the same instant — journey-open.test.ts).
      this.#startHoldMusic(caller)
    }
    this.#persist(caller)
    this.#armQueueTimers(caller)
    this.#startNoAgentsGraceIfEmpty(queue.id)
  }

  /** Save what a restart needs on the channel itself. */
  #persist(caller: CallerRt): void {
    this.#emit({
      type: 'set-vars',
      callId: caller.callId,
      vars: { koplus_queue_id: caller.queueId, koplus_joined_at: String(caller.joinedAt), koplus_seq: String(caller.seq), koplus_announce: encodeAnnounceState(caller.announce) },
    })
  }

  /** Timers of a waiting caller: next announcement, maximum wait, skills widening. */
  #armQueueTimers(caller: CallerRt): void {
    const s = this.#queues.get(caller.queueId)!.settings
    if (!caller.playing) this.#scheduleAnnouncement(caller)
    if (s.maxWaitSec > 0) this.#setTimer(`maxwait:${caller.callId}`, caller.joinedAt + s.maxWaitSec * 1000)
    if (s.strategy === 'skills' && s.widenSkillsAfterSec > 0) {
      const at = caller.joinedAt + s.widenSkillsAfterSec * 1000
      if (at > this.#now) this.#setTimer(`widen:${caller.callId}`, at)
    }
  }

  #insertInLine(caller: CallerRt): void {
    const line = this.#waiting.get(caller.queueId)!
    let i = line.length
    while (i > 0 && line[i - 1].seq > caller.seq) i--
    line.splice(i, 0, caller)
  }

  #removeFromLine(caller: CallerRt): number {
    const line = this.#waiting.get(caller.queueId)
    const i = line ? line.indexOf(caller) : -1
    if (i >= 0) line!.splice(i, 1)
    return i + 1
  }

  #position(caller: CallerRt): number {
    return (this.#waiting.get(caller.queueId)?.indexOf(caller) ?? -1) + 1
  }

  #annCtx(caller: CallerRt): AnnouncementContext {
    const queue = this.#queues.get(caller.queueId)!
    const position = Math.max(1, this.#position(caller))
    return { now: this.#now, joinedAt: caller.joinedAt, position, estimateSec: this.#estimate(queue, position), language: queue.settings.language }
  }

  #scheduleAnnouncement(caller: CallerRt): void {
    const queue = this.#queues.get(caller.queueId)!
    const plan = nextAnnouncement(queue.settings, caller.announce, this.#annCtx(caller))
    if (!plan) return this.#clearTimer(`ann:${caller.callId}`)
    const at = plan.prompts.length ? Math.max(plan.at, this.#now) : Math.max(plan.at, this.#now + 1000)
    this.#setTimer(`ann:${caller.callId}`, at)
  }

  /** A message ended: the next announcement if one is due now (e.g. the position right after the first message), else music. */
  #continueAfterPrompt(caller: CallerRt): void {
    if (this.#announceIfDue(caller, false)) return
    this.#startHoldMusic(caller)
    this.#scheduleAnnouncement(caller)
  }

  /** Periodic / position / wait announcement: the music stops, the message plays, the music resumes after it. */
  #announcementDue(caller: CallerRt): void {
    if (caller.phase !== 'queued' || caller.playing) return
    if (!this.#announceIfDue(caller, true)) this.#scheduleAnnouncement(caller)
  }

  #announceIfDue(caller: CallerRt, musicPlaying: boolean): boolean {
    const queue = this.#queues.get(caller.queueId)!
    const ctx = this.#annCtx(caller)
    const plan = nextAnnouncement(queue.settings, caller.announce, ctx)
    if (!plan || plan.at > this.#now + TIMER_SLACK_MS || plan.prompts.length === 0) return false
    this.#clearTimer(`ann:${caller.callId}`)
    caller.announce = markPlayed(caller.announce, plan.kind, ctx)
    if (musicPlaying) this.#emit({ type: 'stop-audio', callId: caller.callId })
    this.#play(caller, plan.prompts, 'announce')
    if ((plan.kind === 'wait' || plan.kind === 'position+wait') && ctx.estimateSec !== undefined) {
      this.#emit({ type: 'ewt', callId: caller.callId, queueId: queue.id, at: this.#now, position: ctx.position, seconds: Math.round(ctx.estimateSec) })
    }
    this.#emit({ type: 'set-vars', callId: caller.callId, vars: { koplus_announce: encodeAnnounceState(caller.announce) } })
    this.#logAnnouncement(caller, plan.kind, ctx)
    return true
  }

  #logAnnouncement(caller: CallerRt, kind: AnnouncementKind, ctx: AnnouncementContext): void {
    this.#log('ANNOUNCE', caller.callId, caller.queueId, '', { kind, position: ctx.position, ...(ctx.estimateSec !== undefined ? { estimateSec: Math.round(ctx.estimateSec) } : {}) })
  }

  #promptFinished(id: string, token: string, _interrupted: boolean): void {
    const caller = this.#callers.get(id)
    if (caller) {
      if (!caller.playing || caller.playing.token !== token) return
      const what = caller.playing.what
      caller.playing = undefined
      if (what === 'welcome' && caller.phase === 'welcome') return this.#enterQueue(caller)
      if ((what === 'first' || what === 'announce') && caller.phase === 'queued') return this.#continueAfterPrompt(caller)
      if (what === 'end' && caller.phase === 'ending') return this.#carryOutEndAction(caller)
      return
    }
    const leg = this.#legs.get(id)
    if (leg) {
      if (leg.token !== token) return
      if (leg.state === 'confirming') return this.#confirmPromptEnded(leg)
      if (leg.state === 'whisper') {
        const c = this.#callers.get(leg.callId)
        if (c && c.phase === 'connecting') this.#connect(c, leg)
      }
      return
    }
    const f = this.#features.get(id)
    if (f && f.token === token) this.#featureStepDone(f)
  }

  #callDtmf(callId: string, digit: string): void {
    const caller = this.#callers.get(callId)
    if (caller) {
      const s = this.#queues.get(caller.queueId)!.settings
      if (s.exitKey && digit === s.exitKey && s.exitAction && (caller.phase === 'queued' || caller.phase === 'welcome')) {
        this.#leaveQueue(caller, 'EXITWITHKEY', 'exit-key', '', s.exitAction, { key: digit })
      }
      return
    }
    const f = this.#features.get(callId)
    if (f) this.#recordChoice(f, digit)
  }

  #callHungup(callId: string, cause: string): void {
    const caller = this.#callers.get(callId)
    if (caller) {
      switch (caller.phase) {
        case 'welcome':
        case 'queued':
        case 'connecting':
          this.#abandon(caller, cause)
          break
        case 'bridged': {
          const legId = caller.legId!
          this.#endConversation(caller, 'COMPLETECALLER', cause)
          this.#emit({ type: 'hangup-leg', legId, cause: CAUSE.normal })
          break
        }
        case 'after':
        case 'ending':
          this.#emit({ type: 'call-record', record: { callId, endedAt: this.#now } })
          break
      }
      this.#forgetCaller(caller)
      return
    }
    const f = this.#features.get(callId)
    if (f) {
      this.#clearTimer(`feat:${callId}`)
      this.#features.delete(callId)
    }
  }

  /** The caller hung up before being connected: leaves the line; anything ringing for them stops. */
  #abandon(caller: CallerRt, cause: string): void {
    const queue = this.#queues.get(caller.queueId)
    const wasWaiting = caller.phase !== 'welcome'
    const wasConnecting = caller.phase === 'connecting'
    caller.phase = 'ending'
    if (wasConnecting && caller.legId) {
      const leg = this.#legs.get(caller.legId)
      if (leg) this.#releaseLeg(leg, CAUSE.cancel, false)
    }
    this.#cancelOffer(caller)
    const position = this.#removeFromLine(caller)
    const waitedMs = wasWaiting ? this.#now - caller.joinedAt : 0
    this.#log('ABANDON', caller.callId, caller.queueId, '', { position, waitSec: Math.round(waitedMs / 1000), cause, ...(wasWaiting ? {} : { during: 'welcome' }) })
    this.#emit({ type: 'call-record', record: { callId: caller.callId, outcome: 'abandoned', endedAt: this.#now } })
    if (queue && wasWaiting) this.#estimator(queue).recordAbandoned(this.#now, waitedMs)
  }

  #forgetCaller(caller: CallerRt): void {
    for (const t of ['ann', 'maxwait', 'widen']) this.#clearTimer(`${t}:${caller.callId}`)
    this.#removeFromLine(caller)
    this.#callers.delete(caller.callId)
  }

  /** A caller who will not be served on arrival (closed, overflow, no agents): early media, message, action. */
  #turnAway(caller: CallerRt, event: string, outcome: string, prompt: string, action: EndAction, data: Record<string, unknown>): void {
    this.#log(event, caller.callId, caller.queueId, '', { ...data, action: action.type })
    this.#emit({ type: 'call-record', record: { callId: caller.callId, outcome } })
    this.#finishWith(caller, prompt, action)
  }

  /** A waiting caller leaves the queue (max wait, exit key, no agents after grace). */
  #leaveQueue(caller: CallerRt, event: string, outcome: string, prompt: string, action: EndAction, data: Record<string, unknown> = {}): void {
    this.#cancelOffer(caller)
    const position = this.#removeFromLine(caller)
    const waitSec = caller.joinedAt ? Math.round((this.#now - caller.joinedAt) / 1000) : 0
    for (const t of ['ann', 'maxwait', 'widen']) this.#clearTimer(`${t}:${caller.callId}`)
    this.#log(event, caller.callId, caller.queueId, '', { ...data, position, waitSec, action: action.type })
    this.#emit({ type: 'call-record', record: { callId: caller.callId, outcome } })
    this.#finishWith(caller, prompt, action)
  }

  /** Play the message (as early media if not answered) and then carry out the end action. */
  #finishWith(caller: CallerRt, prompt: string, action: EndAction): void {
    caller.phase = 'ending'
    caller.endAction = action
    if (caller.answered || caller.playing) this.#emit({ type: 'stop-audio', callId: caller.callId })
    caller.playing = undefined
    if (prompt) {
      if (!caller.answered) this.#emit({ type: 'pre-answer', callId: caller.callId })
      this.#play(caller, [prompt], 'end')
    } else {
      this.#carryOutEndAction(caller)
    }
  }

  /** busy → USER_BUSY, hangup → NORMAL_CLEARING, forward → transfer. */
  #carryOutEndAction(caller: CallerRt): void {
    const action = caller.endAction ?? { type: 'hangup' }
    if (action.type === 'forward') this.#emit({ type: 'transfer', callId: caller.callId, destination: action.destination })
    else this.#emit({ type: 'hangup', callId: caller.callId, cause: action.type === 'busy' ? CAUSE.busy : CAUSE.normal })
    this.#emit({ type: 'call-record', record: { callId: caller.callId, endedAt: this.#now } })
    this.#forgetCaller(caller)
  }

  /** The last agent left a queue with callers waiting: after the grace period they get the no-agents action. */
  #startNoAgentsGraceIfEmpty(queueId: string): void {
    const queue = this.#queues.get(queueId)
    if (!queue || !queue.settings.noAgentsAction) return
    if (this.#loggedInCount(queueId) > 0 || this.#timers.has(`noagents:${queueId}`)) return
    if ((this.#waiting.get(queueId) ?? []).length === 0) return
    this.#setTimer(`noagents:${queueId}`, this.#now + queue.settings.noAgentsGraceSec * 1000)
  }

  #noAgentsGraceOver(queueId: string): void {
    const queue = this.#queues.get(queueId)
    if (!queue || !queue.settings.noAgentsAction || this.#loggedInCount(queueId) > 0) return
    for (const c of [...(this.#waiting.get(queueId) ?? [])]) {
      if (c.phase !== 'queued') continue
      this.#leaveQueue(c, 'NOAGENTS', 'no-agents', queue.settings.noAgentsPrompt, queue.settings.noAgentsAction, { grace: queue.settings.noAgentsGraceSec })
    }
  }

  // ───────────────────────────── restart ─────────────────────────────

  /** A caller rebuilt from the channel after a restart: back in their place (seq), without the welcome again. */
  #restoreCaller(e: Extract<CoreEvent, { type: 'call-arrived' }>, r: RestoredCall): void {
    if (this.#callers.has(e.callId)) return
    // The stable queue id first (a queue renumbered while the daemon was down keeps its callers), then the number.
    const byId = r.queueId ? this.#queues.get(r.queueId) : undefined
    const queue = byId ?? this.#queueByNumber(e.tenantDomain, e.queueNumber)
    if (r.connected && !r.bridgedTo) return this.#endRestoredConversation(e, r, queue)
    if (!queue && r.seq > 0) return this.#restoredQueueGone(e, r)
    if (!queue || (!r.answered && !r.bridgedTo) || !(r.seq > 0)) {
      // Never got into the queue before the restart: treat as a new arrival.
      const { restored: _r, ...fresh } = e
      return this.#callArrived(fresh)
    }
    const caller: CallerRt = {
      callId: e.callId,
      queueId: queue.id,
      tenantId: queue.tenantId,
      callerNumber: e.callerNumber,
      callerName: e.callerName,
      arrivedAt: r.joinedAt,
      phase: 'queued',
      answered: r.answered,
      seq: r.seq,
      joinedAt: r.joinedAt,
      announce: { ...decodeAnnounceState(r.announce), welcomeDone: true },
      tried: new Set(),
    }
    this.#callers.set(caller.callId, caller)
    this.#seq = Math.max(this.#seq, Math.floor(r.seq) + 1)
    if (queue.number !== e.queueNumber) {
      // Renumbered while the daemon was away: the channel carries the new number from now on.
      this.#emit({ type: 'set-vars', callId: caller.callId, vars: { koplus_queue: queue.number } })
    }
    if (r.repaired || !r.queueId) this.#persist(caller)
    const agent = r.bridgedTo ? this.#agents.get(r.bridgedTo.agentId) : undefined
    if (r.bridgedTo && agent) {
      const leg: LegRt = { legId: r.bridgedTo.legId, offerId: '', callId: caller.callId, agentId: agent.agent.id, confirm: false, whisper: false, state: 'won' }
      this.#legs.set(leg.legId, leg)
      caller.phase = 'bridged'
      caller.agentId = agent.agent.id
      caller.legId = leg.legId
      caller.answeredAt = r.connected?.at ?? this.#now
      agent.busy = 'on-call'
      agent.legId = leg.legId
      agent.callId = caller.callId
      this.#log('RESTORED', caller.callId, queue.id, agent.agent.id, { bridged: true })
      return
    }
    this.#insertInLine(caller)
    this.#log('RESTORED', caller.callId, queue.id, '', { seq: caller.seq, position: this.#position(caller) })
    this.#emit({ type: 'stop-audio', callId: caller.callId })
    // An announcement already due (e.g. the periodic message fell due during the restart) plays first, then music.
    if (!this.#announceIfDue(caller, false)) this.#startHoldMusic(caller)
    this.#armQueueTimers(caller)
    this.#startNoAgentsGraceIfEmpty(queue.id)
  }

  /**
   * A caller who was connected to an agent (koplus_connected) and is parked again: the agent hung up while the
   * daemon was away and park_after_bridge kept the caller. End the call as that hang-up would have: the
   * conversation is logged and recorded (once: not when the record was already closed), and the caller is hung up —
   * never offered again.
   */
  #endRestoredConversation(e: Extract<CoreEvent, { type: 'call-arrived' }>, r: RestoredCall, queue: Queue | undefined): void {
    const agentId = r.connected!.agentId
    if (!r.recordClosed && queue) {
      this.#log('COMPLETEAGENT', e.callId, queue.id, agentId, {
        holdSec: Math.round((r.connected!.at - r.joinedAt) / 1000),
        talkSec: Math.round((this.#now - r.connected!.at) / 1000),
        cause: CAUSE.normal,
        restored: true,
      })
      this.#emit({
        type: 'call-record',
        record: {
          callId: e.callId,
          queueId: queue.id,
          tenantId: queue.tenantId,
          callerNumber: e.callerNumber,
          callerName: e.callerName,
          arrivedAt: r.joinedAt,
          enteredQueueAt: r.joinedAt,
          answeredAt: r.connected!.at,
          endedAt: this.#now,
          outcome: 'answered',
          ...(agentId ? { agentId } : {}),
        },
      })
    }
    this.#emit({ type: 'hangup', callId: e.callId, cause: CAUSE.normal })
  }

  /**
   * A caller who waited in a queue that no longer exists (deleted while the daemon was down; a renumbered queue is
   * still found by its id): the configured fallback (calls.unknownQueueAction: busy, hang-up or a forward), logged
   * as UNKNOWNQUEUE — not the unallocated-number hang-up of a new call to an unknown number.
   */
  #restoredQueueGone(e: Extract<CoreEvent, { type: 'call-arrived' }>, r: RestoredCall): void {
    const action = this.#config.unknownQueueAction ?? { type: 'busy' }
    this.#log('UNKNOWNQUEUE', e.callId, r.queueId ?? '', '', { number: e.queueNumber, domain: e.tenantDomain, restored: true, action: action.type })
    if (r.hasRecord && !r.recordClosed) {
      this.#emit({ type: 'call-record', record: { callId: e.callId, outcome: action.type === 'forward' ? 'transferred' : 'failed', endedAt: this.#now } })
    }
    if (action.type === 'forward') this.#emit({ type: 'transfer', callId: e.callId, destination: action.destination })
    else this.#emit({ type: 'hangup', callId: e.callId, cause: action.type === 'busy' ? CAUSE.busy : CAUSE.normal })
  }

  // ───────────────────────────── timers ─────────────────────────────

  #timer(id: string): void {
    const at = this.#timers.get(id)
    if (at === undefined || at > this.#now + TIMER_SLACK_MS) return
    this.#timers.delete(id)
    const sep = id.indexOf(':')
    const kind = id.slice(0, sep)
    const key = id.slice(sep + 1)
    switch (kind) {
      case 'offer':
        return this.#offerTimedOut(key)
      case 'confirm': {
        const leg = this.#legs.get(key)
        if (leg && leg.state === 'confirming') this.#confirmationMissed(leg)
        return
      }
      case 'ann': {
        const c = this.#callers.get(key)
        if (c) this.#announcementDue(c)
        return
      }
      case 'maxwait': {
        const c = this.#callers.get(key)
        if (c && c.phase === 'queued') {
          const s = this.#queues.get(c.queueId)!.settings
          this.#leaveQueue(c, 'EXITWITHTIMEOUT', 'max-wait', '', s.maxWaitAction, { maxWaitSec: s.maxWaitSec })
        }
        return
      }
      case 'widen':
        return // dispatch() runs after every event and now sees the widened caller
      case 'wrapup': {
        const a = this.#agents.get(key)
        if (a) this.#endWrapUp(a, 'system')
        return
      }
      case 'noagents':
        return this.#noAgentsGraceOver(key)
      case 'sched':
        return this.#reviewOpenState()
      case 'feat': {
        const f = this.#features.get(key)
        if (f) this.#featureHangup(f)
        return
      }
    }
  }

  // ───────────────────────────── feature codes ─────────────────────────────

  /** An agent dialled *7x: identified by the authenticated SIP user in the tenant of the domain, never by caller id. */
  #featureCall(callId: string, digits: string, sipUser: string, domain: string): void {
    if (this.#features.has(callId)) return
    // The agent is the authenticated SIP user (never the caller id) of the tenant of the call's domain; with one
    // tenant that is any domain (#tenantFor), with several only the tenant whose domain it is.
    const tenant = this.#tenantFor(domain)
    const agentRt = tenant && sipUser ? [...this.#agents.values()].find((a) => a.agent.tenantId === tenant.id && a.agent.sipUser === sipUser) : undefined
    const f: FeatureRt = { callId, language: agentRt ? this.#agentLanguage(agentRt) : 'sv', step: 'reply', agentId: agentRt?.agent.id, tenantId: tenant?.id }
    this.#features.set(callId, f)
    this.#emit({ type: 'answer', callId })
    const parsed = parseFeatureCode(digits, this.#config.featureCodes)
    if (!agentRt || !tenant || !parsed) {
      this.#log('FEATUREREFUSED', callId, '', agentRt?.agent.id ?? '', { digits, reason: !agentRt ? 'unknown sip user' : 'unknown code' })
      return this.#featureReply(f, sayError())
    }
    const agentId = agentRt.agent.id
    const queueByNumber = (n: string): Queue | undefined => [...this.#queues.values()].find((q) => q.tenantId === tenant.id && q.number === n)
    const rest = parsed.rest.replace(/#$/, '')
    switch (parsed.action) {
      case 'login':
      case 'logout': {
        let ids: string[] | undefined
        if (rest) {
          const q = queueByNumber(rest)
          if (!q) return this.#featureReply(f, sayUnknownQueue())
          ids = [q.id]
        }
        if (parsed.action === 'login') {
          const r = this.#login(agentId, ids, 'phone')
          if (!r.ok) {
            const ids2 = r.reason === 'plan' ? sayNotAllowedByPlan() : r.reason === 'not-member' ? sayNotMember() : sayError()
            return this.#featureReply(f, ids2)
          }
          return this.#featureReply(f, sayLoggedIn(r.count, f.language))
        }
        const r = this.#logout(agentId, ids, 'phone', 'feature code')
        return this.#featureReply(f, r.count === 0 ? sayLoggedOut() : sayLoggedIn(r.count, f.language))
      }
      case 'device': {
        const n = Number(rest)
        if (!/^\d+$/.test(rest) || !this.#chooseDevice(agentId, n - 1, 'phone')) return this.#featureReply(f, ['invalid-entry'])
        return this.#featureReply(f, sayDeviceChosen(agentRt.agent.devices[n - 1].type))
      }
      case 'pause': {
        const pausing = !agentRt.paused
        if (!this.#pause(agentId, pausing, pausing && rest ? rest : undefined, 'phone')) return this.#featureReply(f, sayLoggedIn(0, f.language))
        return this.#featureReply(f, pausing ? sayPaused() : sayUnpaused())
      }
      case 'wrapUpEnd':
        if (agentRt.busy === 'wrap-up') this.#endWrapUp(agentRt, 'phone')
        return this.#featureReply(f, sayWrapUpEnded())
      case 'record':
        return this.#startRecording(f, agentRt, rest, queueByNumber)
    }
  }

  #featureReply(f: FeatureRt, ids: string[]): void {
    f.step = 'reply'
    f.token = this.#token('feature', f.callId)
    this.#emit({ type: 'play', callId: f.callId, files: this.#files(ids, f.language), token: f.token })
  }

  #featureHangup(f: FeatureRt): void {
    f.step = 'done'
    f.token = undefined
    this.#clearTimer(`feat:${f.callId}`)
    this.#emit({ type: 'hangup', callId: f.callId, cause: CAUSE.normal })
    this.#features.delete(f.callId)
  }

  /** *79<n>[<queue number>]: record prompt n (see RECORDABLE_PROMPTS) for the tenant or one queue. */
  #startRecording(f: FeatureRt, agent: AgentRt, rest: string, queueByNumber: (n: string) => Queue | undefined): void {
    const name = RECORDABLE_PROMPTS[rest.slice(0, 1)]
    if (!name) return this.#featureReply(f, ['invalid-entry'])
    if (!QUEUE_PLANS.includes(agent.agent.plan)) return this.#featureReply(f, sayNotAllowedByPlan())
    let queue: Queue | undefined
    if (rest.length > 1) {
      queue = queueByNumber(rest.slice(1))
      if (!queue) return this.#featureReply(f, sayUnknownQueue())
      if (!this.#members.has(`${agent.agent.id}|${queue.id}`)) return this.#featureReply(f, sayNotMember())
      f.language = queue.settings.language
    }
    const queueId = queue?.id ?? null
    const id = this.#newId(f.callId)
    const path = recordingPath(this.#config, agent.agent.tenantId, queueId, f.language, name, id)
    f.record = { name, queueId, path }
    this.#recordIntro(f)
  }

  #recordIntro(f: FeatureRt): void {
    f.step = 'rec-intro'
    f.token = this.#token('rec-intro', f.callId)
    this.#emit({ type: 'play', callId: f.callId, files: this.#files(sayRecordAfterBeep(), f.language), token: f.token })
  }

  #featureStepDone(f: FeatureRt): void {
    switch (f.step) {
      case 'reply':
        return this.#featureHangup(f)
      case 'rec-intro':
        f.step = 'recording'
        f.token = this.#token('record', f.callId)
        this.#emit({ type: 'record', callId: f.callId, path: f.record!.path, maxSec: RECORD_MAX_SEC, silenceSec: RECORD_SILENCE_SEC, token: f.token })
        return
      case 'recording':
        f.step = 'rec-review'
        f.token = this.#token('rec-review', f.callId)
        this.#emit({ type: 'play', callId: f.callId, files: [f.record!.path, ...this.#files(sayRecordConfirm(), f.language)], token: f.token })
        return
      case 'rec-review':
        f.step = 'rec-choice'
        f.token = undefined
        this.#setTimer(`feat:${f.callId}`, this.#now + RECORD_CHOICE_TIMEOUT_SEC * 1000)
        return
    }
  }

  /** After the playback: 1 keeps the recording, 2 records again. */
  #recordChoice(f: FeatureRt, digit: string): void {
    if ((f.step !== 'rec-review' && f.step !== 'rec-choice') || !f.record) return
    if (digit !== '1' && digit !== '2') return
    this.#clearTimer(`feat:${f.callId}`)
    if (f.step === 'rec-review') this.#emit({ type: 'stop-audio', callId: f.callId })
    if (digit === '2') return this.#recordIntro(f)
    this.#emit({ type: 'prompt-recorded', tenantId: f.tenantId!, queueId: f.record.queueId, language: f.language, name: f.record.name, path: f.record.path })
    this.#log('PROMPTRECORDED', f.callId, f.record.queueId ?? '', f.agentId ?? '', { name: f.record.name, path: f.record.path })
    this.#featureReply(f, sayPromptSaved())
  }

  // ───────────────────────────── status ─────────────────────────────

  #queueStatus(q: Queue, now: number): QueueStatus {
    const line = this.#waiting.get(q.id) ?? []
    const agents = { loggedIn: 0, free: 0, ringing: 0, onCall: 0, wrapUp: 0, paused: 0 }
    for (const a of this.#agents.values()) {
      if (!a.queues.has(q.id)) continue
      agents.loggedIn++
      if (a.busy === 'ringing') agents.ringing++
      else if (a.busy === 'on-call') agents.onCall++
      else if (a.busy === 'wrap-up') agents.wrapUp++
      else if (a.paused) agents.paused++
      else if (this.#isFree(a)) agents.free++
    }
    let connected = 0
    for (const c of this.#callers.values()) if (c.queueId === q.id && (c.phase === 'connecting' || c.phase === 'bridged')) connected++
    const ov = this.#overflow.get(q.id)
    const saveNow = this.#now
    this.#now = now
    const est = this.#estimate(q, line.length + 1)
    this.#now = saveNow
    return {
      queueId: q.id,
      tenantId: q.tenantId,
      number: q.number,
      name: q.name,
      strategy: q.settings.strategy,
      waiting: line.length,
      longestWaitSec: line.length ? Math.max(0, Math.round((now - line.reduce((m, c) => Math.min(m, c.joinedAt), Infinity)) / 1000)) : 0,
      callers: line.map((c, i) => ({
        callId: c.callId,
        position: i + 1,
        seq: c.seq,
        callerNumber: c.callerNumber,
        waitedSec: Math.max(0, Math.round((now - c.joinedAt) / 1000)),
        ringing: c.offerId ? (this.#offers.get(c.offerId)?.legs ?? []).filter((l) => l.state !== 'done').map((l) => l.agentId) : [],
      })),
      connected,
      agents,
      overflowing: !!ov?.overflowing,
      ...(ov?.reason && ov.overflowing ? { overflowReason: ov.reason } : {}),
      ...(est !== undefined ? { estimatedWaitSec: Math.round(est) } : {}),
    }
  }

  #agentStatus(a: AgentRt): AgentStatus {
    let state: AgentStateName
    if (a.busy === 'ringing') state = 'ringing'
    else if (a.busy === 'on-call') state = 'on-call'
    else if (a.busy === 'wrap-up') state = 'wrap-up'
    else if (a.queues.size === 0) state = 'logged-out'
    else if (a.paused) state = 'paused'
    else state = 'free'
    const device = this.#activeDevice(a)
    return {
      agentId: a.agent.id,
      tenantId: a.agent.tenantId,
      name: a.agent.name,
      extension: a.agent.extension,
      queues: [...a.queues].sort(),
      state,
      paused: a.paused,
      ...(a.pauseReason ? { pauseReason: a.pauseReason } : {}),
      deviceIndex: a.agent.activeDevice,
      ...(device ? { activeDevice: device } : {}),
      registered: this.#deviceRegistered(a),
      deviceBusy: this.#deviceBusy(a),
      ...(a.queues.size > 0 ? { idleSince: a.idleSince } : {}),
      unanswered: a.unanswered,
      ...(a.autoLogoutReason ? { autoLogoutReason: a.autoLogoutReason } : {}),
      ...(a.callId ? { callId: a.callId } : {}),
      ...(a.wrapUpEndsAt !== undefined && a.busy === 'wrap-up' ? { wrapUpEndsAt: a.wrapUpEndsAt } : {}),
    }
  }
}
