/**
 * What the pure engine knows of the store, as events: the whole CoreConfig at start-up (`load`), then, after every
 * operator change, only what changed (`changes`: one ConfigChange per tenant, queue, agent, membership, schedule,
 * holiday calendar, closure or prompt added, changed or removed, found by comparing with the last snapshot). The
 * engine evaluates opening hours and resolves prompt files itself from that data (src/core/engine/open-state.ts,
 * configuration.ts); `isOpen` and `prompt` here answer the same from the same snapshot, for the shell's own use.
 *
 * The store is asynchronous (SQLite or PostgreSQL): `load` and `changes` read every table in one transaction,
 * through `opts.read` when given (the daemon passes its write queue, ./queued-work.ts, so the read sees every write
 * the call path queued before it).
 */
import type { Command } from '../core/commands.js'
import type { ConfigChange, CoreConfig, PromptOverride } from '../core/events.js'
import type { EndAction, Language, Queue } from '../core/model.js'
import { PromptFiles } from '../core/engine/configuration.js'
import { DEFAULT_FEATURE_CODES } from '../core/engine/feature-codes.js'
import { OpenStateBook } from '../core/engine/open-state.js'
import type { OpenState } from '../core/journey/admission.js'
import { DEFAULT_SOUNDS_DIR } from '../config/paths.js'
import type { Store } from '../store/index.js'

/** Settings of the engine that come from the daemon's config file, not from SQLite. */
export interface EngineSettings {
  /** Sounds directory as FreeSWITCH sees it (default: the repository's sounds/). */
  soundsDir?: string
  /** Where prompts recorded by phone are written (as FreeSWITCH sees it). */
  recordingsDir?: string
  /** Device dial-string templates (CoreConfig.dialTemplates). */
  dialTemplates?: Record<string, string>
  featureCodes?: Partial<CoreConfig['featureCodes']>
  /** calls.unknownQueueAction: 'busy' | 'hangup' | 'forward:<number>' (default busy). */
  unknownQueueAction?: string
  /** callback.dialString with the gateway filled in (CoreConfig.callbackDialString). */
  callbackDialString?: string
}

/** calls.unknownQueueAction as the core's EndAction. */
function parseEndAction(text: string | undefined): EndAction {
  if (text === 'hangup') return { type: 'hangup' }
  if (text?.startsWith('forward:')) return { type: 'forward', destination: text.slice('forward:'.length) }
  return { type: 'busy' }
}

type Keyed<T> = Map<string, { item: T; json: string }>

function keyed<T>(items: readonly T[], key: (x: T) => string): Keyed<T> {
  return new Map(items.map((item) => [key(item), { item, json: JSON.stringify(item) }]))
}

/** Added/changed (in `next` order) and removed (in `prev` order) items between two keyed snapshots. */
function diff<T>(prev: Keyed<T>, next: Keyed<T>): { added: T[]; changed: T[]; removed: T[] } {
  const added: T[] = []
  const changed: T[] = []
  const removed: T[] = []
  for (const [k, n] of next) {
    const p = prev.get(k)
    if (!p) added.push(n.item)
    else if (p.json !== n.json) changed.push(n.item)
  }
  for (const [k, p] of prev) if (!next.has(k)) removed.push(p.item)
  return { added, changed, removed }
}

const promptKey = (p: Omit<PromptOverride, 'path'>): string =>
  `${p.tenantId}|${p.queueId ?? ''}|${p.language}|${p.name}`
const memberKey = (m: { agentId: string; queueId: string }): string => `${m.agentId}|${m.queueId}`

/** Runs a read of the store as one unit (the daemon: a job of its write queue); see EngineView. */
export type StoreReader = <T>(label: string, fn: (s: Store) => Promise<T>) => Promise<T>

/** The store's state as the engine sees it: the last configuration sent to it. */
export class EngineView {
  readonly #settings: EngineSettings
  readonly #readVia: StoreReader
  #config: CoreConfig | undefined
  #openBook = new OpenStateBook({})
  #prompts = new PromptFiles({})

  constructor(store: Store, settings: EngineSettings = {}, opts: { read?: StoreReader } = {}) {
    this.#settings = settings
    this.#readVia = opts.read ?? ((_label, fn) => store.tx(fn))
  }

