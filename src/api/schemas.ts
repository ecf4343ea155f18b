/** Request schemas of the API's entities (validation + OpenAPI). Field names match src/core/model.ts. */
import { arr, bool, int, map, num, obj, str, type JsonSchema } from './validate.js'
import { QUEUE_SETTING_RANGES as R } from '../core/model.js'

export const ID = str({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$', description: 'id: letters, digits, _ . -' })
export const NUMBER = str({ pattern: '^[0-9*#+]{1,32}$', description: 'a dialable number' })
export const LANGUAGE = str({ enum: ['sv', 'en'] })
export const PLAN = str({ enum: ['basic', 'pro', 'business', 'enterprise'] })
const DEVICE_TYPE = str({ enum: ['softphone', 'deskphone', 'mobile'] })
export const PROMPT_NAME = str({
  pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
  description: 'prompt name, e.g. welcome, closed',
})

/** An instant: epoch milliseconds, or an ISO 8601 date-time string. */
const INSTANT: JsonSchema = {
  oneOf: [int(0), str({ format: 'date-time', minLength: 1 })],
  description: 'epoch ms or ISO 8601',
}

const END_ACTION: JsonSchema = {
  oneOf: [
    obj({ type: str({ enum: ['busy', 'hangup'] }) }, ['type']),
    obj({ type: str({ enum: ['forward'] }), destination: NUMBER }, ['type', 'destination']),
  ],
  description: "{type:'busy'} | {type:'hangup'} | {type:'forward', destination}",
}
/**
 * END_ACTION or null. OpenAPI 3.0.3 honours `nullable` only beside a `type`, so null is allowed by the first
 * alternative rather than by a `nullable` next to `oneOf` (which validators reject).
 */
const nullableEndAction: JsonSchema = {
  oneOf: [
    obj({ type: str({ enum: ['busy', 'hangup'] }) }, ['type'], { nullable: true }),
    obj({ type: str({ enum: ['forward'] }), destination: NUMBER }, ['type', 'destination']),
  ],
  description: "null | {type:'busy'} | {type:'hangup'} | {type:'forward', destination}",
}

const prompt = str({ maxLength: 200, description: "prompt name or file path; '' = none" })

/** Every key of QueueSettings, all optional in a request (a patch merges over the current settings). */
export const QUEUE_SETTINGS: JsonSchema = obj({
  language: LANGUAGE,
  strategy: str({ enum: ['longest-idle', 'ring-parallel', 'skills'] }),
  parallelCount: int(...R.parallelCount),
  ringTimeSec: int(...R.ringTimeSec),
  wrapUpSec: int(...R.wrapUpSec),
  autoLogoutAfter: int(...R.autoLogoutAfter),
  priority: int(...R.priority),
  requiredSkills: map(int(1, 10), 'skill name → minimum level 1..10'),
  widenSkillsAfterSec: int(...R.widenSkillsAfterSec),
  welcomePrompt: prompt,
  firstMessagePrompt: prompt,
  periodicPrompt: prompt,
  periodicIntervalSec: int(...R.periodicIntervalSec),
  announcePosition: bool(),
  positionIntervalSec: int(...R.positionIntervalSec),
  positionOnlyWhenChanged: bool(),
  announceWait: bool(),
  musicOnHold: prompt,
  closedPrompt: prompt,
  closedAction: END_ACTION,
  overflowMaxCallers: int(...R.overflowMaxCallers),
  overflowMaxWaitSec: int(...R.overflowMaxWaitSec),
  overflowMaxEstimatedWaitSec: int(...R.overflowMaxEstimatedWaitSec),
  overflowReopenRatio: num(...R.overflowReopenRatio),
  overflowPrompt: prompt,
  overflowAction: END_ACTION,
  noAgentsAction: nullableEndAction,
  noAgentsPrompt: prompt,
  noAgentsGraceSec: int(...R.noAgentsGraceSec),
  maxWaitSec: int(...R.maxWaitSec),
  maxWaitAction: END_ACTION,
  exitKey: str({ pattern: '^[0-9*#]?$' }),
  exitAction: nullableEndAction,
  confirmOn: arr(DEVICE_TYPE),
  whisper: bool(),
  callbackKey: str({ pattern: '^[0-9*]?$' }),
  callbackMinWaitSec: int(...R.callbackMinWaitSec),
  callbackNumberPattern: str({ minLength: 1, maxLength: 200 }),
  callbackRetries: int(...R.callbackRetries),
  callbackRetryMin: int(...R.callbackRetryMin),
  callbackRingSec: int(...R.callbackRingSec),
  callbackClosedExpireSec: int(...R.callbackClosedExpireSec),
  callbackCallerId: str({ pattern: '^\\+?[0-9]{0,32}$' }),
})

const TAGS = arr(str({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), { maxItems: 50 })

export const QUEUE_CREATE = obj(
  {
    id: ID,
    tenantId: ID,
    number: NUMBER,
    name: str({ minLength: 1, maxLength: 100 }),
    tags: TAGS,
    settings: QUEUE_SETTINGS,
  },
  ['number', 'name'],
)
export const QUEUE_PATCH = obj({
  number: NUMBER,
  name: str({ minLength: 1, maxLength: 100 }),
  tags: TAGS,
  settings: QUEUE_SETTINGS,
})

export const TENANT_CREATE = obj(
  { id: ID, name: str({ minLength: 1, maxLength: 100 }), domain: str({ pattern: '^[A-Za-z0-9.-]{1,253}$' }) },
  ['name', 'domain'],
)
export const TENANT_PATCH = obj({
  name: str({ minLength: 1, maxLength: 100 }),
  domain: str({ pattern: '^[A-Za-z0-9.-]{1,253}$' }),
})

export const DEVICE = obj({ type: DEVICE_TYPE, target: str({ minLength: 1, maxLength: 100 }) }, ['type', 'target'])
const SKILLS = map(int(1, 10), 'skill name → level 1..10')

/** An agent's fields: all may be patched; extension, name and plan are needed to create one. */
const AGENT_FIELDS = {
  id: ID,
  tenantId: ID,
  extension: NUMBER,
  name: str({ minLength: 1, maxLength: 100 }),
  plan: PLAN,
  sipUser: str({ maxLength: 100 }),
  devices: arr(DEVICE, { maxItems: 10 }),
  activeDevice: int(0, 9),
  wrapUpSec: int(0, 3600, { nullable: true }),
  skills: SKILLS,
}
export const AGENT_CREATE = obj(AGENT_FIELDS, ['extension', 'name', 'plan'])
const { id: _id, tenantId: _tenantId, ...AGENT_PATCH_FIELDS } = AGENT_FIELDS
export const AGENT_PATCH = obj(AGENT_PATCH_FIELDS)

export const RULE = obj(
  {
    id: ID,
    kind: str({ enum: ['open', 'closed', 'special'] }),
    rrule: str({
      minLength: 1,
      maxLength: 500,
      description: "RFC 5545 RRULE body, e.g. 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR'",
    }),
    start: str({ pattern: '^[0-2][0-9]:[0-5][0-9]$', description: 'local HH:MM' }),
    durationMinutes: int(1, 7 * 24 * 60),
    from: str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    until: str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    label: str({ maxLength: 100 }),
    priority: num(),
  },
  ['kind', 'rrule', 'start', 'durationMinutes'],
)

export const SCHEDULE = obj(
  {
    timeZone: str({ minLength: 1, maxLength: 64 }),
    rules: arr(RULE, { maxItems: 200 }),
    calendarIds: arr(ID),
    alwaysOpen: bool(),
  },
  ['rules'],
  { nullable: true },
)

const HOLIDAY_TYPE = str({ enum: ['public', 'bank', 'observance', 'school', 'optional'] })
export const CUSTOM_DATE = obj(
  {
    date: str({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }),
    name: str({ minLength: 1, maxLength: 100 }),
    closed: bool(),
    start: str({ pattern: '^[0-2][0-9]:[0-5][0-9]$' }),
    end: str({ pattern: '^[0-2][0-9]:[0-5][0-9]$' }),
  },
  ['date', 'name', 'closed'],
)
export const CALENDAR_CREATE = obj(
  {
    id: ID,
    tenantId: { ...ID, nullable: true },
    name: str({ minLength: 1, maxLength: 100 }),
    country: str({ pattern: '^[A-Z]{2}$' }),
    region: str({ maxLength: 20 }),
    closedTypes: arr(HOLIDAY_TYPE),
    customDates: arr(CUSTOM_DATE, { maxItems: 1000 }),
  },
  ['name'],
)
export const CALENDAR_PATCH = obj({
  name: str({ minLength: 1, maxLength: 100 }),
  country: str({ pattern: '^[A-Z]{2}$' }),
  region: str({ maxLength: 20 }),
  closedTypes: arr(HOLIDAY_TYPE),
  customDates: arr(CUSTOM_DATE, { maxItems: 1000 }),
})

export const CLOSURE_CREATE = obj(
  {
    tenantId: ID,
    queueIds: arr(ID, { maxItems: 1000, description: 'close these queues' }),
    tag: str({ minLength: 1, maxLength: 64, description: 'or every queue with this tag' }),
    all: bool('or every queue of the tenant'),
    from: { ...INSTANT, description: 'start (default now)' },
    until: { ...INSTANT, description: 'end; absent = until reopened' },
    reason: str({ minLength: 1, maxLength: 200 }),
    messagePrompt: PROMPT_NAME,
  },
  ['reason'],
)
export const QUEUE_CLOSE = obj(
  { until: INSTANT, reason: str({ minLength: 1, maxLength: 200 }), messagePrompt: PROMPT_NAME },
  ['reason'],
)

export const MEMBERSHIP = obj({ agentId: ID, queueId: ID }, ['agentId', 'queueId'])

export const ACCOUNT_CREATE = obj(
  {
    username: str({ pattern: '^[A-Za-z0-9_.@-]{2,64}$' }),
    password: str({ minLength: 10, maxLength: 200 }),
    role: str({ enum: ['operator', 'tenant-admin', 'agent'] }),
    tenantId: { ...ID, nullable: true },
    agentId: { ...ID, nullable: true },
  },
  ['username', 'password', 'role'],
)
export const ACCOUNT_PATCH = obj({ password: str({ minLength: 10, maxLength: 200 }) })
export const LOGIN = obj(
  { username: str({ minLength: 1, maxLength: 64 }), password: str({ minLength: 1, maxLength: 200 }) },
  ['username', 'password'],
)
export const TOKEN_CREATE = obj({ name: str({ minLength: 1, maxLength: 64 }), expiresInDays: int(1, 3650) }, ['name'])

export const LOGIN_QUEUES = obj({ queueIds: arr(ID, { description: 'absent: all the agent may log in to' }) })
export const PAUSE = obj({ reason: str({ maxLength: 100 }) })
export const CHOOSE_DEVICE = obj({ index: int(0, 9) }, ['index'])
