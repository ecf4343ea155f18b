/**
 * Validation of queue settings (a patch of QueueSettings) — every key checked for type and range,
 * unknown keys refused by name. Exported for the API and CLI so they give the same messages.
 */
import {
  DEFAULT_QUEUE_SETTINGS,
  QUEUE_SETTING_RANGES as R,
  type DeviceType,
  type EndAction,
  type QueueSettings,
} from '../core/model.js'
import { invalid } from './errors.js'
import { describe, isPlainObject } from './util.js'

type Check = (field: string, v: unknown) => unknown

const int =
  (min: number, max: number): Check =>
  (field, v) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw invalid(field, `expected an integer ${min}-${max}, got ${describe(v)}`)
    return v
  }
const num =
  (min: number, max: number): Check =>
  (field, v) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      throw invalid(field, `expected a number ${min}-${max}, got ${describe(v)}`)
    return v
  }
const bool: Check = (field, v) => {
  if (typeof v !== 'boolean') throw invalid(field, `expected true or false, got ${describe(v)}`)
  return v
}
const oneOf =
  (values: readonly string[]): Check =>
  (field, v) => {
    if (typeof v !== 'string' || !values.includes(v))
      throw invalid(field, `expected one of ${values.join(', ')}, got ${describe(v)}`)
    return v
  }