  /** Reads everything the engine needs from the store; returns the CoreConfig to feed it (a `config` event). */
  async load(): Promise<CoreConfig> {
    return this.#remember(await this.#read())
  }

  /**
   * Re-reads the store and returns the ConfigChange events that bring the engine from the last snapshot to it (none
   * when nothing changed), in an order that keeps every step consistent: additions and changes of tenants, queues,
   * agents, memberships, calendars, closures and prompts (a schedule before its queue), then removals, innermost first.
   */
  async changes(): Promise<ConfigChange[]> {
    const next = await this.#read()
    const prev = this.#config
    if (!prev) {
      this.#remember(next)
      return []
    }
    const out: ConfigChange[] = []
    const tenants = diff(
      keyed(prev.tenants, (t) => t.id),
      keyed(next.tenants, (t) => t.id),
    )
    const queues = diff(
      keyed(prev.queues, (q) => q.id),
      keyed(next.queues, (q) => q.id),
    )
    const agents = diff(
      keyed(prev.agents, (a) => a.id),
      keyed(next.agents, (a) => a.id),
    )
    const members = diff(keyed(prev.memberships, memberKey), keyed(next.memberships, memberKey))
    const calendars = diff(
      keyed(prev.calendars ?? [], (c) => c.id),
      keyed(next.calendars ?? [], (c) => c.id),
    )
    const closures = diff(
      keyed(prev.closures ?? [], (c) => c.id),
      keyed(next.closures ?? [], (c) => c.id),
    )
    const prompts = diff(keyed(prev.promptOverrides ?? [], promptKey), keyed(next.promptOverrides ?? [], promptKey))
    for (const tenant of tenants.added) out.push({ type: 'tenant-added', tenant })
    for (const tenant of tenants.changed) out.push({ type: 'tenant-changed', tenant })
    // A new queue's schedule goes first, so that the queue is never taken as open for a moment.
    for (const [queueId, schedule] of Object.entries(next.schedules ?? {})) {
      const before = prev.schedules?.[queueId]
      if (before !== undefined ? JSON.stringify(before) !== JSON.stringify(schedule) : schedule !== null)
        out.push({ type: 'schedule-changed', queueId, schedule })
    }
    for (const queue of queues.added) out.push({ type: 'queue-added', queue })
    for (const queue of queues.changed) out.push({ type: 'queue-changed', queue })
    for (const agent of agents.added) out.push({ type: 'agent-added', agent })
    for (const agent of agents.changed) out.push({ type: 'agent-changed', agent })
    for (const membership of members.added) out.push({ type: 'membership-added', membership })
    for (const calendar of calendars.added) out.push({ type: 'calendar-added', calendar })
    for (const calendar of calendars.changed) out.push({ type: 'calendar-changed', calendar })
    for (const closure of closures.added) out.push({ type: 'closure-added', closure })
    for (const closure of closures.changed) out.push({ type: 'closure-changed', closure })
    for (const override of [...prompts.added, ...prompts.changed]) out.push({ type: 'prompt-override-set', override })
    for (const p of prompts.removed)
      out.push({
        type: 'prompt-override-removed',
        override: { tenantId: p.tenantId, queueId: p.queueId, language: p.language, name: p.name },
      })
    for (const c of closures.removed) out.push({ type: 'closure-removed', closureId: c.id })
    for (const m of members.removed) out.push({ type: 'membership-removed', membership: m })
    for (const a of agents.removed) out.push({ type: 'agent-removed', agentId: a.id })
    for (const q of queues.removed) out.push({ type: 'queue-removed', queueId: q.id })
    for (const c of calendars.removed) out.push({ type: 'calendar-removed', calendarId: c.id })
    for (const t of tenants.removed) out.push({ type: 'tenant-removed', tenantId: t.id })
    this.#remember(next)
    return out
  }

