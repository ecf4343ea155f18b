/** Agents: extension unique per tenant, plan, devices (one active), wrap-up override, skills. */
import type { Agent, Device, DeviceType, Plan } from '../core/model.js'
import { StoreError, invalid, notFound } from './errors.js'
import { validateSkills } from './queue-settings.js'
import type { RepoContext } from './repo-context.js'
import { isForeignKeyViolation, uniqueViolation } from './sql/constraint.js'
import { textOrder } from './sql/clauses.js'
import { chooseId, describe, isPlainObject, parseJson, rejectUnknownKeys, requireInt, requireString } from './util.js'

export interface AgentRecord extends Agent {
  createdAt: number
  updatedAt: number
}

export interface AgentInput {
  id?: string
  tenantId?: string
  extension: string
  name: string
  plan: Plan
  /** Default: the extension. */
  sipUser?: string
  /** Default: a softphone on the SIP user. */
  devices?: Device[]
  activeDevice?: number
  wrapUpSec?: number | null
  skills?: Record<string, number>
}

export type AgentPatch = Partial<Omit<AgentInput, 'id' | 'tenantId'>>

interface Row {
  id: string
  tenant_id: string
  extension: string
  name: string
  plan: Plan
  sip_user: string
  devices: string
  active_device: number
  wrap_up_sec: number | null
  skills: string
  created_at: number
  updated_at: number
}

const PLANS: readonly Plan[] = ['basic', 'pro', 'business', 'enterprise']
export const DEVICE_TYPES: readonly DeviceType[] = ['softphone', 'deskphone', 'mobile']
/** Extensions: digits, 2-10. */
const EXTENSION_RE = /^[0-9]{2,10}$/
const SIP_USER_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/
const MOBILE_RE = /^\+?[0-9]{3,20}$/

const toAgent = (r: Row): AgentRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  extension: r.extension,
  name: r.name,
  plan: r.plan,
  sipUser: r.sip_user,
  devices: parseJson<Device[]>(r.devices, []),
  activeDevice: r.active_device,
  wrapUpSec: r.wrap_up_sec,
  skills: parseJson<Record<string, number>>(r.skills, {}),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

/** Validate a device list: softphone/deskphone target a SIP user, mobile a phone number. */
function validateDevices(field: string, v: unknown): Device[] {
  if (!Array.isArray(v)) throw invalid(field, `expected an array of devices, got ${describe(v)}`)
  if (v.length > 10) throw invalid(field, 'at most 10 devices')
  return v.map((d, i) => {
    const f = `${field}[${i}]`
    if (!isPlainObject(d)) throw invalid(f, `expected {"type": ..., "target": ...}, got ${describe(d)}`)
    const extra = Object.keys(d).filter((k) => k !== 'type' && k !== 'target')
    if (extra.length) throw invalid(`${f}.${extra[0]}`, `unknown device field '${extra[0]}'`)
    if (typeof d.type !== 'string' || !DEVICE_TYPES.includes(d.type as DeviceType)) {
      throw invalid(`${f}.type`, `expected one of ${DEVICE_TYPES.join(', ')}, got ${describe(d.type)}`)
    }
    const type = d.type as DeviceType
    const target =
      type === 'mobile'
        ? requireString(`${f}.target`, d.target, { re: MOBILE_RE, what: 'a phone number (digits, optional leading +)' })
        : requireString(`${f}.target`, d.target, { re: SIP_USER_RE, what: 'a SIP user name' })
    return { type, target }
  })
}

export class Agents {
  constructor(private readonly ctx: RepoContext) {}

  async list(tenantId?: string): Promise<AgentRecord[]> {
    const d = this.ctx.dialect
    const rows =
      tenantId === undefined
        ? await this.ctx.db.all<Row>(
            `SELECT * FROM agents ORDER BY ${textOrder(d, 'tenant_id')}, ${textOrder(d, 'extension')}`,
          )
        : await this.ctx.db.all<Row>(`SELECT * FROM agents WHERE tenant_id = ? ORDER BY ${textOrder(d, 'extension')}`, [
            tenantId,
          ])
    return rows.map(toAgent)
  }

