/**
 * The configuration model shared by the store (SQLite), the core (pure call logic), the API and the CLI.
 * Everything here is plain JSON-serialisable data. Times are epoch milliseconds unless named otherwise.
 */

export type Language = 'sv' | 'en'
export type Plan = 'basic' | 'pro' | 'business' | 'enterprise'
/** Plans allowed to log in to queues (SPEC T4). */
export const QUEUE_PLANS: readonly Plan[] = ['pro', 'business', 'enterprise']

export type Strategy = 'longest-idle' | 'ring-parallel' | 'skills'
export type DeviceType = 'softphone' | 'deskphone' | 'mobile'

/** What happens to a caller the queue will not serve (closed, overflow, no agents, max wait, exit key). */
export type EndAction = { type: 'busy' } | { type: 'hangup' } | { type: 'forward'; destination: string }

export interface Tenant {
  id: string
  name: string
  /** The FreeSWITCH domain this tenant's calls carry (variable koplus_tenant / domain_name). */
  domain: string
}

export interface QueueSettings {
  language: Language
  strategy: Strategy
  /** ring-parallel: how many agents ring at once. */
  parallelCount: number
  /** Seconds an offer rings before it moves on (originate_timeout). */
  ringTimeSec: number
  /** Seconds of wrap-up after a queue call, unless the agent overrides it. */
  wrapUpSec: number
  /** Consecutive unanswered offers before an automatic logout; 0 = never. */
  autoLogoutAfter: number
  /** Queue priority: breaks ties between queues of an agent (higher first). */
  priority: number
  /** skills: required skill name → minimum level (1..10). */
  requiredSkills: Record<string, number>
  /** skills: after this many seconds of waiting, the skill minimums are dropped (0 = never widened). */
  widenSkillsAfterSec: number
  /** Announcements (Q1–Q5); prompt ids or file paths; '' = none. */
  welcomePrompt: string
  firstMessagePrompt: string
  periodicPrompt: string
  periodicIntervalSec: number
  announcePosition: boolean
  positionIntervalSec: number
  positionOnlyWhenChanged: boolean
  announceWait: boolean
  /** Music on hold: a file path or tone_stream:// (played with loops -1). */
  musicOnHold: string
  /** Closed (schedule/holiday/closure). */
  closedPrompt: string
  closedAction: EndAction
  /** Overflow (D4): close to new callers when exceeded; 0 = no limit. */
  overflowMaxCallers: number
  overflowMaxWaitSec: number
  overflowMaxEstimatedWaitSec: number
  /** Hysteresis: reopen only when below this fraction of each threshold (e.g. 0.8). */
  overflowReopenRatio: number
  overflowPrompt: string
  overflowAction: EndAction
  /** No agent logged in (D5). */
  noAgentsAction: EndAction | null
  noAgentsPrompt: string
  /** Grace period for callers already waiting when the last agent logs out. */
  noAgentsGraceSec: number
  /** Maximum wait and its action; 0 = unlimited. */
  maxWaitSec: number
  maxWaitAction: EndAction
  /** Optional exit key, e.g. '0', and where it leads. */
  exitKey: string
  exitAction: EndAction | null
  /** Mobile answer confirmation (press 1) per device type, and a whisper of the queue name. */
  confirmOn: DeviceType[]
  whisper: boolean
  /**
   * Callback (issue 14, docs/callback.md): the key that asks to be called back, announced after the position /
   * wait message; '' = off. The caller keeps their place as a virtual caller.
   */
  callbackKey: string
  /** Offer callback only when the estimated wait is at least this many seconds (0 = always). */
  callbackMinWaitSec: number
  /** The numbers a callback may go to, as a regular expression over the digits (anchored). */
  callbackNumberPattern: string
  /** Further attempts after an unanswered callback, and the minutes between attempts. */
  callbackRetries: number
  callbackRetryMin: number
  /** Seconds the called-back person's phone rings before the attempt counts as unanswered. */
  callbackRingSec: number
  /** A callback held while the queue is closed expires after this many seconds (0 = waits for the next opening). */
  callbackClosedExpireSec: number
  /** Caller ID shown to the called-back person; '' = the queue's number. */
  callbackCallerId: string
}

