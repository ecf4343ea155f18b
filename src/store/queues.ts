/** Queues: number unique per tenant, settings merged over DEFAULT_QUEUE_SETTINGS, an optional schedule. */
import type { Queue, QueueSettings } from '../core/model.js'
import type { Schedule } from '../core/schedule/types.js'
import type { StoreContext } from './context.js'
import { StoreError, invalid, notFound } from './errors.js'
import { checkSettingsConsistency, effectiveSettings, validateQueueSettings } from './queue-settings.js'
import {
  chooseId,
  describe,
  isPlainObject,
  parseJson,
  rejectUnknownKeys,
  requireString,
  requireStringArray,
} from './util.js'

export interface QueueRecord extends Queue {
  /** The explicitly set settings only (what `settings` was merged from). */
  overrides: Partial<QueueSettings>
  /** Opening hours; null = always open. Validated by src/core/schedule, stored as it is. */
  schedule: Schedule | null
  createdAt: number
  updatedAt: number
}

export interface QueueInput {
  id?: string
  tenantId?: string
  number: string
  name: string
  tags?: string[]
  settings?: Partial<QueueSettings>
  schedule?: Schedule | null
}

export interface QueuePatch {
  number?: string
  name?: string
  tags?: string[]
  /** Merged into the stored overrides; a key set to null goes back to its default. */
  settings?: { [K in keyof QueueSettings]?: QueueSettings[K] | null }
  schedule?: Schedule | null
}

interface Row {
  id: string
  tenant_id: string
  number: string
  name: string
  tags: string
  settings: string
  schedule: string | null
  created_at: number
  updated_at: number
}

/** Queue numbers are what callers dial: digits, 2-20. */
const QUEUE_NUMBER_RE = /^[0-9]{2,20}$/
const TAG_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

