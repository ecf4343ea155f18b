/** Agents: extension unique per tenant, plan, devices (one active), wrap-up override, skills. */
import type { Agent, Device, DeviceType, Plan } from '../core/model.js'
import type { StoreContext } from './context.js'
import { StoreError, invalid, notFound } from './errors.js'
import { validateSkills } from './queue-settings.js'
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
  constructor(private readonly ctx: StoreContext) {}

  list(tenantId?: string): AgentRecord[] {
    const rows =
      tenantId === undefined
        ? this.ctx.sql('SELECT * FROM agents ORDER BY tenant_id, extension').all()
        : this.ctx.sql('SELECT * FROM agents WHERE tenant_id = ? ORDER BY extension').all(tenantId)
    return (rows as Row[]).map(toAgent)
  }

  find(id: string): AgentRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM agents WHERE id = ?').get(id) as Row | undefined
    return r && toAgent(r)
  }

  /** Throws NOT_FOUND. */
  get(id: string): AgentRecord {
    const a = this.find(id)
    if (!a) throw notFound('agent', id)
    return a
  }

  getByExtension(tenantId: string, extension: string): AgentRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM agents WHERE tenant_id = ? AND extension = ?').get(tenantId, extension) as
      Row | undefined
    return r && toAgent(r)
  }

  /** The agent a feature-code call belongs to, by its authenticated SIP user. */
  getBySipUser(tenantId: string, sipUser: string): AgentRecord | undefined {
    const r = this.ctx
      .sql("SELECT * FROM agents WHERE tenant_id = ? AND sip_user = ? AND sip_user <> ''")
      .get(tenantId, sipUser) as Row | undefined
    return r && toAgent(r)
  }

  create(input: AgentInput): AgentRecord {
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
    if (!this.ctx.sql('SELECT 1 FROM tenants WHERE id = ?').get(tenantId)) throw notFound('tenant', tenantId)
    const id = chooseId('a', input.id, 'agent')
    const extension = requireString('agent.extension', input.extension, { re: EXTENSION_RE, what: '2-10 digits' })
    const sipUser =
      input.sipUser === undefined
        ? extension
        : requireString('agent.sipUser', input.sipUser, { re: SIP_USER_RE, what: 'a SIP user name' })
    const v = this.validate({
      name: input.name,
      plan: input.plan,
      devices: input.devices ?? [{ type: 'softphone', target: sipUser }],
      activeDevice: input.activeDevice ?? 0,
      wrapUpSec: input.wrapUpSec ?? null,
      skills: input.skills ?? {},
    })
    if (this.find(id)) throw new StoreError('DUPLICATE', `agent '${id}' already exists`, 'agent.id')
    this.assertFree(tenantId, extension, sipUser, undefined)
    const now = this.ctx.clock.now()
    this.ctx
      .sql(
        `INSERT INTO agents (id, tenant_id, extension, name, plan, sip_user, devices, active_device, wrap_up_sec, skills, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
      )
    return this.get(id)
  }

  update(id: string, patch: AgentPatch): AgentRecord {
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
    const cur = this.get(id)
    const extension =
      patch.extension === undefined
        ? cur.extension
        : requireString('agent.extension', patch.extension, { re: EXTENSION_RE, what: '2-10 digits' })
    const sipUser =
      patch.sipUser === undefined
        ? cur.sipUser
        : requireString('agent.sipUser', patch.sipUser, { re: SIP_USER_RE, what: 'a SIP user name' })
    const v = this.validate({
      name: patch.name ?? cur.name,
      plan: patch.plan ?? cur.plan,
      devices: patch.devices ?? cur.devices,
      activeDevice: patch.activeDevice ?? (patch.devices !== undefined ? 0 : cur.activeDevice),
      wrapUpSec: patch.wrapUpSec === undefined ? cur.wrapUpSec : patch.wrapUpSec,
      skills: patch.skills ?? cur.skills,
    })
    this.assertFree(cur.tenantId, extension, sipUser, id)
    this.ctx.db.transaction(() => {
      this.ctx
        .sql(
          `UPDATE agents SET extension = ?, name = ?, plan = ?, sip_user = ?, devices = ?, active_device = ?, wrap_up_sec = ?, skills = ?, updated_at = ?
                  WHERE id = ?`,
        )
        .run(
          extension,
          v.name,
          v.plan,
          sipUser,
          JSON.stringify(v.devices),
          v.activeDevice,
          v.wrapUpSec,
          JSON.stringify(v.skills),
          this.ctx.clock.now(),
          id,
        )
      // keep the licence report's copy of the agent's details current for open intervals
      this.ctx
        .sql('UPDATE membership_history SET extension = ?, name = ?, plan = ? WHERE agent_id = ? AND until_at IS NULL')
        .run(extension, v.name, v.plan, id)
    })()
    return this.get(id)
  }

  /** Choose the active device (index into devices). */
  setActiveDevice(id: string, index: number): AgentRecord {
    const a = this.get(id)
    if (a.devices.length === 0) throw invalid('agent.activeDevice', `agent ${a.extension} has no devices`)
    requireInt('agent.activeDevice', index, 0, a.devices.length - 1)
    return this.update(id, { activeDevice: index })
  }

  /**
   * Remove an agent. Refuses (IN_USE) while logged in anywhere; memberships end (history kept for the
   * licence report).
   */
  remove(id: string, at: number = this.ctx.clock.now()): void {
    const a = this.get(id)
    this.ctx.db.transaction(() => {
      const n = (this.ctx.sql('SELECT count(*) AS n FROM agent_sessions WHERE agent_id = ?').get(id) as { n: number }).n
      if (n > 0)
        throw new StoreError(
          'IN_USE',
          `agent ${a.extension} in tenant ${a.tenantId} is logged in to ${n} queue(s); log them out first`,
        )
      this.ctx.sql('UPDATE membership_history SET until_at = ? WHERE agent_id = ? AND until_at IS NULL').run(at, id)
      this.ctx.sql('DELETE FROM agents WHERE id = ?').run(id)
    })()
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

  private assertFree(tenantId: string, extension: string, sipUser: string, exceptId: string | undefined): void {
    const byExt = this.getByExtension(tenantId, extension)
    if (byExt && byExt.id !== exceptId)
      throw new StoreError(
        'DUPLICATE',
        `agent extension ${extension} already exists in tenant ${tenantId}`,
        'agent.extension',
      )
    const bySip = this.getBySipUser(tenantId, sipUser)
    if (bySip && bySip.id !== exceptId)
      throw new StoreError(
        'DUPLICATE',
        `agent SIP user '${sipUser}' already belongs to agent ${bySip.extension} in tenant ${tenantId}`,
        'agent.sipUser',
      )
  }
}
