/** Holiday calendars (S3), shared between queues; the definition is src/core/schedule's HolidayCalendar. */
import type { HolidayCalendar } from '../core/schedule/types.js'
import { calendarIssues } from '../core/schedule/holidays.js'
import { StoreError, invalid, notFound } from './errors.js'
import type { RepoContext } from './repo-context.js'
import { isForeignKeyViolation, uniqueViolation } from './sql/constraint.js'
import { textOrder } from './sql/clauses.js'
import { chooseId, describe, isPlainObject, parseJson, requireString } from './util.js'

export interface HolidayCalendarRecord extends HolidayCalendar {
  /** null: shared by every tenant. */
  tenantId: string | null
  createdAt: number
  updatedAt: number
}

interface Row {
  id: string
  tenant_id: string | null
  name: string
  definition: string
  created_at: number
  updated_at: number
}

const toCalendar = (r: Row): HolidayCalendarRecord => ({
  ...parseJson<Omit<HolidayCalendar, 'id' | 'name'>>(r.definition, { customDates: [] }),
  id: r.id,
  name: r.name,
  tenantId: r.tenant_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

function definitionOf(c: Partial<HolidayCalendar>): Omit<HolidayCalendar, 'id' | 'name'> {
  const {
    id: _id,
    name: _name,
    ...rest
  } = c as HolidayCalendar & { tenantId?: unknown; createdAt?: unknown; updatedAt?: unknown }
  delete (rest as Record<string, unknown>).tenantId
  delete (rest as Record<string, unknown>).createdAt
  delete (rest as Record<string, unknown>).updatedAt
  if (!Array.isArray(rest.customDates))
    throw invalid('calendar.customDates', `expected an array, got ${describe(rest.customDates)}`)
  // the evaluator's own checks: a known country and region ('XX' is not one), holiday types, custom dates
  const issue = calendarIssues({ ...rest, id: 'calendar', name: 'calendar' })[0]
  if (issue) throw invalid(`calendar.${issue.field}`, issue.problem)
  return rest
}

/** Whether a queue's stored schedule (JSON text) lists the calendar in calendarIds; unreadable JSON lists none. */
function scheduleUses(schedule: string, calendarId: string): boolean {
  try {
    const ids = (JSON.parse(schedule) as { calendarIds?: unknown } | null)?.calendarIds
    return Array.isArray(ids) && ids.includes(calendarId)
  } catch {
    return false
  }
}

export class HolidayCalendars {
  constructor(private readonly ctx: RepoContext) {}

  /** Calendars visible to a tenant (its own and the shared ones), or all. */
  async list(tenantId?: string): Promise<HolidayCalendarRecord[]> {
    const order = textOrder(this.ctx.dialect, 'name')
    const rows =
      tenantId === undefined
        ? await this.ctx.db.all<Row>(`SELECT * FROM holiday_calendars ORDER BY ${order}`)
        : await this.ctx.db.all<Row>(
            `SELECT * FROM holiday_calendars WHERE tenant_id = ? OR tenant_id IS NULL ORDER BY ${order}`,
            [tenantId],
          )
    return rows.map(toCalendar)
  }

  async find(id: string): Promise<HolidayCalendarRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM holiday_calendars WHERE id = ?', [id])
    return r && toCalendar(r)
  }

  async get(id: string): Promise<HolidayCalendarRecord> {
    const c = await this.find(id)
    if (!c) throw notFound('holiday calendar', id)
    return c
  }

  /** Create a calendar (validate its content with src/core/schedule first). tenantId null = shared. */
  async create(
    input: Omit<HolidayCalendar, 'id'> & { id?: string; tenantId?: string | null },
  ): Promise<HolidayCalendarRecord> {
    if (!isPlainObject(input)) throw invalid('calendar', `expected an object, got ${describe(input)}`)
    const id = chooseId('hc', input.id, 'calendar')
    const name = requireString('calendar.name', input.name, { max: 100 })
    const tenantId = input.tenantId ?? null
    return this.ctx.tx(async (c) => {
      const calendars = new HolidayCalendars(c)
      if (tenantId !== null && !(await c.db.get('SELECT 1 FROM tenants WHERE id = ?', [tenantId])))
        throw notFound('tenant', tenantId)
      const def = definitionOf(input)
      const assertAll = async () => {
        if (await calendars.find(id))
          throw new StoreError('DUPLICATE', `holiday calendar '${id}' already exists`, 'calendar.id')
        await calendars.assertNameFree(tenantId, name, undefined)
      }
      await assertAll()
      const now = c.clock.now()
      let r: Row | undefined
      try {
        r = await c.db.get<Row>(
          'INSERT INTO holiday_calendars (id, tenant_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *',
          [id, tenantId, name, JSON.stringify(def), now, now],
        )
      } catch (err) {
        if (isForeignKeyViolation(err) && tenantId !== null) throw notFound('tenant', tenantId)
        throw err
      }
      if (r) return toCalendar(r)
      await assertAll() // a concurrent writer took the id or the name: say which
      throw new StoreError('DUPLICATE', `holiday calendar '${id}' already exists`, 'calendar.id')
    })
  }

  /** Replace the calendar's content (name and definition). */
  async update(id: string, patch: Partial<Omit<HolidayCalendar, 'id'>>): Promise<HolidayCalendarRecord> {
    return this.ctx.tx(async (c) => {
      const calendars = new HolidayCalendars(c)
      const cur = await calendars.get(id)
      const name = patch.name === undefined ? cur.name : requireString('calendar.name', patch.name, { max: 100 })
      const def = definitionOf({ ...cur, ...patch })
      if (name !== cur.name) await calendars.assertNameFree(cur.tenantId, name, id)
      try {
        const r = await c.db.get<Row>(
          'UPDATE holiday_calendars SET name = ?, definition = ?, updated_at = ? WHERE id = ? RETURNING *',
          [name, JSON.stringify(def), c.clock.now(), id],
        )
        if (!r) throw notFound('holiday calendar', id)
        return toCalendar(r)
      } catch (err) {
        if (uniqueViolation(err) !== undefined) throw nameTaken(cur.tenantId, name, err)
        throw err
      }
    })
  }

  /** Refuses (IN_USE) while a queue's schedule lists the calendar in calendarIds. */
  async remove(id: string): Promise<void> {
    await this.ctx.tx(async (c) => {
      await new HolidayCalendars(c).get(id)
      // read in JavaScript, the same on both engines (PostgreSQL 15 has no json_valid for a stored text)
      const queues = await c.db.all<{ number: string; schedule: string }>(
        `SELECT number, schedule FROM queues WHERE schedule IS NOT NULL ORDER BY ${textOrder(c.dialect, 'number')}`,
      )
      const users = queues.filter((q) => scheduleUses(q.schedule, id))
      if (users.length)
        throw new StoreError(
          'IN_USE',
          `holiday calendar '${id}' is used by queue(s) ${users.map((u) => u.number).join(', ')}`,
        )
      await c.db.run('DELETE FROM holiday_calendars WHERE id = ?', [id])
    })
  }

  private async assertNameFree(tenantId: string | null, name: string, exceptId: string | undefined): Promise<void> {
    const other = await this.ctx.db.get<{ id: string }>(
      "SELECT id FROM holiday_calendars WHERE COALESCE(tenant_id, '') = ? AND name = ?",
      [tenantId ?? '', name],
    )
    if (other && other.id !== exceptId) throw nameTaken(tenantId, name)
  }
}

function nameTaken(tenantId: string | null, name: string, cause?: unknown): StoreError {
  return new StoreError(
    'DUPLICATE',
    `holiday calendar '${name}' already exists${tenantId ? ` in tenant ${tenantId}` : ''}`,
    'calendar.name',
    { cause },
  )
}