export interface Queue {
  id: string
  tenantId: string
  /** The number callers dial, unique per tenant. */
  number: string
  name: string
  /** Queue group tags, for closing many queues at once. */
  tags: string[]
  settings: QueueSettings
}

export interface Device {
  type: DeviceType
  /** softphone/deskphone: SIP user; mobile: the phone number. */
  target: string
}

export interface Agent {
  id: string
  tenantId: string
  extension: string
  name: string
  plan: Plan
  /** The SIP user (directory user) that identifies the agent on feature-code calls. */
  sipUser: string
  devices: Device[]
  /** Index into devices of the active one. */
  activeDevice: number
  /** Per-agent wrap-up override in seconds; null = the queue's. */
  wrapUpSec: number | null
  /** skill name → level (1..10). */
  skills: Record<string, number>
}

export interface Membership {
  agentId: string
  queueId: string
}

/**
 * The allowed range of every numeric queue setting, [min, max]: the one table the store's validation and the API's
 * schema (and so its OpenAPI description) are both built from.
 */
export const QUEUE_SETTING_RANGES = {
  parallelCount: [1, 50],
  ringTimeSec: [1, 300],
  wrapUpSec: [0, 3600],
  autoLogoutAfter: [0, 100],
  priority: [-100, 100],
  widenSkillsAfterSec: [0, 86400],
  periodicIntervalSec: [0, 3600],
  positionIntervalSec: [0, 3600],
  overflowMaxCallers: [0, 10000],
  overflowMaxWaitSec: [0, 86400],
  overflowMaxEstimatedWaitSec: [0, 86400],
  overflowReopenRatio: [0, 1],
  noAgentsGraceSec: [0, 86400],
  maxWaitSec: [0, 86400],
  callbackMinWaitSec: [0, 86400],
  callbackRetries: [0, 10],
  callbackRetryMin: [1, 1440],
  callbackRingSec: [5, 120],
  callbackClosedExpireSec: [0, 604800],
} as const satisfies Partial<Record<keyof QueueSettings, readonly [number, number]>>

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  language: 'sv',
  strategy: 'longest-idle',
  parallelCount: 2,
  ringTimeSec: 20,
  wrapUpSec: 10,
  autoLogoutAfter: 3,
  priority: 0,
  requiredSkills: {},
  widenSkillsAfterSec: 0,
  welcomePrompt: 'welcome',
  firstMessagePrompt: 'queue-first',
  periodicPrompt: 'queue-periodic',
  periodicIntervalSec: 60,
  announcePosition: true,
  positionIntervalSec: 60,
  positionOnlyWhenChanged: false,
  announceWait: true,
  musicOnHold: 'moh',
  closedPrompt: 'closed',
  closedAction: { type: 'hangup' },
  overflowMaxCallers: 0,
  overflowMaxWaitSec: 0,
  overflowMaxEstimatedWaitSec: 0,
  overflowReopenRatio: 0.8,
  overflowPrompt: 'overflow',
  overflowAction: { type: 'busy' },
  noAgentsAction: null,
  noAgentsPrompt: 'no-agents',
  noAgentsGraceSec: 60,
  maxWaitSec: 0,
  maxWaitAction: { type: 'hangup' },
  exitKey: '',
  exitAction: null,
  confirmOn: ['mobile'],
  whisper: false,
  callbackKey: '',
  callbackMinWaitSec: 0,
  callbackNumberPattern: '^0[1-9][0-9]{6,11}$',
  callbackRetries: 2,
  callbackRetryMin: 5,
  callbackRingSec: 30,
  callbackClosedExpireSec: 0,
  callbackCallerId: '',
}
