/** Holiday calendars (S3), shared between queues; the definition is src/core/schedule's HolidayCalendar. */
import type { HolidayCalendar } from '../core/schedule/types.js'
import { calendarIssues } from '../core/schedule/holidays.js'
import type { StoreContext } from './context.js'
import { StoreError, invalid, notFound } from './errors.js'
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

export class HolidayCalendars {
  constructor(private readonly ctx: StoreContext) {}

  /** Calendars visible to a tenant (its own and the shared ones), or all. */
  list(tenantId?: string): HolidayCalendarRecord[] {
    const rows =
      tenantId === undefined
        ? this.ctx.sql('SELECT * FROM holiday_calendars ORDER BY name').all()
        : this.ctx
            .sql('SELECT * FROM holiday_calendars WHERE tenant_id = ? OR tenant_id IS NULL ORDER BY name')
            .all(tenantId)
    return (rows as Row[]).map(toCalendar)
  }

  find(id: string): HolidayCalendarRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM holiday_calendars WHERE id = ?').get(id) as Row | undefined
    return r && toCalendar(r)
  }

  get(id: string): HolidayCalendarRecord {
    const c = this.find(id)
    if (!c) throw notFound('holiday calendar', id)
    return c
  }

  /** Create a calendar (validate its content with src/core/schedule first). tenantId null = shared. */
  create(input: Omit<HolidayCalendar, 'id'> & { id?: string; tenantId?: string | null }): HolidayCalendarRecord {
    if (!isPlainObject(input)) throw invalid('calendar', `expected an object, got ${describe(input)}`)
    const id = chooseId('hc', input.id, 'calendar')
    const name = requireString('calendar.name', input.name, { max: 100 })
    const tenantId = input.tenantId ?? null
    if (tenantId !== null && !this.ctx.sql('SELECT 1 FROM tenants WHERE id = ?').get(tenantId))
      throw notFound('tenant', tenantId)
    const def = definitionOf(input)
    if (this.find(id)) throw new StoreError('DUPLICATE', `holiday calendar '${id}' already exists`, 'calendar.id')
    this.assertNameFree(tenantId, name, undefined)
    const now = this.ctx.clock.now()
    this.ctx
      .sql(
        'INSERT INTO holiday_calendars (id, tenant_id, name, definition, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, tenantId, name, JSON.stringify(def), now, now)
    return this.get(id)
  }

  /** Replace the calendar's content (name and definition). */
  update(id: string, patch: Partial<Omit<HolidayCalendar, 'id'>>): HolidayCalendarRecord {
    const cur = this.get(id)
    const name = patch.name === undefined ? cur.name : requireString('calendar.name', patch.name, { max: 100 })
    const def = definitionOf({ ...cur, ...patch })
    if (name !== cur.name) this.assertNameFree(cur.tenantId, name, id)
    this.ctx
      .sql('UPDATE holiday_calendars SET name = ?, definition = ?, updated_at = ? WHERE id = ?')
      .run(name, JSON.stringify(def), this.ctx.clock.now(), id)
    return this.get(id)
  }

  /** Refuses (IN_USE) while a queue's schedule lists the calendar in calendarIds. */
  remove(id: string): void {
    this.get(id)
    const users = this.ctx
      .sql(
        "SELECT q.number, q.tenant_id FROM queues q WHERE q.schedule IS NOT NULL AND json_valid(q.schedule) AND EXISTS (SELECT 1 FROM json_each(q.schedule, '$.calendarIds') WHERE value = ?) ORDER BY q.number",
      )
      .all(id) as { number: string; tenant_id: string }[]
    if (users.length)
      throw new StoreError(
        'IN_USE',
        `holiday calendar '${id}' is used by queue(s) ${users.map((u) => u.number).join(', ')}`,
      )
    this.ctx.sql('DELETE FROM holiday_calendars WHERE id = ?').run(id)
  }

  private assertNameFree(tenantId: string | null, name: string, exceptId: string | undefined): void {
    const other = this.ctx
      .sql("SELECT id FROM holiday_calendars WHERE COALESCE(tenant_id, '') = ? AND name = ?")
      .get(tenantId ?? '', name) as { id: string } | undefined
    if (other && other.id !== exceptId)
      throw new StoreError(
        'DUPLICATE',
        `holiday calendar '${name}' already exists${tenantId ? ` in tenant ${tenantId}` : ''}`,
        'calendar.name',
      )
  }
}
