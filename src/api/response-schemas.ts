/**
 * Schemas of the API's JSON answers, per route id, for the OpenAPI document (openapi.ts). The API tests check every
 * answer they receive against the served document (test/api/openapi-check.ts), and a test requires a schema here for
 * every route that answers JSON, so the document cannot drift from the code.
 *
 * Answers may carry fields not listed (clients must ignore unknown fields); the listed `required` ones are always
 * there.
 */
import type { JsonSchema } from './validate.js'
import { arr, bool, int, num, str } from './validate.js'
import * as S from './schemas.js'

/** An object whose listed properties are described; other keys may appear. */
const rec = (
  properties: Record<string, JsonSchema>,
  required: readonly string[] = Object.keys(properties),
  extra: { description?: string; nullable?: boolean } = {},
): JsonSchema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
  additionalProperties: true,
  ...extra,
})
const EPOCH_MS = int(0, undefined, { description: 'epoch milliseconds' })
const EPOCH_MS_OR_NULL = int(0, undefined, { description: 'epoch milliseconds', nullable: true })
const ID_OR_NULL: JsonSchema = { ...S.ID, nullable: true }
const NUM_OR_NULL: JsonSchema = { type: 'number', nullable: true }
const list = (item: JsonSchema): JsonSchema => rec({ items: arr(item) })

const TENANT = rec({ id: S.ID, name: str(), domain: str(), createdAt: EPOCH_MS }, ['id', 'name', 'domain'])
const QUEUE = rec(
  {
    id: S.ID,
    tenantId: S.ID,
    number: S.NUMBER,
    name: str(),
    tags: arr(str()),
    settings: S.QUEUE_SETTINGS,
    createdAt: EPOCH_MS,
    updatedAt: EPOCH_MS,
  },
  ['id', 'tenantId', 'number', 'name', 'tags', 'settings'],
)
const AGENT = rec(
  {
    id: S.ID,
    tenantId: S.ID,
    extension: S.NUMBER,
    name: str(),
    plan: S.PLAN,
    sipUser: str(),
    devices: arr(S.DEVICE),
    activeDevice: int(0),
    wrapUpSec: int(0, undefined, { nullable: true }),
    skills: { type: 'object', additionalProperties: int(1, 10) },
    createdAt: EPOCH_MS,
    updatedAt: EPOCH_MS,
  },
  ['id', 'tenantId', 'extension', 'name', 'plan', 'sipUser', 'devices', 'activeDevice', 'wrapUpSec', 'skills'],
)
const ACCOUNT = rec(
  {
    id: str(),
    username: str(),
    role: str({ enum: ['operator', 'tenant-admin', 'agent'] }),
    tenantId: ID_OR_NULL,
    agentId: ID_OR_NULL,
    createdAt: EPOCH_MS,
    updatedAt: EPOCH_MS,
  },
  ['id', 'username', 'role', 'tenantId', 'agentId'],
)
const SESSION = rec(
  {
    account: ACCOUNT,
    csrfToken: str({ nullable: true, description: 'web sessions: send it as X-CSRF-Token on changes' }),
  },
  ['account'],
)
const CALENDAR = rec(
  {
    id: S.ID,
    tenantId: ID_OR_NULL,
    name: str(),
    country: str(),
    region: str(),
    closedTypes: arr(str()),
    customDates: arr(S.CUSTOM_DATE),
    createdAt: EPOCH_MS,
    updatedAt: EPOCH_MS,
  },
  ['id', 'tenantId', 'name', 'customDates'],
)
const CLOSURE = rec(
  {
    id: str(),
    tenantId: S.ID,
    scope: rec({ kind: str({ enum: ['queues', 'tag', 'tenant'] }) }, ['kind'], {
      description: "{kind:'queues', queueIds} | {kind:'tag', tag} | {kind:'tenant'}",
    }),
    queueIds: arr(S.ID),
    from: EPOCH_MS,
    until: EPOCH_MS,
    reason: str(),
    messagePrompt: str(),
    by: str(),
    createdAt: EPOCH_MS,
    reopenedAt: EPOCH_MS,
    reopenedBy: str(),
  },
  ['id', 'tenantId', 'scope', 'queueIds', 'from', 'reason', 'by'],
)
const MEMBERSHIP = rec({ agentId: S.ID, queueId: S.ID, createdAt: EPOCH_MS }, ['agentId', 'queueId'])
const PROMPT = rec(
  {
    id: str(),
    tenantId: S.ID,
    queueId: ID_OR_NULL,
    language: S.LANGUAGE,
    name: str(),
    path: str(),
    createdAt: EPOCH_MS,
  },
  ['id', 'tenantId', 'language', 'name', 'path'],
)
const SCHEDULE = rec({ timeZone: str(), rules: arr(S.RULE), calendarIds: arr(S.ID), alwaysOpen: bool() }, ['rules'], {
  nullable: true,
})
const OPENING = rec({ at: EPOCH_MS, open: bool(), reason: str() })