/** A prompt name, file path or tone_stream:// URL; '' = none. */
const prompt: Check = (field, v) => {
  if (typeof v !== 'string') throw invalid(field, `expected a prompt name or path (a string), got ${describe(v)}`)
  if (v.length > 500) throw invalid(field, 'must be at most 500 characters')
  if (/[\n\r\0]/.test(v)) throw invalid(field, 'must not contain line breaks')
  return v
}
/** A dialable destination for forward actions. */
const DESTINATION_RE = /^\+?[0-9*#]{1,32}$|^[A-Za-z0-9_.+*#@-]{1,64}$/

export function validateEndAction(field: string, v: unknown): EndAction {
  if (!isPlainObject(v)) throw invalid(field, `expected {"type":"busy"|"hangup"|"forward", ...}, got ${describe(v)}`)
  const type = v.type
  if (type === 'busy' || type === 'hangup') {
    const extra = Object.keys(v).filter((k) => k !== 'type')
    if (extra.length) throw invalid(`${field}.${extra[0]}`, `unknown field '${extra[0]}' for a ${type} action`)
    return { type }
  }
  if (type === 'forward') {
    const extra = Object.keys(v).filter((k) => k !== 'type' && k !== 'destination')
    if (extra.length) throw invalid(`${field}.${extra[0]}`, `unknown field '${extra[0]}' for a forward action`)
    const d = v.destination
    if (typeof d !== 'string' || !DESTINATION_RE.test(d))
      throw invalid(`${field}.destination`, `expected a phone number or extension, got ${describe(d)}`)
    return { type, destination: d }
  }
  throw invalid(`${field}.type`, `expected busy, hangup or forward, got ${describe(type)}`)
}

const endAction: Check = validateEndAction
const endActionOrNull: Check = (field, v) => (v === null ? null : validateEndAction(field, v))
const DEVICE_TYPES: readonly DeviceType[] = ['softphone', 'deskphone', 'mobile']
const SKILL_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/

export function validateSkills(field: string, v: unknown): Record<string, number> {
  if (!isPlainObject(v)) throw invalid(field, `expected an object of skill name -> level 1-10, got ${describe(v)}`)
  const out: Record<string, number> = {}
  for (const [k, level] of Object.entries(v)) {
    if (!SKILL_RE.test(k)) throw invalid(`${field}.${k}`, 'a skill name is 1-32 lower-case letters, digits, _ or -')
    out[k] = int(1, 10)(`${field}.${k}`, level) as number
  }
  return out
}

const CHECKS: { [K in keyof QueueSettings]: Check } = {
  language: oneOf(['sv', 'en']),
  strategy: oneOf(['longest-idle', 'ring-parallel', 'skills']),
  parallelCount: int(...R.parallelCount),
  ringTimeSec: int(...R.ringTimeSec),
  wrapUpSec: int(...R.wrapUpSec),
  autoLogoutAfter: int(...R.autoLogoutAfter),
  priority: int(...R.priority),
  requiredSkills: validateSkills,
  widenSkillsAfterSec: int(...R.widenSkillsAfterSec),
  welcomePrompt: prompt,
  firstMessagePrompt: prompt,
  periodicPrompt: prompt,
  periodicIntervalSec: int(...R.periodicIntervalSec),
  announcePosition: bool,
  positionIntervalSec: int(...R.positionIntervalSec),
  positionOnlyWhenChanged: bool,
  announceWait: bool,
  musicOnHold: prompt,
  closedPrompt: prompt,
  closedAction: endAction,
  overflowMaxCallers: int(...R.overflowMaxCallers),
  overflowMaxWaitSec: int(...R.overflowMaxWaitSec),
  overflowMaxEstimatedWaitSec: int(...R.overflowMaxEstimatedWaitSec),
  overflowReopenRatio: num(...R.overflowReopenRatio),
  overflowPrompt: prompt,
  overflowAction: endAction,
  noAgentsAction: endActionOrNull,
  noAgentsPrompt: prompt,
  noAgentsGraceSec: int(...R.noAgentsGraceSec),
  maxWaitSec: int(...R.maxWaitSec),
  maxWaitAction: endAction,
  exitKey: (field, v) => {
    if (typeof v !== 'string' || !/^[0-9*#]?$/.test(v))
      throw invalid(field, `expected one key 0-9, * or #, or '' for none, got ${describe(v)}`)
    return v
  },
  exitAction: endActionOrNull,
  confirmOn: (field, v) => {
    if (!Array.isArray(v)) throw invalid(field, `expected an array of device types, got ${describe(v)}`)
    v.forEach((d, i) => oneOf(DEVICE_TYPES)(`${field}[${i}]`, d))
    return [...new Set(v as DeviceType[])]
  },
  whisper: bool,
  callbackKey: (field, v) => {
    if (typeof v !== 'string' || !/^[0-9*]?$/.test(v))
      throw invalid(field, `expected one key 0-9 or *, or '' for none, got ${describe(v)}`)
    return v
  },
  callbackMinWaitSec: int(...R.callbackMinWaitSec),
  callbackNumberPattern: (field, v) => {
    if (typeof v !== 'string' || v.length === 0 || v.length > 200)
      throw invalid(field, `expected a regular expression of 1-200 characters, got ${describe(v)}`)
    try {
      new RegExp(v)
    } catch {
      throw invalid(field, `not a valid regular expression: ${v}`)
    }
    return v
  },
  callbackRetries: int(...R.callbackRetries),
  callbackRetryMin: int(...R.callbackRetryMin),
  callbackRingSec: int(...R.callbackRingSec),
  callbackClosedExpireSec: int(...R.callbackClosedExpireSec),
  callbackCallerId: (field, v) => {
    if (typeof v !== 'string' || !/^\+?[0-9]{0,32}$/.test(v))
      throw invalid(field, `expected a phone number or '' for the queue's number, got ${describe(v)}`)
    return v
  },
}

/** The names of every queue setting. */
export const QUEUE_SETTING_KEYS = Object.keys(DEFAULT_QUEUE_SETTINGS) as (keyof QueueSettings)[]

/**
 * Check a patch of queue settings; returns a normalised copy. Throws StoreError INVALID naming the
 * setting (field 'settings.<key>'), including for unknown keys.
 */
export function validateQueueSettings(patch: unknown): Partial<QueueSettings> {
  if (!isPlainObject(patch)) throw invalid('settings', `expected an object, got ${describe(patch)}`)
  const unknown = Object.keys(patch).filter((k) => !(k in CHECKS))
  if (unknown.length) {
    throw invalid(
      `settings.${unknown[0]}`,
      `unknown queue setting${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}`,
    )
  }
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue
    out[k] = CHECKS[k as keyof QueueSettings](`settings.${k}`, v)
  }
  return out
}

/** The effective settings: stored overrides merged over DEFAULT_QUEUE_SETTINGS. */
export function effectiveSettings(overrides: Partial<QueueSettings>): QueueSettings {
  return { ...structuredClone(DEFAULT_QUEUE_SETTINGS), ...structuredClone(overrides) }
}

/** Cross-field checks on the effective settings (after merging). */
export function checkSettingsConsistency(s: QueueSettings): void {
  if (s.callbackKey !== '' && s.callbackKey === s.exitKey)
    throw invalid('settings.callbackKey', `the callback key '${s.callbackKey}' is also the exit key`)
  if (s.exitKey !== '' && s.exitAction === null)
    throw invalid('settings.exitAction', `an exit key '${s.exitKey}' needs an exit action`)
}
