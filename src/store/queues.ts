/** Queues: number unique per tenant, settings merged over DEFAULT_QUEUE_SETTINGS, an optional schedule. */
import type { Queue, QueueSettings } from '../core/model.js'
import type { Schedule } from '../core/schedule/types.js'
import { StoreError, invalid, notFound } from './errors.js'
import { checkSettingsConsistency, effectiveSettings, validateQueueSettings } from './queue-settings.js'
import type { RepoContext } from './repo-context.js'
import { isForeignKeyViolation, uniqueViolation } from './sql/constraint.js'
import { textOrder } from './sql/clauses.js'
import { jsonArrayHas } from './sql/json.js'
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

const INSERT_QUEUE =
  'INSERT INTO queues (id, tenant_id, number, name, tags, settings, schedule, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *'

export class Queues {
  constructor(private readonly ctx: RepoContext) {}

  /** Every queue, or those of one tenant, ordered by tenant and number. */
  async list(tenantId?: string): Promise<QueueRecord[]> {
    const d = this.ctx.dialect
    const rows =
      tenantId === undefined
        ? await this.ctx.db.all<Row>(
            `SELECT * FROM queues ORDER BY ${textOrder(d, 'tenant_id')}, ${textOrder(d, 'number')}`,
          )
        : await this.ctx.db.all<Row>(`SELECT * FROM queues WHERE tenant_id = ? ORDER BY ${textOrder(d, 'number')}`, [
            tenantId,
          ])
    return rows.map(toQueue)
  }

  /** Queues of a tenant carrying a tag (a queue group). */
  async listByTag(tenantId: string, tag: string): Promise<QueueRecord[]> {
    const d = this.ctx.dialect
    const rows = await this.ctx.db.all<Row>(
      `SELECT q.* FROM queues q WHERE tenant_id = ? AND ${jsonArrayHas(d, 'q.tags')} ORDER BY ${textOrder(d, 'number')}`,
      [tenantId, tag],
    )
    return rows.map(toQueue)
  }

  async find(id: string): Promise<QueueRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM queues WHERE id = ?', [id])
    return r && toQueue(r)
  }

  /** Throws NOT_FOUND. */
  async get(id: string): Promise<QueueRecord> {
    const q = await this.find(id)
    if (!q) throw notFound('queue', id)
    return q
  }

  async getByNumber(tenantId: string, number: string): Promise<QueueRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM queues WHERE tenant_id = ? AND number = ?', [tenantId, number])
    return r && toQueue(r)
  }

  async create(input: QueueInput): Promise<QueueRecord> {
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
    return this.ctx.tx(async (c) => {
      const queues = new Queues(c)
      if (!(await c.db.get('SELECT 1 FROM tenants WHERE id = ?', [tenantId]))) throw notFound('tenant', tenantId)
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
      await queues.assertFree(id, tenantId, number)
      const now = c.clock.now()
      let r: Row | undefined
      try {
        r = await c.db.get<Row>(INSERT_QUEUE, [
          id,
          tenantId,
          number,
          name,
          JSON.stringify(tags),
          JSON.stringify(overrides),
          schedule === null ? null : JSON.stringify(schedule),
          now,
          now,
        ])
      } catch (err) {
        // the tenant was removed meanwhile by another writer
        if (isForeignKeyViolation(err)) throw notFound('tenant', tenantId)
        throw err
      }
      if (r) return toQueue(r)
      await queues.assertFree(id, tenantId, number) // a concurrent writer took the id or the number: say which
      throw new StoreError('DUPLICATE', `queue '${id}' already exists`, 'queue.id')
    })
  }

  async update(id: string, patch: QueuePatch): Promise<QueueRecord> {
    rejectUnknownKeys('queue', patch as unknown as Record<string, unknown>, [
      'number',
      'name',
      'tags',
      'settings',
      'schedule',
    ])
    return this.ctx.tx(async (c) => {
      const queues = new Queues(c)
      const cur = await queues.get(id)
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
      if (number !== cur.number) await queues.assertNumberFree(cur.tenantId, number, id)
      try {
        const r = await c.db.get<Row>(
          'UPDATE queues SET number = ?, name = ?, tags = ?, settings = ?, schedule = ?, updated_at = ? WHERE id = ? RETURNING *',
          [
            number,
            name,
            JSON.stringify(tags),
            JSON.stringify(overrides),
            schedule === null ? null : JSON.stringify(schedule),
            c.clock.now(),
            id,
          ],
        )
        if (!r) throw notFound('queue', id)
        return toQueue(r)
      } catch (err) {
        if (uniqueViolation(err) !== undefined) throw numberTaken(cur.tenantId, number, err)
        throw err
      }
    })
  }

  /**
   * Remove a queue. Refuses (IN_USE) while agents are logged in to it; memberships are ended (their
   * history interval closed) and the queue's prompts removed.
   */
  async remove(id: string, at: number = this.ctx.clock.now()): Promise<void> {
    await this.ctx.tx(async (c) => {
      const q = await new Queues(c).get(id)
      const n = (await c.db.get<{ n: number }>('SELECT count(*) AS n FROM agent_sessions WHERE queue_id = ?', [id]))!.n
      if (n > 0)
        throw new StoreError(
          'IN_USE',
          `queue ${q.number} in tenant ${q.tenantId} has ${n} agent(s) logged in; log them out first`,
        )
      await c.db.run('UPDATE membership_history SET until_at = ? WHERE queue_id = ? AND until_at IS NULL', [at, id])
      await c.db.run('DELETE FROM queues WHERE id = ?', [id])
    })
  }

  private async assertFree(id: string, tenantId: string, number: string): Promise<void> {
    if (await this.find(id)) throw new StoreError('DUPLICATE', `queue '${id}' already exists`, 'queue.id')
    await this.assertNumberFree(tenantId, number, undefined)
  }

  private async assertNumberFree(tenantId: string, number: string, exceptId: string | undefined): Promise<void> {
    const other = await this.getByNumber(tenantId, number)
    if (other && other.id !== exceptId) throw numberTaken(tenantId, number)
  }
}

function numberTaken(tenantId: string, number: string, cause?: unknown): StoreError {
  return new StoreError('DUPLICATE', `queue number ${number} already exists in tenant ${tenantId}`, 'queue.number', {
    cause,
  })
}