const STATUS = rec(
  {
    at: EPOCH_MS,
    queues: arr(
      rec(
        {
          queueId: S.ID,
          tenantId: S.ID,
          number: str(),
          name: str(),
          waiting: int(0),
          longestWaitSec: num(0),
          callers: arr(rec({ callId: str(), position: int(1), waitedSec: num(0) })),
        },
        ['queueId', 'tenantId', 'number', 'name', 'waiting'],
      ),
    ),
    agents: arr(
      rec(
        {
          agentId: S.ID,
          tenantId: S.ID,
          extension: str(),
          state: str({ enum: ['logged-out', 'free', 'ringing', 'on-call', 'wrap-up', 'paused'] }),
          queues: arr(S.ID),
        },
        ['agentId', 'tenantId', 'state'],
      ),
    ),
  },
  ['at', 'queues', 'agents'],
  { description: "The engine's status (SPEC A2), narrowed to what the account may see" },
)
const ACTION = rec({ ok: bool('true: the engine took the action'), status: STATUS })

const CALL = rec(
  {
    callId: str(),
    tenantId: S.ID,
    queueId: ID_OR_NULL,
    callerNumber: str(),
    callerName: str(),
    arrivedAt: EPOCH_MS,
    enteredQueueAt: EPOCH_MS_OR_NULL,
    answeredAt: EPOCH_MS_OR_NULL,
    endedAt: EPOCH_MS_OR_NULL,
    outcome: str({ nullable: true }),
    agentId: ID_OR_NULL,
    waitMs: int(0, undefined, { nullable: true }),
    talkMs: int(0, undefined, { nullable: true }),
  },
  ['callId', 'tenantId', 'callerNumber', 'arrivedAt', 'outcome'],
)
const QUEUE_STATS = rec(
  {
    queueId: S.ID,
    bucket: str({ description: 'YYYY-MM-DD, YYYY-MM-DD HH:00 or total' }),
    arrived: int(0),
    offered: int(0),
    answered: int(0),
    abandoned: int(0),
    outcomes: { type: 'object', additionalProperties: int(0) },
    abandonedCallers: arr(
      rec({ callId: str(), callerNumber: str(), waitMs: int(0, undefined, { nullable: true }) }, [
        'callId',
        'callerNumber',
      ]),
    ),
    answeredWithinSl: int(0),
    serviceLevel: NUM_OR_NULL,
    avgWaitMs: NUM_OR_NULL,
    p90WaitMs: NUM_OR_NULL,
    avgTalkMs: NUM_OR_NULL,
  },
  ['queueId', 'bucket', 'arrived', 'answered', 'abandoned', 'serviceLevel'],
)
const AGENT_STATS = rec(
  {
    agentId: S.ID,
    extension: str(),
    name: str(),
    offered: int(0),
    answered: int(0),
    missed: int(0),
    talkMs: int(0),
    wrapUpMs: int(0),
  },
  ['agentId', 'answered', 'missed', 'talkMs'],
)
const EWT = rec(
  {
    queueId: S.ID,
    since: EPOCH_MS,
    until: EPOCH_MS,
    n: int(0),
    maeSeconds: NUM_OR_NULL,
    biasSeconds: NUM_OR_NULL,
    within60Share: NUM_OR_NULL,
  },
  ['queueId', 'since', 'until', 'n'],
)
const LICENCE = rec(
  { tenant: S.ID, agentId: S.ID, extension: str(), name: str(), plan: S.PLAN, firstMemberAt: EPOCH_MS, queues: int(0) },
  ['tenant', 'agentId', 'plan'],
)
const TOKEN_INFO = rec(
  {
    id: str(),
    name: str(),
    createdAt: EPOCH_MS,
    expiresAt: EPOCH_MS_OR_NULL,
    lastUsedAt: EPOCH_MS_OR_NULL,
    accountId: str(),
    username: str(),
  },
  ['id', 'name', 'createdAt', 'accountId'],
)

