/**
 * Carrying out the core's persistence commands against the store: `log`, `call-record`, `offer-record`, `agent-session`,
 * `agent-device`, `ewt`, `prompt-recorded`, `callback-record`. Each write is committed before the next command runs (better-sqlite3
 * is synchronous). A store error (e.g. an invalid value) is logged and does not stop the other commands.
 */
import type { Logger } from 'pino'
import type { Command } from '../core/commands.js'
import type { Language } from '../core/model.js'
import type { Agents } from '../store/agents.js'
import type { Callbacks } from '../store/callbacks.js'
import type { CallOutcome, Calls } from '../store/calls.js'
import type { EventLog } from '../store/events.js'
import type { EwtLog } from '../store/ewt.js'
import type { Prompts } from '../store/prompts.js'
import type { AgentSessions } from '../store/sessions.js'

/** The repositories persistence needs (a Store has them all). */
interface PersistStore {
  calls: Calls
  callbacks: Callbacks
  events: EventLog
  sessions: AgentSessions
  agents: Agents
  ewt: EwtLog
  prompts: Prompts
}

const PERSIST_TYPES = new Set([
  'log',
  'call-record',
  'offer-record',
  'agent-session',
  'agent-device',
  'ewt',
  'prompt-recorded',
  'callback-record',
])

/** True for the command types this module handles. */
export function isPersistCommand(cmd: Command): boolean {
  return PERSIST_TYPES.has(cmd.type)
}

/** Applies one persistence command; never throws (failures are logged with the call/agent id). */
export function persist(store: PersistStore, cmd: Command, log: Logger): void {
  try {
    apply(store, cmd)
  } catch (err) {
    const ids =
      cmd.type === 'offer-record'
        ? { call: cmd.callId, leg: cmd.legId }
        : 'callId' in cmd
          ? { call: cmd.callId }
          : 'agentId' in cmd
            ? { agent: cmd.agentId }
            : cmd.type === 'call-record'
              ? { call: cmd.record.callId }
              : {}
    log.error({ ...ids, command: cmd.type, err }, 'failed to persist a core command')
  }
}

function apply(store: PersistStore, cmd: Command): void {
  switch (cmd.type) {
    case 'log':
      store.events.append({
        at: cmd.at,
        callId: cmd.callId || null,
        queueId: cmd.queueId || null,
        agentId: cmd.agentId || null,
        event: cmd.event,
        data: cmd.data ?? null,
      })
      return
    case 'call-record': {
      const r = cmd.record
      const existing = store.calls.find(r.callId)
      if (!existing) {
        if (!r.tenantId || !r.queueId || r.arrivedAt === undefined) {
          throw new Error(`call record ${r.callId} is not known yet and the update lacks tenantId/queueId/arrivedAt`)
        }
        store.calls.start({
          callId: r.callId,
          tenantId: r.tenantId,
          queueId: r.queueId,
          arrivedAt: r.arrivedAt,
          callerNumber: r.callerNumber ?? '',
          callerName: r.callerName ?? '',
          ...(r.enteredQueueAt !== undefined ? { enteredQueueAt: r.enteredQueueAt } : {}),
        })
      }
      const patch: Parameters<Calls['update']>[1] = {}
      if (r.enteredQueueAt !== undefined && existing) patch.enteredQueueAt = r.enteredQueueAt
      if (r.answeredAt !== undefined) patch.answeredAt = r.answeredAt
      if (r.endedAt !== undefined) patch.endedAt = r.endedAt
      if (r.outcome !== undefined) patch.outcome = r.outcome as CallOutcome
      if (r.agentId !== undefined) patch.agentId = r.agentId
      if (r.queueId !== undefined && existing && existing.queueId !== r.queueId) patch.queueId = r.queueId
      if (Object.keys(patch).length) store.calls.update(r.callId, patch)
      if (r.answeredAt !== undefined) store.ewt.resolve(r.callId, r.answeredAt)
      return
    }
    case 'offer-record': {
      // One row per agent leg, found again by the leg uuid (the daemon chose it: origination_uuid).
      let offer = store.calls.findOfferByLeg(cmd.legId)
      if (!offer) {
        if (cmd.device === undefined) return // a leg of a call restored after a restart: its offer was not recorded by us
        offer = store.calls.addOffer({
          callId: cmd.callId,
          agentId: cmd.agentId,
          offeredAt: cmd.at,
          legUuid: cmd.legId,
          device: cmd.device,
        })
      }
      const result = cmd.result ?? offer.result
      if (result === null) return
      store.calls.finishOffer(offer.id, {
        result,
        ...(cmd.cause !== undefined ? { cause: cmd.cause } : {}),
        ...(cmd.answeredAt !== undefined ? { answeredAt: cmd.answeredAt } : {}),
        ...(cmd.endedAt !== undefined ? { endedAt: cmd.endedAt } : {}),
      })
      return
    }
    case 'agent-session':
      if (cmd.loggedIn) {
        store.sessions.login(cmd.agentId, cmd.queueId, cmd.at)
        store.sessions.setPaused(cmd.agentId, cmd.paused, cmd.paused ? (cmd.pauseReason ?? null) : null, cmd.at)
      } else {
        store.sessions.logout(cmd.agentId, cmd.queueId || undefined)
      }
      return
    case 'agent-device':
      store.agents.setActiveDevice(cmd.agentId, cmd.deviceIndex)
      return
    case 'ewt':
      store.ewt.record({
        callId: cmd.callId,
        queueId: cmd.queueId,
        at: cmd.at,
        position: cmd.position,
        announcedSeconds: cmd.seconds,
      })
      return
    case 'callback-record':
      store.callbacks.record(cmd.record)
      return
    case 'prompt-recorded':
      store.prompts.put({
        tenantId: cmd.tenantId,
        queueId: cmd.queueId,
        language: cmd.language as Language,
        name: cmd.name,
        path: cmd.path,
      })
      return
    default:
      return
  }
}
