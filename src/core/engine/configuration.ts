/**
 * The engine's configuration as data: the `config` event at start-up and one ConfigChange event per operator
 * change (`applyChange` puts the changed entity in place by id), and the prompt files resolved from it (the
 * shipped `<soundsDir>/<lang>/<id>.wav`, overridden per tenant or queue by prompts operators recorded or imported).
 */
import type { ConfigChange, CoreConfig, PromptOverride } from '../events.js'
import type { Language, Queue } from '../model.js'
import { isPromptPath, joinPath, promptPath } from '../prompts.js'
import { DEFAULT_FEATURE_CODES } from './feature-codes.js'

export const EMPTY_CONFIG: CoreConfig = {
  tenants: [],
  queues: [],
  agents: [],
  memberships: [],
  sessions: [],
  dialTemplates: {},
  featureCodes: DEFAULT_FEATURE_CODES,
}

/** Event types that are ConfigChanges (routed to `applyChange`). */
const CONFIG_CHANGE_TYPES: ReadonlySet<string> = new Set<ConfigChange['type']>([
  'tenant-added',
  'tenant-changed',
  'tenant-removed',
  'queue-added',
  'queue-changed',
  'queue-removed',
  'agent-added',
  'agent-changed',
  'agent-removed',
  'membership-added',
  'membership-removed',
  'schedule-changed',
  'calendar-added',
  'calendar-changed',
  'calendar-removed',
  'closure-added',
  'closure-changed',
  'closure-removed',
  'prompt-override-set',
  'prompt-override-removed',
])

export function isConfigChange(e: { type: string }): e is ConfigChange {
  return CONFIG_CHANGE_TYPES.has(e.type)
}

/** `list` with `item` in place of the one with the same key (appended when new). */
function put<T>(list: readonly T[] | undefined, item: T, same: (a: T) => boolean): T[] {
  const out = (list ?? []).filter((x) => !same(x))
  const i = (list ?? []).findIndex(same)
  if (i >= 0) out.splice(i, 0, item)
  else out.push(item)
  return out
}

const samePrompt = (a: Omit<PromptOverride, 'path'>) => (b: Omit<PromptOverride, 'path'>) =>
  a.tenantId === b.tenantId && a.queueId === b.queueId && a.language === b.language && a.name === b.name

/**
 * The configuration after one change. Start-up sessions are dropped (they apply only to agents the engine had not
 * seen at start-up; an agent added later starts logged out).
 */
export function applyChange(c: CoreConfig, e: ConfigChange): CoreConfig {
  const next: CoreConfig = { ...c, sessions: [] }
  switch (e.type) {
    case 'tenant-added':
    case 'tenant-changed':
      next.tenants = put(c.tenants, e.tenant, (t) => t.id === e.tenant.id)
      break
    case 'tenant-removed':
      next.tenants = c.tenants.filter((t) => t.id !== e.tenantId)
      break
    case 'queue-added':
    case 'queue-changed':
      next.queues = put(c.queues, e.queue, (q) => q.id === e.queue.id)
      break
    case 'queue-removed': {
      next.queues = c.queues.filter((q) => q.id !== e.queueId)
      const { [e.queueId]: _gone, ...rest } = c.schedules ?? {}
      next.schedules = rest
      break
    }
    case 'agent-added':
    case 'agent-changed':
      next.agents = put(c.agents, e.agent, (a) => a.id === e.agent.id)
      break
    case 'agent-removed':
      next.agents = c.agents.filter((a) => a.id !== e.agentId)
      break
    case 'membership-added':
      next.memberships = put(
        c.memberships,
        e.membership,
        (m) => m.agentId === e.membership.agentId && m.queueId === e.membership.queueId,
      )
      break
    case 'membership-removed':
      next.memberships = c.memberships.filter(
        (m) => !(m.agentId === e.membership.agentId && m.queueId === e.membership.queueId),
      )
      break
    case 'schedule-changed':
      next.schedules = { ...(c.schedules ?? {}), [e.queueId]: e.schedule }
      break
    case 'calendar-added':
    case 'calendar-changed':
      next.calendars = put(c.calendars, e.calendar, (x) => x.id === e.calendar.id)
      break
    case 'calendar-removed':
      next.calendars = (c.calendars ?? []).filter((x) => x.id !== e.calendarId)
      break
    case 'closure-added':
    case 'closure-changed':
      next.closures = put(c.closures, e.closure, (x) => x.id === e.closure.id)
      break
    case 'closure-removed':
      next.closures = (c.closures ?? []).filter((x) => x.id !== e.closureId)
      break
    case 'prompt-override-set':
      next.promptOverrides = put(c.promptOverrides, e.override, samePrompt(e.override))
      break
    case 'prompt-override-removed':
      next.promptOverrides = (c.promptOverrides ?? []).filter((p) => !samePrompt(e.override)(p))
      break
  }
  return next
}

/** Prompt id → the file FreeSWITCH plays, from the configuration's sounds directory and overrides. */
export class PromptFiles {
  readonly #soundsDir: string
  /** `${tenantId}|${queueId}|${lang}|${name}` → path; queueId '' = the tenant's own prompt. */
  readonly #overrides: Map<string, string>

  constructor(config: Pick<CoreConfig, 'soundsDir' | 'promptOverrides'>) {
    this.#soundsDir = config.soundsDir ?? ''
    this.#overrides = new Map(
      (config.promptOverrides ?? []).map((p) => [`${p.tenantId}|${p.queueId ?? ''}|${p.language}|${p.name}`, p.path]),
    )
  }

  /** Resolved files by queue, language and id (the configuration is immutable: a change makes a new PromptFiles). */
  readonly #resolved = new Map<string, string>()

  /** The queue's own prompt, else its tenant's, else the shipped one. Paths and URLs pass through. */
  file(id: string, language: Language, queue?: Queue): string {
    const key = `${queue?.id ?? ''}|${language}|${id}`
    let path = this.#resolved.get(key)
    if (path === undefined) {
      path = this.#resolve(id, language, queue)
      this.#resolved.set(key, path)
    }
    return path
  }

  #resolve(id: string, language: Language, queue?: Queue): string {
    if (isPromptPath(id)) return id
    if (queue) {
      const own =
        this.#overrides.get(`${queue.tenantId}|${queue.id}|${language}|${id}`) ??
        this.#overrides.get(`${queue.tenantId}||${language}|${id}`)
      if (own) return own
    }
    return promptPath(id, language, undefined, this.#soundsDir)
  }
}

/** Where a prompt recorded by phone is written: `<recordingsDir>/<tenant>/<queue|tenant>/<lang>/<name>-<id>.wav`. */
export function recordingPath(
  config: Pick<CoreConfig, 'recordingsDir'>,
  tenantId: string,
  queueId: string | null,
  language: Language,
  name: string,
  id: string,
): string {
  return joinPath(config.recordingsDir ?? 'recordings', tenantId, queueId ?? 'tenant', language, `${name}-${id}.wav`)
}