  async find(id: string): Promise<AgentRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM agents WHERE id = ?', [id])
    return r && toAgent(r)
  }

  /** Throws NOT_FOUND. */
  async get(id: string): Promise<AgentRecord> {
    const a = await this.find(id)
    if (!a) throw notFound('agent', id)
    return a
  }

  async getByExtension(tenantId: string, extension: string): Promise<AgentRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM agents WHERE tenant_id = ? AND extension = ?', [
      tenantId,
      extension,
    ])
    return r && toAgent(r)
  }

  /** The agent a feature-code call belongs to, by its authenticated SIP user. */
  async getBySipUser(tenantId: string, sipUser: string): Promise<AgentRecord | undefined> {
    const r = await this.ctx.db.get<Row>(
      "SELECT * FROM agents WHERE tenant_id = ? AND sip_user = ? AND sip_user <> ''",
      [tenantId, sipUser],
    )
    return r && toAgent(r)
  }

  async create(input: AgentInput): Promise<AgentRecord> {
    rejectUnknownKeys('agent', input as unknown as Record<string, unknown>, [
      'id',
      'tenantId',
      'extension',
      'name',
      'plan',
      'sipUser',
      'devices',
      'activeDevice',
      'wrapUpSec',
      'skills',
    ])
    const tenantId = input.tenantId ?? 'default'
    return this.ctx.tx(async (c) => {
      const agents = new Agents(c)
      if (!(await c.db.get('SELECT 1 FROM tenants WHERE id = ?', [tenantId]))) throw notFound('tenant', tenantId)
      const id = chooseId('a', input.id, 'agent')
      const extension = requireString('agent.extension', input.extension, { re: EXTENSION_RE, what: '2-10 digits' })
      const sipUser =
        input.sipUser === undefined
          ? extension
          : requireString('agent.sipUser', input.sipUser, { re: SIP_USER_RE, what: 'a SIP user name' })
      const v = agents.validate({
        name: input.name,
        plan: input.plan,
        devices: input.devices ?? [{ type: 'softphone', target: sipUser }],
        activeDevice: input.activeDevice ?? 0,
        wrapUpSec: input.wrapUpSec ?? null,
        skills: input.skills ?? {},
      })
      const assertAll = async () => {
        if (await agents.find(id)) throw new StoreError('DUPLICATE', `agent '${id}' already exists`, 'agent.id')
        await agents.assertFree(tenantId, extension, sipUser, undefined)
      }
      await assertAll()
      const now = c.clock.now()
      let r: Row | undefined
      try {
        r = await c.db.get<Row>(
          `INSERT INTO agents (id, tenant_id, extension, name, plan, sip_user, devices, active_device, wrap_up_sec, skills, created_at, updated_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
          [
            id,
            tenantId,
            extension,
            v.name,
            v.plan,
            sipUser,
            JSON.stringify(v.devices),
            v.activeDevice,
            v.wrapUpSec,
            JSON.stringify(v.skills),
            now,
            now,
          ],
        )
      } catch (err) {
        if (isForeignKeyViolation(err)) throw notFound('tenant', tenantId)
        throw err
      }
      if (r) return toAgent(r)
      await assertAll() // a concurrent writer took the id, the extension or the SIP user: say which
      throw new StoreError('DUPLICATE', `agent '${id}' already exists`, 'agent.id')
    })
  }

  async update(id: string, patch: AgentPatch): Promise<AgentRecord> {
    rejectUnknownKeys('agent', patch, [
      'extension',
      'name',
      'plan',
      'sipUser',
      'devices',
      'activeDevice',
      'wrapUpSec',
      'skills',
    ])
    return this.ctx.tx(async (c) => {
      const agents = new Agents(c)
      const cur = await agents.get(id)
      const extension =
        patch.extension === undefined
          ? cur.extension
          : requireString('agent.extension', patch.extension, { re: EXTENSION_RE, what: '2-10 digits' })
      const sipUser =
        patch.sipUser === undefined
          ? cur.sipUser
          : requireString('agent.sipUser', patch.sipUser, { re: SIP_USER_RE, what: 'a SIP user name' })
      const v = agents.validate({
        name: patch.name ?? cur.name,
        plan: patch.plan ?? cur.plan,
        devices: patch.devices ?? cur.devices,
        activeDevice: patch.activeDevice ?? (patch.devices !== undefined ? 0 : cur.activeDevice),
        wrapUpSec: patch.wrapUpSec === undefined ? cur.wrapUpSec : patch.wrapUpSec,
        skills: patch.skills ?? cur.skills,
      })
      await agents.assertFree(cur.tenantId, extension, sipUser, id)
      let r: Row | undefined
      try {
        r = await c.db.get<Row>(
          `UPDATE agents SET extension = ?, name = ?, plan = ?, sip_user = ?, devices = ?, active_device = ?, wrap_up_sec = ?, skills = ?, updated_at = ?
                  WHERE id = ? RETURNING *`,
          [
            extension,
            v.name,
            v.plan,
            sipUser,
            JSON.stringify(v.devices),
            v.activeDevice,
            v.wrapUpSec,
            JSON.stringify(v.skills),
            c.clock.now(),
            id,
          ],
        )
      } catch (err) {
        const which = uniqueViolation(err)
        if (which === undefined) throw err
        // a concurrent writer took the extension or the SIP user between the check and the write
        throw which.includes('sip_user')
          ? sipUserTaken(sipUser, undefined, cur.tenantId, err)
          : extensionTaken(extension, cur.tenantId, err)
      }
      if (!r) throw notFound('agent', id)
      // keep the licence report's copy of the agent's details current for open intervals
      await c.db.run(
        'UPDATE membership_history SET extension = ?, name = ?, plan = ? WHERE agent_id = ? AND until_at IS NULL',
        [extension, v.name, v.plan, id],
      )
      return toAgent(r)
    })
  }

  /** Choose the active device (index into devices). */
  async setActiveDevice(id: string, index: number): Promise<AgentRecord> {
    return this.ctx.tx(async (c) => {
      const agents = new Agents(c)
      const a = await agents.get(id)
      if (a.devices.length === 0) throw invalid('agent.activeDevice', `agent ${a.extension} has no devices`)
      requireInt('agent.activeDevice', index, 0, a.devices.length - 1)
      return agents.update(id, { activeDevice: index })
    })
  }

  /**
   * Remove an agent. Refuses (IN_USE) while logged in anywhere; memberships end (history kept for the
   * licence report).
   */
  async remove(id: string, at: number = this.ctx.clock.now()): Promise<void> {
    await this.ctx.tx(async (c) => {
      const a = await new Agents(c).get(id)
      const n = (await c.db.get<{ n: number }>('SELECT count(*) AS n FROM agent_sessions WHERE agent_id = ?', [id]))!.n
      if (n > 0)
        throw new StoreError(
          'IN_USE',
          `agent ${a.extension} in tenant ${a.tenantId} is logged in to ${n} queue(s); log them out first`,
        )
      await c.db.run('UPDATE membership_history SET until_at = ? WHERE agent_id = ? AND until_at IS NULL', [at, id])
      await c.db.run('DELETE FROM agents WHERE id = ?', [id])
    })
  }

  private validate(v: {
    name: unknown
    plan: unknown
    devices: unknown
    activeDevice: unknown
    wrapUpSec: unknown
    skills: unknown
  }) {
    const name = requireString('agent.name', v.name, { max: 100 })
    if (typeof v.plan !== 'string' || !PLANS.includes(v.plan as Plan))
      throw invalid('agent.plan', `expected one of ${PLANS.join(', ')}, got ${describe(v.plan)}`)
    const devices = validateDevices('agent.devices', v.devices)
    const activeDevice =
      devices.length === 0
        ? requireInt('agent.activeDevice', v.activeDevice, 0, 0)
        : requireInt('agent.activeDevice', v.activeDevice, 0, devices.length - 1)
    const wrapUpSec = v.wrapUpSec === null ? null : requireInt('agent.wrapUpSec', v.wrapUpSec, 0, 3600)
    const skills = validateSkills('agent.skills', v.skills)
    return { name, plan: v.plan as Plan, devices, activeDevice, wrapUpSec, skills }
  }

  private async assertFree(
    tenantId: string,
    extension: string,
    sipUser: string,
    exceptId: string | undefined,
  ): Promise<void> {
    const byExt = await this.getByExtension(tenantId, extension)
    if (byExt && byExt.id !== exceptId) throw extensionTaken(extension, tenantId)
    const bySip = await this.getBySipUser(tenantId, sipUser)
    if (bySip && bySip.id !== exceptId) throw sipUserTaken(sipUser, bySip.extension, tenantId)
  }
}

function extensionTaken(extension: string, tenantId: string, cause?: unknown): StoreError {
  return new StoreError(
    'DUPLICATE',
    `agent extension ${extension} already exists in tenant ${tenantId}`,
    'agent.extension',
    {
      cause,
    },
  )
}

/** ownerExtension undefined: not known (a concurrent writer's, seen only as the database's unique violation). */
function sipUserTaken(
  sipUser: string,
  ownerExtension: string | undefined,
  tenantId: string,
  cause?: unknown,
): StoreError {
  return new StoreError(
    'DUPLICATE',
    `agent SIP user '${sipUser}' already belongs to ${ownerExtension === undefined ? 'another agent' : `agent ${ownerExtension}`} in tenant ${tenantId}`,
    'agent.sipUser',
    { cause },
  )
}