/** The JSON answer of each route (its success status). Routes answering 204, audio or a stream have none. */
/** A callback (issue 14, docs/callback.md). */
const CALLBACK = rec(
  {
    callId: str(),
    tenantId: S.ID,
    queueId: S.ID,
    number: str(),
    callerNumber: str(),
    requestedAt: EPOCH_MS,
    joinedAt: EPOCH_MS,
    seq: num(),
    state: str({ enum: ['waiting', 'dialing', 'completed', 'failed', 'cancelled'] }),
    attempts: int(0),
    nextAttemptAt: EPOCH_MS,
    heldSince: EPOCH_MS_OR_NULL,
    reason: str({ nullable: true }),
    agentId: ID_OR_NULL,
    connectedAt: EPOCH_MS_OR_NULL,
    endedAt: EPOCH_MS_OR_NULL,
  },
  ['callId', 'tenantId', 'queueId', 'number', 'state', 'attempts', 'requestedAt'],
)
const CALLBACK_STATS = rec({
  from: EPOCH_MS,
  to: EPOCH_MS,
  requested: int(0),
  completed: int(0),
  pending: int(0),
  cancelled: int(0),
  failed: { type: 'object', additionalProperties: int(0), description: 'reason → count' },
  toConnectionSec: rec({ avg: NUM_OR_NULL, max: NUM_OR_NULL }),
})

export const RESPONSE_SCHEMAS: Record<string, JsonSchema> = {
  'auth.login': SESSION,
  'auth.me': SESSION,
  'tenants.list': list(TENANT),
  'tenants.create': TENANT,
  'tenants.get': TENANT,
  'tenants.update': TENANT,
  'queues.list': list(QUEUE),
  'queues.create': QUEUE,
  'queues.get': QUEUE,
  'queues.update': QUEUE,
  'schedule.get': rec({ schedule: SCHEDULE }),
  'schedule.set': rec({ schedule: SCHEDULE }),
  'schedule.addRule': rec({ rule: S.RULE, schedule: SCHEDULE }),
  'schedule.explain': rec(
    {
      at: EPOCH_MS,
      open: bool(),
      reason: str(),
      decidedBy: rec({ kind: str() }, ['kind']),
      nextChange: EPOCH_MS_OR_NULL,
    },
    ['at', 'open', 'reason'],
  ),
  'schedule.next': list(OPENING),
  'calendars.list': list(CALENDAR),
  'calendars.get': CALENDAR,
  'calendars.create': CALENDAR,
  'calendars.update': CALENDAR,
  'closures.list': list(CLOSURE),
  'closures.create': CLOSURE,
  'closures.get': CLOSURE,
  'closures.reopen': CLOSURE,
  'queues.close': CLOSURE,
  'queues.reopen': list(CLOSURE),
  'agents.list': list(AGENT),
  'agents.create': AGENT,
  'agents.get': AGENT,
  'agents.update': AGENT,
  'agents.setSkill': AGENT,
  'agents.removeSkill': AGENT,
  'agents.login': ACTION,
  'agents.logout': ACTION,
  'agents.pause': ACTION,
  'agents.unpause': ACTION,
  'agents.device': ACTION,
  'agents.endWrapUp': ACTION,
  'memberships.list': list(MEMBERSHIP),
  'memberships.add': MEMBERSHIP,
  'prompts.list': list(PROMPT),
  'prompts.upload': PROMPT,
  'accounts.list': list(ACCOUNT),
  'accounts.create': ACCOUNT,
  'accounts.get': ACCOUNT,
  'accounts.update': ACCOUNT,
  'tokens.list': list(TOKEN_INFO),
  'tokens.create': rec({ id: str(), name: str(), accountId: str(), token: str({ description: 'shown once' }) }),
  'status.get': STATUS,
  'calls.list': list(CALL),
  'stats.queues': list(QUEUE_STATS),
  'stats.agents': list(AGENT_STATS),
  'stats.ewt': EWT,
  'reports.licences': list(LICENCE),
  'callbacks.list': list(CALLBACK),
  'callbacks.stats': CALLBACK_STATS,
  'callbacks.cancel': CALLBACK,
  'callbacks.move': CALLBACK,
}

/** Routes that answer 201 Created (the others with a JSON answer: 200). */
export const CREATED = new Set([
  'tenants.create',
  'queues.create',
  'schedule.addRule',
  'calendars.create',
  'closures.create',
  'queues.close',
  'agents.create',
  'memberships.add',
  'prompts.upload',
  'accounts.create',
  'tokens.create',
])