function toQueue(r: Row): QueueRecord {
  const overrides = parseJson<Partial<QueueSettings>>(r.settings, {})
  return {
    id: r.id,
    tenantId: r.tenant_id,
    number: r.number,
    name: r.name,
    tags: parseJson<string[]>(r.tags, []),
    settings: effectiveSettings(overrides),
    overrides,
    schedule: parseJson<Schedule | null>(r.schedule, null),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function checkSchedule(v: unknown): Schedule | null {
  if (v === null) return null
  if (!isPlainObject(v) || !Array.isArray(v.rules))
    throw invalid('schedule', `expected a schedule object with rules, got ${describe(v)}`)
  return v as unknown as Schedule
}

export class Queues {
  constructor(private readonly ctx: StoreContext) {}

  /** Every queue, or those of one tenant, ordered by tenant and number. */
  list(tenantId?: string): QueueRecord[] {
    const rows =
      tenantId === undefined
        ? this.ctx.sql('SELECT * FROM queues ORDER BY tenant_id, number').all()
        : this.ctx.sql('SELECT * FROM queues WHERE tenant_id = ? ORDER BY number').all(tenantId)
    return (rows as Row[]).map(toQueue)
  }

  /** Queues of a tenant carrying a tag (a queue group). */
  listByTag(tenantId: string, tag: string): QueueRecord[] {
    const rows = this.ctx
      .sql(
        'SELECT q.* FROM queues q WHERE tenant_id = ? AND EXISTS (SELECT 1 FROM json_each(q.tags) WHERE value = ?) ORDER BY number',
      )
      .all(tenantId, tag) as Row[]
    return rows.map(toQueue)
  }

  find(id: string): QueueRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM queues WHERE id = ?').get(id) as Row | undefined
    return r && toQueue(r)
  }

  /** Throws NOT_FOUND. */
  get(id: string): QueueRecord {
    const q = this.find(id)
    if (!q) throw notFound('queue', id)
    return q
  }

  getByNumber(tenantId: string, number: string): QueueRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM queues WHERE tenant_id = ? AND number = ?').get(tenantId, number) as
      Row | undefined
    return r && toQueue(r)
  }

  create(input: QueueInput): QueueRecord {
    rejectUnknownKeys('queue', input as unknown as Record<string, unknown>, [
      'id',
      'tenantId',
      'number',
      'name',
      'tags',
      'settings',
      'schedule',
    ])
    const tenantId = input.tenantId ?? 'default'
    if (!this.ctx.sql('SELECT 1 FROM tenants WHERE id = ?').get(tenantId)) throw notFound('tenant', tenantId)
    const id = chooseId('q', input.id, 'queue')
    const number = requireString('queue.number', input.number, { re: QUEUE_NUMBER_RE, what: '2-20 digits' })
    const name = requireString('queue.name', input.name, { max: 100 })
    const tags =
      input.tags === undefined
        ? []
        : requireStringArray('queue.tags', input.tags, TAG_RE, 'a tag of letters, digits, _ . -')
    const overrides = validateQueueSettings(input.settings ?? {})
    checkSettingsConsistency(effectiveSettings(overrides))
    const schedule = input.schedule === undefined ? null : checkSchedule(input.schedule)
    if (this.find(id)) throw new StoreError('DUPLICATE', `queue '${id}' already exists`, 'queue.id')
    this.assertNumberFree(tenantId, number, undefined)
    const now = this.ctx.clock.now()
    this.ctx
      .sql(
        'INSERT INTO queues (id, tenant_id, number, name, tags, settings, schedule, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        tenantId,
        number,
        name,
        JSON.stringify(tags),
        JSON.stringify(overrides),
        schedule === null ? null : JSON.stringify(schedule),
        now,
        now,
      )
    return this.get(id)
  }

  update(id: string, patch: QueuePatch): QueueRecord {
    rejectUnknownKeys('queue', patch as unknown as Record<string, unknown>, [
      'number',
      'name',
      'tags',
      'settings',
      'schedule',
    ])
    const cur = this.get(id)
    const number =
      patch.number === undefined
        ? cur.number
        : requireString('queue.number', patch.number, { re: QUEUE_NUMBER_RE, what: '2-20 digits' })
    const name = patch.name === undefined ? cur.name : requireString('queue.name', patch.name, { max: 100 })
    const tags =
      patch.tags === undefined
        ? cur.tags
        : requireStringArray('queue.tags', patch.tags, TAG_RE, 'a tag of letters, digits, _ . -')
    let overrides = cur.overrides
    if (patch.settings !== undefined) {
      if (!isPlainObject(patch.settings))
        throw invalid('settings', `expected an object, got ${describe(patch.settings)}`)
      const set: Record<string, unknown> = {}
      const cleared: string[] = []
      for (const [k, v] of Object.entries(patch.settings)) {
        if (v === null && k !== 'noAgentsAction' && k !== 'exitAction') cleared.push(k)
        else set[k] = v
      }
      // validate cleared keys' names too
      validateQueueSettings(Object.fromEntries(cleared.map((k) => [k, undefined])))
      const valid = validateQueueSettings(set)
      const next: Record<string, unknown> = { ...overrides, ...valid }
      for (const k of cleared) delete next[k]
      overrides = next
    }
    checkSettingsConsistency(effectiveSettings(overrides))
    const schedule = patch.schedule === undefined ? cur.schedule : checkSchedule(patch.schedule)
    if (number !== cur.number) this.assertNumberFree(cur.tenantId, number, id)
    this.ctx
      .sql('UPDATE queues SET number = ?, name = ?, tags = ?, settings = ?, schedule = ?, updated_at = ? WHERE id = ?')
      .run(
        number,
        name,
        JSON.stringify(tags),
        JSON.stringify(overrides),
        schedule === null ? null : JSON.stringify(schedule),
        this.ctx.clock.now(),
        id,
      )
    return this.get(id)
  }

  /**
   * Remove a queue. Refuses (IN_USE) while agents are logged in to it; memberships are ended (their
   * history interval closed) and the queue's prompts removed.
   */
  remove(id: string, at: number = this.ctx.clock.now()): void {
    const q = this.get(id)
    this.ctx.db.transaction(() => {
      const n = (this.ctx.sql('SELECT count(*) AS n FROM agent_sessions WHERE queue_id = ?').get(id) as { n: number }).n
      if (n > 0)
        throw new StoreError(
          'IN_USE',
          `queue ${q.number} in tenant ${q.tenantId} has ${n} agent(s) logged in; log them out first`,
        )
      this.ctx.sql('UPDATE membership_history SET until_at = ? WHERE queue_id = ? AND until_at IS NULL').run(at, id)
      this.ctx.sql('DELETE FROM queues WHERE id = ?').run(id)
    })()
  }

  private assertNumberFree(tenantId: string, number: string, exceptId: string | undefined): void {
    const other = this.getByNumber(tenantId, number)
    if (other && other.id !== exceptId) {
      throw new StoreError('DUPLICATE', `queue number ${number} already exists in tenant ${tenantId}`, 'queue.number')
    }
  }
}