  /**
   * A prompt recorded by phone (the core's `prompt-recorded`, already stored): the one change for the engine,
   * without re-reading the store.
   */
  promptRecorded(cmd: Extract<Command, { type: 'prompt-recorded' }>): ConfigChange {
    const override: PromptOverride = {
      tenantId: cmd.tenantId,
      queueId: cmd.queueId,
      language: cmd.language as Language,
      name: cmd.name,
      path: cmd.path,
    }
    if (this.#config) {
      const rest = (this.#config.promptOverrides ?? []).filter((p) => promptKey(p) !== promptKey(override))
      this.#remember({ ...this.#config, promptOverrides: [...rest, override] })
    }
    return { type: 'prompt-override-set', override }
  }

  #remember(config: CoreConfig): CoreConfig {
    // Sessions and pending callbacks are not compared (changes() leaves them to the engine): not kept.
    this.#config = { ...config, sessions: [], callbacks: [] }
    this.#openBook = new OpenStateBook(config)
    this.#prompts = new PromptFiles(config)
    return config
  }

  #read(): Promise<CoreConfig> {
    return this.#readVia('read the configuration', (s) => this.#readFrom(s))
  }

  async #readFrom(s: Store): Promise<CoreConfig> {
    // Every row comes with strings of its own: an agent's id in its membership and session, a queue's and a
    // tenant's id in each row naming them, the plan. One string per value instead (the engine keeps these objects:
    // issue 13, memory per agent).
    const strings = new Map<string, string>()
    const one = (x: string): string => {
      const s = strings.get(x)
      if (s !== undefined) return s
      strings.set(x, x)
      return x
    }
    const queues = await s.queues.list()
    const tenants = await s.tenants.list()
    const agents = await s.agents.list()
    const memberships = await s.memberships.list()
    const sessions = await s.sessions.list()
    const calendars = await s.holidayCalendars.list()
    const closures = await s.closures.list(undefined, 100_000)
    const prompts = await s.prompts.list()
    const callbacks = await s.callbacks.pending()
    return {
      tenants: tenants.map((t) => ({ id: one(t.id), name: t.name, domain: t.domain })),
      queues: queues.map((q) => ({
        id: one(q.id),
        tenantId: one(q.tenantId),
        number: q.number,
        name: q.name,
        tags: q.tags,
        settings: q.settings,
      })),
      agents: agents.map((a) => ({
        id: one(a.id),
        tenantId: one(a.tenantId),
        extension: a.extension,
        name: a.name,
        plan: one(a.plan) as typeof a.plan,
        sipUser: a.sipUser,
        devices: a.devices,
        activeDevice: a.activeDevice,
        wrapUpSec: a.wrapUpSec,
        skills: a.skills,
      })),
      memberships: memberships.map((m) => ({ agentId: one(m.agentId), queueId: one(m.queueId) })),
      sessions: sessions.map((x) => ({
        agentId: one(x.agentId),
        queueId: one(x.queueId),
        since: x.since,
        paused: x.paused,
        ...(x.pauseReason ? { pauseReason: x.pauseReason } : {}),
      })),
      dialTemplates: this.#settings.dialTemplates ?? {},
      featureCodes: { ...DEFAULT_FEATURE_CODES, ...(this.#settings.featureCodes ?? {}) },
      unknownQueueAction: parseEndAction(this.#settings.unknownQueueAction),
      schedules: Object.fromEntries(queues.map((q) => [q.id, q.schedule])),
      calendars,
      closures,
      promptOverrides: prompts.map((p) => ({
        tenantId: p.tenantId,
        queueId: p.queueId,
        language: p.language,
        name: p.name,
        path: p.path,
      })),
      soundsDir: this.#settings.soundsDir ?? DEFAULT_SOUNDS_DIR,
      ...(this.#settings.recordingsDir ? { recordingsDir: this.#settings.recordingsDir } : {}),
      ...(this.#settings.callbackDialString ? { callbackDialString: this.#settings.callbackDialString } : {}),
      callbacks,
    }
  }

  /** Open/closed for a queue at `now` (schedule, holidays, temporary closures), as the engine decides it. */
  isOpen(queue: Queue, now: number): OpenState {
    return this.#openBook.state(queue, now)
  }

  /** Prompt id → file: the queue's own, the tenant's, else the shipped one. Paths and URLs pass through. */
  prompt(id: string, language: Language, queue?: Queue): string {
    return this.#prompts.file(id, language, queue)
  }
}
